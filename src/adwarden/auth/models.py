"""Tables for users, web sessions and API tokens."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import CheckConstraint, ForeignKey, String
from sqlalchemy.orm import Mapped, mapped_column, relationship

from adwarden.domain.enums import Role
from adwarden.store.base import Base, Record, Updated, enum_type


class User(Record, Updated, Base):
    __tablename__ = "users"
    __table_args__ = (
        # An advertiser user belongs to exactly one advertiser; staff to none.
        CheckConstraint(
            "(role = 'advertiser') = (advertiser_id IS NOT NULL)", name="advertiser_link"
        ),
    )

    email: Mapped[str] = mapped_column(String(254), unique=True)
    name: Mapped[str] = mapped_column(String(200))
    role: Mapped[Role] = mapped_column(enum_type(Role))
    advertiser_id: Mapped[int | None] = mapped_column(ForeignKey("advertisers.id"), index=True)
    password_hash: Mapped[str] = mapped_column(String(200))
    disabled_at: Mapped[datetime | None] = mapped_column()


class WebSession(Record, Base):
    __tablename__ = "web_sessions"

    user_id: Mapped[int] = mapped_column(ForeignKey("users.id"), index=True)
    token_hash: Mapped[str] = mapped_column(String(64), unique=True)
    expires_at: Mapped[datetime] = mapped_column()
    ended_at: Mapped[datetime | None] = mapped_column()

    user: Mapped[User] = relationship()


class ApiToken(Record, Base):
    __tablename__ = "api_tokens"

    user_id: Mapped[int] = mapped_column(ForeignKey("users.id"), index=True)
    label: Mapped[str] = mapped_column(String(100))
    token_hash: Mapped[str] = mapped_column(String(64), unique=True)
    prefix: Mapped[str] = mapped_column(
        String(12), comment="first characters, to tell tokens apart"
    )
    revoked_at: Mapped[datetime | None] = mapped_column()

    user: Mapped[User] = relationship()
