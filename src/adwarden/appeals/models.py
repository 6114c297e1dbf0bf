"""Appeals and their attachments. The advertiser's arguments are kept as filed; the answer,
once given, is kept with a note on how it addresses each argument."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import JSON, CheckConstraint, ForeignKey, Index, String, Text
from sqlalchemy.orm import Mapped, mapped_column, relationship

from adwarden.domain.enums import AppealOutcome, AppealStatus
from adwarden.store.base import Base, Record, Updated, enum_type


class Appeal(Record, Updated, Base):
    __tablename__ = "appeals"
    __table_args__ = (
        Index("ix_appeals_status_due_at", "status", "due_at"),
        CheckConstraint("due_at > filed_at", name="due_after_filing"),
    )

    decision_id: Mapped[int] = mapped_column(ForeignKey("decisions.id"), index=True)
    advertiser_id: Mapped[int] = mapped_column(ForeignKey("advertisers.id"), index=True)
    filed_by: Mapped[int] = mapped_column(ForeignKey("users.id"))
    filed_at: Mapped[datetime] = mapped_column()
    arguments: Mapped[list[str]] = mapped_column(JSON, comment="the advertiser's points, as filed")
    clause_id: Mapped[str] = mapped_column(String(20), comment="the appealed decision's clause")
    due_at: Mapped[datetime] = mapped_column(comment="filed_at plus the clause's appeal SLA")
    status: Mapped[AppealStatus] = mapped_column(enum_type(AppealStatus))
    assigned_to: Mapped[int | None] = mapped_column(ForeignKey("users.id"))
    assigned_at: Mapped[datetime | None] = mapped_column()
    escalated_at: Mapped[datetime | None] = mapped_column(
        comment="when the appeal went overdue and was escalated to policy admins"
    )
    outcome: Mapped[AppealOutcome | None] = mapped_column(enum_type(AppealOutcome))
    answer: Mapped[str | None] = mapped_column(Text)
    points: Mapped[list[dict[str, Any]] | None] = mapped_column(
        JSON, comment="per argument, in order: how the answer addresses it"
    )
    decided_by: Mapped[int | None] = mapped_column(ForeignKey("users.id"))
    decided_by_label: Mapped[str | None] = mapped_column(String(200))
    decided_at: Mapped[datetime | None] = mapped_column()
    new_decision_id: Mapped[int | None] = mapped_column(
        ForeignKey("decisions.id"), comment="the decision a modification issued"
    )

    attachments: Mapped[list[AppealAttachment]] = relationship(
        back_populates="appeal", order_by="AppealAttachment.id"
    )


class AppealAttachment(Record, Base):
    """A file the advertiser sent with an appeal; the bytes live outside the database, named
    by their SHA-256, so the row and the file vouch for each other."""

    __tablename__ = "appeal_attachments"
    __table_args__ = (CheckConstraint("size > 0", name="size_positive"),)

    appeal_id: Mapped[int] = mapped_column(ForeignKey("appeals.id"), index=True)
    filename: Mapped[str] = mapped_column(String(200))
    media_type: Mapped[str] = mapped_column(String(100))
    size: Mapped[int] = mapped_column()
    sha256: Mapped[str] = mapped_column(String(64))

    appeal: Mapped[Appeal] = relationship(back_populates="attachments")
