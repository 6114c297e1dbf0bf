"""What a serving process holds in memory: every campaign that may serve, its posts, its
targeting and budgets, and the spend counted so far. Built with a few queries; requests
then read it without touching the database. A change to one advertiser patches only that
advertiser's campaigns, so a decision reaches serving in milliseconds at any scale.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterable
from dataclasses import dataclass, field
from datetime import date, datetime

from sqlalchemy import select
from sqlalchemy.orm import Session

from adwarden.domain.enums import CampaignStatus, PromotedPostStatus
from adwarden.registry.models import Account
from adwarden.serving.eligibility import current_version
from adwarden.serving.models import Campaign, DailySpend, Placement, PromotedPost
from adwarden.serving.money import MICROS_PER_CENT, per_impression


@dataclass(frozen=True)
class Candidate:
    campaign_id: int
    advertiser_id: int
    bid_micros: int  # per impression
    keywords: frozenset[str]  # empty: any request
    countries: frozenset[str]  # empty: everywhere
    starts_at: datetime | None
    ends_at: datetime | None
    daily_budget_micros: int
    lifetime_budget_micros: int
    posts: tuple[tuple[int, str | None], ...]  # (promoted post id, landing URL)

    def runs_at(self, now: datetime) -> bool:
        return (self.starts_at is None or self.starts_at <= now) and (
            self.ends_at is None or now < self.ends_at
        )


def rank(candidate: Candidate) -> tuple[int, int]:
    """Best bid first; the older campaign first among equal bids."""
    return (-candidate.bid_micros, candidate.campaign_id)


@dataclass
class Snapshot:
    version: int
    day: date
    reserves: dict[str, int]  # placement key -> reserve per impression, micros
    spent_today: dict[int, int]  # campaign -> micros counted today (refreshed each second)
    spent_before: dict[int, int]  # campaign -> micros counted before today (fixed for the day)
    candidates: dict[int, Candidate] = field(default_factory=dict)  # by campaign id
    by_advertiser: dict[int, set[int]] = field(default_factory=lambda: defaultdict(set))
    by_keyword: dict[str, set[int]] = field(default_factory=lambda: defaultdict(set))
    untargeted: set[int] = field(default_factory=set)
    landing: dict[int, str | None] = field(default_factory=dict)  # promoted post -> URL
    # per keyword ("" for the untargeted), its candidates best bid first; made on first use
    _ranked: dict[str, list[Candidate]] = field(default_factory=dict)

    def add(self, candidate: Candidate) -> None:
        self.candidates[candidate.campaign_id] = candidate
        self.by_advertiser[candidate.advertiser_id].add(candidate.campaign_id)
        if not candidate.keywords:
            self.untargeted.add(candidate.campaign_id)
        for keyword in candidate.keywords:
            self.by_keyword[keyword].add(candidate.campaign_id)
        self.landing.update(candidate.posts)
        self._forget_ranks(candidate)

    def _remove(self, campaign_id: int) -> None:
        candidate = self.candidates.pop(campaign_id)
        self.untargeted.discard(campaign_id)
        for keyword in candidate.keywords:
            self.by_keyword[keyword].discard(campaign_id)
        for post_id, _ in candidate.posts:
            self.landing.pop(post_id, None)
        self._forget_ranks(candidate)

    def _forget_ranks(self, candidate: Candidate) -> None:
        for keyword in candidate.keywords or {""}:
            self._ranked.pop(keyword, None)

    def ranked(self, keyword: str) -> list[Candidate]:
        """The candidates a keyword (or "" for the untargeted) reaches, best bid first."""
        found = self._ranked.get(keyword)
        if found is None:
            ids = self.untargeted if keyword == "" else self.by_keyword.get(keyword, set())
            found = self._ranked[keyword] = sorted((self.candidates[i] for i in ids), key=rank)
        return found

    def replace_advertiser(self, advertiser_id: int, candidates: Iterable[Candidate]) -> None:
        """Swap in what may serve of one advertiser now, leaving everyone else as they are."""
        for campaign_id in self.by_advertiser.pop(advertiser_id, set()):
            self._remove(campaign_id)
        for candidate in candidates:
            self.add(candidate)

    def matching(self, keywords: list[str]) -> list[Candidate]:
        """Candidates whose keyword targeting the request meets, each once."""
        found = set(self.untargeted)
        for keyword in keywords:
            found |= self.by_keyword.get(keyword.lower(), set())
        return [self.candidates[campaign_id] for campaign_id in found]

    def spent_total(self, campaign_id: int) -> int:
        return self.spent_before.get(campaign_id, 0) + self.spent_today.get(campaign_id, 0)


def load_spend_today(session: Session, day: date) -> dict[int, int]:
    return dict(
        session.execute(
            select(DailySpend.campaign_id, DailySpend.spent_micros).where(DailySpend.day == day)
        ).all()
    )


def load_spend(session: Session, day: date) -> tuple[dict[int, int], dict[int, int]]:
    """Today's spend per campaign, and what each spent before today."""
    today = load_spend_today(session, day)
    total = session.execute(
        select(Campaign.id, Campaign.spent_micros).where(Campaign.spent_micros > 0)
    ).all()
    return today, {campaign: spent - today.get(campaign, 0) for campaign, spent in total}


