"""Counting impressions and clicks: once per decision id, never for a subject an enforcement
decision has stopped, and never past a budget by more than one impression's price.

The checks run in the transaction that writes the ledger row, after it has locked the
campaign row (by writing it) and the post and account rows for share. A decision that
stops the campaign, the account or the post writes one of those rows, so the two
transactions are ordered: an event counted after the decision committed sees it and is
refused, whatever snapshot handed out its decision id. On SQLite the transaction holds the
database's write lock from its BEGIN IMMEDIATE, so counting is serialised.

Serving events are written with Core statements and no audit row of their own: the ledger
is itself append-only and is the record of what was served.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime

from sqlalchemy import case, func, insert, select, update
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from adwarden.domain.enums import CampaignStatus, LedgerKind, PromotedPostStatus
from adwarden.registry.models import Account
from adwarden.serving.auction import FREQUENCY_CAP
from adwarden.serving.models import (
    Campaign,
    DailySpend,
    LedgerEvent,
    PostDelivery,
    PromotedPost,
)
from adwarden.serving.money import MICROS_PER_CENT
from adwarden.serving.tokens import EventClaim
from adwarden.store.engine import Database


@dataclass(frozen=True)
class Counted:
    counted: bool
    reason: str | None = None  # why not, when not


def _stopped(
    campaign: Campaign | None, post: PromotedPost | None, account: Account | None, now: datetime
) -> str | None:
    """Why this ad may not be counted now, or None."""
    if campaign is None or post is None or account is None:
        return "the campaign or post no longer exists"
    if campaign.held:
        return "the campaign is held by an enforcement decision"
    if campaign.status is not CampaignStatus.active:
        return f"the campaign is {campaign.status.value}"
    if post.status is not PromotedPostStatus.active:
        return f"the promoted post is {post.status.value}"
    if not account.ads_eligible:
        return f"@{account.handle} may not promote posts"
    if campaign.ends_at is not None and now >= campaign.ends_at:
        return "the campaign has ended"
    return None


def _over_budget(session: Session, campaign: Campaign, now: datetime) -> str | None:
    today = session.scalar(
        select(DailySpend.spent_micros).where(
            DailySpend.campaign_id == campaign.id, DailySpend.day == now.date()
        )
    )
    if (today or 0) >= campaign.daily_budget_cents * MICROS_PER_CENT:
        return "the campaign's daily budget is spent"
    if campaign.spent_micros >= campaign.lifetime_budget_cents * MICROS_PER_CENT:
        return "the campaign's lifetime budget is spent"
    return None


def _over_frequency(session: Session, claim: EventClaim, now: datetime) -> str | None:
    """The cap holds across every serving process: it is checked where impressions count."""
    shown = session.scalar(
        select(func.count())
        .select_from(LedgerEvent)
        .where(
            LedgerEvent.campaign_id == claim.campaign_id,
            LedgerEvent.viewer == claim.viewer,
            LedgerEvent.day == now.date(),
            LedgerEvent.kind == LedgerKind.impression,
        )
    )
    if (shown or 0) >= FREQUENCY_CAP:
        return f"this viewer has seen the campaign {FREQUENCY_CAP} times today, its cap"
    return None


def _count(session: Session, claim: EventClaim, now: datetime) -> Counted:
    # A write first: it takes the campaign row's lock on PostgreSQL (SQLite's write lock is
    # held from the transaction's BEGIN IMMEDIATE), so every read below sees what no other
    # counting process can change before this commits.
    session.execute(
        update(Campaign)
        .where(Campaign.id == claim.campaign_id)
        .values(spent_micros=Campaign.spent_micros)
    )
    campaign = session.scalars(
        select(Campaign).where(Campaign.id == claim.campaign_id)
    ).one_or_none()
    row = session.execute(
        select(PromotedPost, Account)
        .join(Account, Account.id == PromotedPost.account_id)
        .where(PromotedPost.id == claim.promoted_post_id)
        .with_for_update(read=True)
    ).one_or_none()
    post, account = (row[0], row[1]) if row else (None, None)
    counted_before = session.scalar(
        select(LedgerEvent.id).where(
            LedgerEvent.decision_id == claim.decision_id, LedgerEvent.kind == claim.kind
        )
    )
    if counted_before is not None:
        return Counted(False, f"this {claim.kind.value} was already counted")
    stopped = _stopped(campaign, post, account, now)
    if stopped:
        return Counted(False, stopped)
    assert campaign is not None
    price = claim.price_micros
    if claim.kind is LedgerKind.click:
        price = 0
        shown = session.scalar(
            select(LedgerEvent.id).where(
                LedgerEvent.decision_id == claim.decision_id,
                LedgerEvent.kind == LedgerKind.impression,
            )
        )
        if shown is None:
            return Counted(False, "no impression was counted for this decision")
    else:
        over = _over_budget(session, campaign, now) or _over_frequency(session, claim, now)
        if over:
            return Counted(False, over)
    session.execute(
        insert(LedgerEvent).values(
            kind=claim.kind,
            decision_id=claim.decision_id,
            campaign_id=claim.campaign_id,
            promoted_post_id=claim.promoted_post_id,
            advertiser_id=claim.advertiser_id,
            placement=claim.placement,
            price_micros=price,
            viewer=claim.viewer,
            day=now.date(),
            at=now,
        )
    )
    impressions, clicks = (1, 0) if claim.kind is LedgerKind.impression else (0, 1)
    changed = session.execute(
        update(DailySpend)
        .where(DailySpend.campaign_id == campaign.id, DailySpend.day == now.date())
        .values(
            impressions=DailySpend.impressions + impressions,
            clicks=DailySpend.clicks + clicks,
            spent_micros=DailySpend.spent_micros + price,
        )
    )
    if changed.rowcount == 0:  # type: ignore[attr-defined]
        session.execute(
            insert(DailySpend).values(
                campaign_id=campaign.id,
                day=now.date(),
                impressions=impressions,
                clicks=clicks,
                spent_micros=price,
            )
        )
    shown_until = (  # a click, or an impression counted late, does not move it back
        case((PostDelivery.last_shown_at < now, now), else_=PostDelivery.last_shown_at)
        if claim.kind is LedgerKind.impression
        else PostDelivery.last_shown_at
    )
    delivered = session.execute(
        update(PostDelivery)
        .where(PostDelivery.promoted_post_id == claim.promoted_post_id)
        .values(
            last_shown_at=shown_until,
            impressions=PostDelivery.impressions + impressions,
            clicks=PostDelivery.clicks + clicks,
            spent_micros=PostDelivery.spent_micros + price,
        )
    )
    if delivered.rowcount == 0:  # type: ignore[attr-defined]
        session.execute(
            insert(PostDelivery).values(
                promoted_post_id=claim.promoted_post_id,
                first_shown_at=now,
                last_shown_at=now,
                impressions=impressions,
                clicks=clicks,
                spent_micros=price,
            )
        )
    if price:
        session.execute(
            update(Campaign)
            .where(Campaign.id == campaign.id)
            .values(spent_micros=Campaign.spent_micros + price)
        )
    return Counted(True)


def count_event(db: Database, claim: EventClaim, now: datetime) -> Counted:
    """Count a verified event in its own transaction; see the module's docstring.

    Not tried again when SQLite stays locked: that is another process writing past the busy
    timeout, and each try would keep this request, and every writer waiting for its turn,
    that long again. The event URL is answered 503 and may be opened again."""
    try:
        with db.transaction() as session:
            return _count(session, claim, now)
    except IntegrityError:
        # the same decision id and kind, counted by a concurrent request a moment ago
        return Counted(False, f"this {claim.kind.value} was already counted")


@dataclass(frozen=True)
class Mismatch:
    campaign_id: int
    day: date | None  # None: the campaign's lifetime spend
    counter: tuple[int, int, int]  # impressions, clicks, spend in micros, as stored
    ledger: tuple[int, int, int]  # the same, summed from the ledger


def rebuild_check(session: Session) -> list[Mismatch]:
    """Every spend counter against the ledger alone; an empty list means they all agree."""
    impression, click = LedgerKind.impression, LedgerKind.click
    summed = {
        (campaign_id, day): (int(shown or 0), int(clicked or 0), int(spent or 0))
        for campaign_id, day, shown, clicked, spent in session.execute(
            select(
                LedgerEvent.campaign_id,
                LedgerEvent.day,
                func.sum(case((LedgerEvent.kind == impression, 1), else_=0)),
                func.sum(case((LedgerEvent.kind == click, 1), else_=0)),
                func.sum(LedgerEvent.price_micros),
            ).group_by(LedgerEvent.campaign_id, LedgerEvent.day)
        )
    }
    stored = {
        (row.campaign_id, row.day): (row.impressions, row.clicks, row.spent_micros)
        for row in session.scalars(select(DailySpend))
    }
    found = [
        Mismatch(campaign_id, day, stored.get(key, (0, 0, 0)), summed.get(key, (0, 0, 0)))
        for key in sorted(set(summed) | set(stored))
        for campaign_id, day in [key]
        if stored.get(key, (0, 0, 0)) != summed.get(key, (0, 0, 0))
    ]
    lifetime: dict[int, int] = {}
    for (campaign_id, _), (_, _, spent) in summed.items():
        lifetime[campaign_id] = lifetime.get(campaign_id, 0) + spent
    for campaign_id, spent in session.execute(select(Campaign.id, Campaign.spent_micros)):
        if spent != lifetime.get(campaign_id, 0):
            found.append(
                Mismatch(campaign_id, None, (0, 0, spent), (0, 0, lifetime.get(campaign_id, 0)))
            )
    return found


@dataclass(frozen=True)
class DeliveryMismatch:
    promoted_post_id: int
    counter: tuple[int, int, int]  # impressions, clicks, spend in micros, as stored
    ledger: tuple[int, int, int]


def delivery_check(session: Session) -> list[DeliveryMismatch]:
    """Every promoted post's delivery counter (the public ads repository reads it) against
    the ledger alone."""
    impression, click = LedgerKind.impression, LedgerKind.click
    summed = {
        post_id: (int(shown or 0), int(clicked or 0), int(spent or 0))
        for post_id, shown, clicked, spent in session.execute(
            select(
                LedgerEvent.promoted_post_id,
                func.sum(case((LedgerEvent.kind == impression, 1), else_=0)),
                func.sum(case((LedgerEvent.kind == click, 1), else_=0)),
                func.sum(LedgerEvent.price_micros),
            ).group_by(LedgerEvent.promoted_post_id)
        )
    }
    stored = {
        row.promoted_post_id: (row.impressions, row.clicks, row.spent_micros)
        for row in session.scalars(select(PostDelivery))
    }
    return [
        DeliveryMismatch(post_id, stored.get(post_id, (0, 0, 0)), summed.get(post_id, (0, 0, 0)))
        for post_id in sorted(set(summed) | set(stored))
        if stored.get(post_id, (0, 0, 0)) != summed.get(post_id, (0, 0, 0))
    ]
