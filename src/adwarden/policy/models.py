"""Published policy versions: content-hashed, numbered, kept forever."""

from __future__ import annotations

from typing import Any

from sqlalchemy import JSON, ForeignKey, String, Text
from sqlalchemy.orm import Mapped, mapped_column

from adwarden.store.base import Base, Record


class PolicyVersion(Record, Base):
    """One published version of the ads policy. Never changed once written."""

    __tablename__ = "policy_versions"

    number: Mapped[int] = mapped_column(unique=True, comment="1, 2, ... in publication order")
    content_hash: Mapped[str] = mapped_column(
        String(64), comment="sha256 of the canonical document"
    )
    title: Mapped[str] = mapped_column(String(200))
    document: Mapped[dict[str, Any]] = mapped_column(JSON, comment="every clause as published")
    changelog: Mapped[str] = mapped_column(Text, comment="what changed and why, in words")
    published_by: Mapped[int] = mapped_column(ForeignKey("users.id"))