def load_candidates(
    session: Session, now: datetime, advertiser_id: int | None = None
) -> list[Candidate]:
    """Campaigns that may serve, with their eligible posts: of everyone, or of one advertiser."""
    posts_query = (
        select(PromotedPost.id, PromotedPost.campaign_id, PromotedPost.landing_url)
        .join(Account, Account.id == PromotedPost.account_id)
        .join(Campaign, Campaign.id == PromotedPost.campaign_id)
        .where(PromotedPost.status == PromotedPostStatus.active, Account.ads_eligible.is_(True))
        .order_by(PromotedPost.id)
    )
    if advertiser_id is not None:
        posts_query = posts_query.where(Campaign.advertiser_id == advertiser_id)
    posts: dict[int, list[tuple[int, str | None]]] = defaultdict(list)
    for post_id, campaign_id, landing in session.execute(posts_query):
        posts[campaign_id].append((post_id, landing))
    campaigns_query = select(Campaign).where(
        Campaign.status == CampaignStatus.active,
        Campaign.held.is_(False),
        (Campaign.ends_at.is_(None)) | (Campaign.ends_at > now),
    )
    if advertiser_id is not None:
        campaigns_query = campaigns_query.where(Campaign.advertiser_id == advertiser_id)
    campaigns = session.scalars(campaigns_query)
    return [
        Candidate(
            campaign_id=campaign.id,
            advertiser_id=campaign.advertiser_id,
            bid_micros=per_impression(campaign.bid_cpm_cents),
            keywords=frozenset(k.lower() for k in campaign.keywords),
            countries=frozenset(c.upper() for c in campaign.countries),
            starts_at=campaign.starts_at,
            ends_at=campaign.ends_at,
            daily_budget_micros=campaign.daily_budget_cents * MICROS_PER_CENT,
            lifetime_budget_micros=campaign.lifetime_budget_cents * MICROS_PER_CENT,
            posts=tuple(posts[campaign.id]),
        )
        for campaign in campaigns
        if posts.get(campaign.id)
    ]


def load_snapshot(session: Session, now: datetime) -> Snapshot:
    version = current_version(session)
    reserves = {
        key: per_impression(cents)
        for key, cents in session.execute(select(Placement.key, Placement.reserve_cpm_cents))
    }
    today, total = load_spend(session, now.date())
    snapshot = Snapshot(version, now.date(), reserves, today, total)
    for candidate in load_candidates(session, now):
        snapshot.add(candidate)
    return snapshot
