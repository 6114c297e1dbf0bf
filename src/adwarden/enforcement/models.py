"""Decisions and review tasks. A decision's content is never edited: a later one supersedes
it, or it is lifted or reversed, and only its status and the reason for that change."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import JSON, ForeignKey, Index, String, Text
from sqlalchemy.orm import Mapped, mapped_column

from adwarden.domain.enums import (
    DecisionStatus,
    NoticeKind,
    Outcome,
    SubjectLevel,
    TaskKind,
    TaskStatus,
)
from adwarden.store.base import Base, Record, Updated, enum_type


class Decision(Record, Updated, Base):
    __tablename__ = "decisions"
    __table_args__ = (
        Index("ix_decisions_subject", "level", "subject_id", "status"),
        Index("ix_decisions_starts_at", "starts_at"),
        Index("ix_decisions_clause_id_starts_at", "clause_id", "starts_at"),
        # a name's decisions in date order, read from the index alone (also the foreign key's)
        Index("ix_decisions_advertiser_starts", "advertiser_id", "starts_at", "id"),
        # the public database's filters, any combination of them counted from one index
        # (PostgreSQL skips over the leading columns a search leaves open)
        Index(
            "ix_decisions_filters",
            "clause_id",
            "automated_decision",
            "level",
            "status",
            "outcome",
            "starts_at",
        ),
    )

    level: Mapped[SubjectLevel] = mapped_column(enum_type(SubjectLevel))
    subject_id: Mapped[int] = mapped_column()
    subject_label: Mapped[str] = mapped_column(String(300))
    advertiser_id: Mapped[int] = mapped_column(
        ForeignKey("advertisers.id"), comment="whose subject it is"
    )
    outcome: Mapped[Outcome] = mapped_column(enum_type(Outcome))
    clause_id: Mapped[str] = mapped_column(String(20))
    policy_version_id: Mapped[int] = mapped_column(ForeignKey("policy_versions.id"))
    policy_hash: Mapped[str] = mapped_column(String(64))
    facts: Mapped[dict[str, Any]] = mapped_column(JSON, comment="the facts the clause read")
    facts_summary: Mapped[str] = mapped_column(Text, comment="the facts in words")
    evidence: Mapped[list[dict[str, Any]]] = mapped_column(JSON)
    decided_by: Mapped[int | None] = mapped_column(
        ForeignKey("users.id"), comment="the staff member; null when the system decided"
    )
    decided_by_label: Mapped[str] = mapped_column(String(200))
    automated_detection: Mapped[bool] = mapped_column()
    automated_decision: Mapped[bool] = mapped_column()
    starts_at: Mapped[datetime] = mapped_column()
    ends_at: Mapped[datetime | None] = mapped_column()
    territorial_scope: Mapped[list[str]] = mapped_column(JSON, comment="ISO codes, or ['WORLD']")
    effects: Mapped[dict[str, Any]] = mapped_column(
        JSON, comment="what the decision changed, so lifting it can restore exactly that"
    )
    review_task_id: Mapped[int | None] = mapped_column(ForeignKey("review_tasks.id"))
    status: Mapped[DecisionStatus] = mapped_column(enum_type(DecisionStatus))
    status_reason: Mapped[str | None] = mapped_column(Text)
    superseded_by: Mapped[int | None] = mapped_column(ForeignKey("decisions.id"))


class ReviewTask(Record, Updated, Base):
    """Something a reviewer must look at, with the facts and evidence: a clause that needs a
    human fired (`apply`), or a decision in force must be looked at again (`reconsider`,
    `rereview`: `decision_id` names it)."""

    __tablename__ = "review_tasks"

    level: Mapped[SubjectLevel] = mapped_column(enum_type(SubjectLevel))
    subject_id: Mapped[int] = mapped_column()
    subject_label: Mapped[str] = mapped_column(String(300))
    advertiser_id: Mapped[int] = mapped_column(ForeignKey("advertisers.id"), index=True)
    clause_id: Mapped[str] = mapped_column(String(20))
    outcome: Mapped[Outcome] = mapped_column(
        enum_type(Outcome), comment="what the clause would do if a reviewer applies it"
    )
    policy_version_id: Mapped[int] = mapped_column(ForeignKey("policy_versions.id"))
    facts: Mapped[dict[str, Any]] = mapped_column(JSON)
    evidence: Mapped[list[dict[str, Any]]] = mapped_column(JSON)
    status: Mapped[TaskStatus] = mapped_column(enum_type(TaskStatus), index=True)
    resolved_by: Mapped[int | None] = mapped_column(ForeignKey("users.id"))
    resolution: Mapped[str | None] = mapped_column(Text)
    kind: Mapped[TaskKind] = mapped_column(
        enum_type(TaskKind), default=TaskKind.apply, server_default=TaskKind.apply.value
    )
    # no foreign key: decisions already point at the task they came from, and a cycle of
    # foreign keys between the two tables would leave no order to create or drop them in
    decision_id: Mapped[int | None] = mapped_column(
        index=True, comment="the decision in force to look at again (reconsider, rereview)"
    )


class Notice(Record, Base):
    """A message as sent to an advertiser, about a decision or a step of an appeal of it; its
    text and HTML are kept exactly as the advertiser got them."""

    __tablename__ = "notices"

    decision_id: Mapped[int] = mapped_column(ForeignKey("decisions.id"), index=True)
    advertiser_id: Mapped[int] = mapped_column(ForeignKey("advertisers.id"), index=True)
    kind: Mapped[NoticeKind] = mapped_column(
        enum_type(NoticeKind), default=NoticeKind.decision, server_default=NoticeKind.decision.value
    )
    appeal_id: Mapped[int | None] = mapped_column(ForeignKey("appeals.id"), index=True)
    subject: Mapped[str] = mapped_column(String(300))
    body_text: Mapped[str] = mapped_column(Text)
    body_html: Mapped[str] = mapped_column(Text)
