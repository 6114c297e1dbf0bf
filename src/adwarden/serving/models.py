"""Tables for campaigns and the promoted posts they run."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import JSON, BigInteger, CheckConstraint, ForeignKey, String, Text, false
from sqlalchemy.orm import Mapped, mapped_column, relationship

from adwarden.domain.enums import CampaignStatus, PromotedPostStatus
from adwarden.store.base import Base, Record, Updated, enum_type


class Campaign(Record, Updated, Base):
    __tablename__ = "campaigns"
    __table_args__ = (
        CheckConstraint("daily_budget_cents >= 0", name="daily_budget_not_negative"),
        CheckConstraint("lifetime_budget_cents >= 0", name="lifetime_budget_not_negative"),
        CheckConstraint("bid_cpm_cents >= 0", name="bid_not_negative"),
        CheckConstraint(
            "ends_at IS NULL OR starts_at IS NULL OR ends_at > starts_at", name="schedule_order"
        ),
    )

    advertiser_id: Mapped[int] = mapped_column(ForeignKey("advertisers.id"), index=True)
    name: Mapped[str] = mapped_column(String(200))
    currency: Mapped[str] = mapped_column(String(3), default="USD")
    daily_budget_cents: Mapped[int] = mapped_column(BigInteger)
    lifetime_budget_cents: Mapped[int] = mapped_column(BigInteger)
    bid_cpm_cents: Mapped[int] = mapped_column(BigInteger, comment="bid per thousand impressions")
    starts_at: Mapped[datetime | None] = mapped_column()
    ends_at: Mapped[datetime | None] = mapped_column()
    keywords: Mapped[list[str]] = mapped_column(JSON, default=list)
    countries: Mapped[list[str]] = mapped_column(
        JSON, default=list, comment="ISO codes; empty = all"
    )
    status: Mapped[CampaignStatus] = mapped_column(enum_type(CampaignStatus))
    held: Mapped[bool] = mapped_column(
        default=False,
        server_default=false(),
        comment="paused by an enforcement decision: only lifting the decision resumes it",
    )

    promoted_posts: Mapped[list[PromotedPost]] = relationship(
        back_populates="campaign", order_by="PromotedPost.id"
    )


class PromotedPost(Record, Updated, Base):
    """A post paid to run in a campaign, shown as coming from one of the advertiser's accounts."""

    __tablename__ = "promoted_posts"

    campaign_id: Mapped[int] = mapped_column(ForeignKey("campaigns.id"), index=True)
    account_id: Mapped[int] = mapped_column(ForeignKey("accounts.id"), index=True)
    text: Mapped[str] = mapped_column(Text)
    landing_url: Mapped[str | None] = mapped_column(String(2000))
    status: Mapped[PromotedPostStatus] = mapped_column(enum_type(PromotedPostStatus))

    campaign: Mapped[Campaign] = relationship(back_populates="promoted_posts")
