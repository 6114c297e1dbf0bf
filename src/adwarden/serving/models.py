"""Tables for campaigns and the promoted posts they run, the places ads are shown, and the
ledger of what was shown and clicked.

Money on the serving path is in micros (millionths of the currency unit): a CPM bid of
250 cents is 25,000 micros per impression, so prices stay integers.
"""

from __future__ import annotations

from datetime import date, datetime

from sqlalchemy import (
    JSON,
    BigInteger,
    CheckConstraint,
    Date,
    ForeignKey,
    Index,
    Integer,
    PrimaryKeyConstraint,
    String,
    Text,
    UniqueConstraint,
    false,
    text,
)
from sqlalchemy.orm import Mapped, mapped_column, relationship

from adwarden.domain.enums import CampaignStatus, LedgerKind, PromotedPostStatus
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
        # the few held: the ads repository's "restricted" tests ads' campaigns against them
        Index("ix_campaigns_held", "id", postgresql_where=text("held"), sqlite_where=text("held")),
    )

    advertiser_id: Mapped[int] = mapped_column(ForeignKey("advertisers.id"), index=True)
    name: Mapped[str] = mapped_column(String(200))
    currency: Mapped[str] = mapped_column(String(3), default="USD")
    daily_budget_cents: Mapped[int] = mapped_column(BigInteger)
    lifetime_budget_cents: Mapped[int] = mapped_column(BigInteger)
    bid_cpm_cents: Mapped[int] = mapped_column(BigInteger, comment="bid per thousand impressions")
    starts_at: Mapped[datetime | None] = mapped_column()
    ends_at: Mapped[datetime | None] = mapped_column()
    payer: Mapped[str | None] = mapped_column(
        String(300), comment="who pays for the ads, when not the advertiser (DSA Article 39)"
    )
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
    spent_micros: Mapped[int] = mapped_column(
        BigInteger,
        default=0,
        server_default="0",
        comment="lifetime spend in millionths of the currency unit; rebuilt from the ledger",
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


class Placement(Record, Updated, Base):
    """Where ads are shown (a feed slot, a sidebar); its reserve is the lowest price it sells at."""

    __tablename__ = "placements"
    __table_args__ = (CheckConstraint("reserve_cpm_cents >= 0", name="reserve_not_negative"),)

    key: Mapped[str] = mapped_column(String(64), unique=True)
    reserve_cpm_cents: Mapped[int] = mapped_column(BigInteger)


class LedgerEvent(Base):
    """One counted impression or click. Append-only: rows are inserted once per decision id and
    kind, never changed; every spend counter can be rebuilt from these rows alone."""

    __tablename__ = "ledger_events"
    __table_args__ = (
        UniqueConstraint("decision_id", "kind"),
        CheckConstraint("price_micros >= 0", name="price_not_negative"),
        Index("ix_ledger_events_campaign_id_day", "campaign_id", "day"),
        Index("ix_ledger_events_campaign_id_viewer_day", "campaign_id", "viewer", "day"),
    )

    id: Mapped[int] = mapped_column(BigInteger().with_variant(Integer, "sqlite"), primary_key=True)
    kind: Mapped[LedgerKind] = mapped_column(enum_type(LedgerKind))
    decision_id: Mapped[str] = mapped_column(String(32), comment="the ad decision it counts")
    campaign_id: Mapped[int] = mapped_column(ForeignKey("campaigns.id"))
    promoted_post_id: Mapped[int] = mapped_column(ForeignKey("promoted_posts.id"))
    advertiser_id: Mapped[int] = mapped_column(ForeignKey("advertisers.id"), index=True)
    placement: Mapped[str] = mapped_column(String(64))
    price_micros: Mapped[int] = mapped_column(BigInteger, comment="0 for clicks (CPM pricing)")
    viewer: Mapped[str] = mapped_column(
        String(16), comment="a hash of the request's user key, for the frequency cap"
    )
    day: Mapped[date] = mapped_column(Date, comment="UTC day the event was counted")
    at: Mapped[datetime] = mapped_column()


class DailySpend(Base):
    """Per campaign and UTC day: impressions, clicks and spend. A counter the ledger rebuilds."""

    __tablename__ = "daily_spend"
    __table_args__ = (PrimaryKeyConstraint("campaign_id", "day"),)

    campaign_id: Mapped[int] = mapped_column(ForeignKey("campaigns.id"))
    day: Mapped[date] = mapped_column(Date)
    impressions: Mapped[int] = mapped_column(BigInteger, default=0)
    clicks: Mapped[int] = mapped_column(BigInteger, default=0)
    spent_micros: Mapped[int] = mapped_column(BigInteger, default=0)


class PostDelivery(Base):
    """Per promoted post: when it was first and last shown, and what it drew. A counter the
    ledger rebuilds, read by the public ads repository."""

    __tablename__ = "post_delivery"
    # the public ads repository walks these to sort by showing, reach or spend (ads.search)
    __table_args__ = (
        Index("ix_post_delivery_first_shown", "first_shown_at", "promoted_post_id"),
        Index("ix_post_delivery_last_shown", "last_shown_at", "promoted_post_id"),
        Index("ix_post_delivery_impressions", "impressions", "promoted_post_id"),
        Index("ix_post_delivery_spent", "spent_micros", "promoted_post_id"),
    )

    promoted_post_id: Mapped[int] = mapped_column(
        ForeignKey("promoted_posts.id"), primary_key=True, autoincrement=False
    )
    first_shown_at: Mapped[datetime] = mapped_column()
    last_shown_at: Mapped[datetime] = mapped_column()
    impressions: Mapped[int] = mapped_column(BigInteger, default=0)
    clicks: Mapped[int] = mapped_column(BigInteger, default=0)
    spent_micros: Mapped[int] = mapped_column(BigInteger, default=0)


class EligibilityVersion(Base):
    """One row: bumped in every transaction that changes who may serve, so that serving
    processes know their snapshot is stale (PostgreSQL also NOTIFYs them at commit)."""

    __tablename__ = "eligibility_version"
    __table_args__ = (CheckConstraint("id = 1", name="single_row"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    version: Mapped[int] = mapped_column(BigInteger)
