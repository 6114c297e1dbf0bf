"""Hits: a subject of ours that a list entry may name, with the evidence and its review."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import Float, ForeignKey, Index, String, Text, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column

from adwarden.domain.enums import HitStatus
from adwarden.store.base import Base, Record, Updated, enum_type


class ScreeningHit(Record, Updated, Base):
    """One (subject, list entry) pair scored at or above the threshold.

    A pair has one row for its whole life: re-screening updates its score and
    evidence, and a review sets its status. Every change is audited.
    """

    __tablename__ = "screening_hits"
    __table_args__ = (
        UniqueConstraint("subject_type", "subject_id", "list_id", "entry_id"),
        Index("ix_screening_hits_status", "status"),
    )

    subject_type: Mapped[str] = mapped_column(String(20), comment="advertiser, person or account")
    subject_id: Mapped[int] = mapped_column()
    subject_name: Mapped[str] = mapped_column(
        String(300), comment="the subject's name that matched"
    )
    list_id: Mapped[int] = mapped_column(ForeignKey("watch_lists.id"), index=True)
    list_version: Mapped[int] = mapped_column(comment="the list version last screened against")
    entry_id: Mapped[str] = mapped_column(String(200), comment="the list's own id for the entry")
    entry_name: Mapped[str] = mapped_column(Text, comment="the entry's name that matched")
    entry_added_in: Mapped[int] = mapped_column(
        comment="the list version the screened content of the entry first appeared in"
    )
    names_hash: Mapped[str] = mapped_column(
        String(64), comment="hash of the subject's names as screened"
    )
    score: Mapped[float] = mapped_column(Float)
    explanation: Mapped[str] = mapped_column(Text)
    status: Mapped[HitStatus] = mapped_column(enum_type(HitStatus))
    reviewed_by: Mapped[int | None] = mapped_column(ForeignKey("users.id"))
    review_reason: Mapped[str | None] = mapped_column(Text)
    reviewed_at: Mapped[datetime | None] = mapped_column()
