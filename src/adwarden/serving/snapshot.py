"""What a serving process holds in memory: every campaign that may serve, its posts, its
targeting and budgets, and the spend counted so far. Built with a few queries; requests
then read it without touching the database.
"""

from __future__ import annotations

from collections import defaultdict
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


@dataclass
class Snapshot:
    version: int
    day: date
    candidates: list[Candidate]
    reserves: dict[str, int]  # placement key -> reserve per impression, micros
    spent_today: dict[int, int]  # campaign -> micros counted today
    spent_total: dict[int, int]  # campaign -> micros counted ever
    by_keyword: dict[str, list[Candidate]] = field(default_factory=dict)
    untargeted: list[Candidate] = field(default_factory=list)
    landing: dict[int, str | None] = field(default_factory=dict)  # promoted post -> URL

    def __post_init__(self) -> None:
        index: dict[str, list[Candidate]] = defaultdict(list)
        for candidate in self.candidates:
            self.landing.update(candidate.posts)
            if not candidate.keywords:
                self.untargeted.append(candidate)
            for keyword in candidate.keywords:
                index[keyword].append(candidate)
        self.by_keyword = dict(index)

    def matching(self, keywords: list[str]) -> list[Candidate]:
        """Candidates whose keyword targeting the request meets, each once."""
        found = {id(c): c for c in self.untargeted}
        for keyword in keywords:
            for candidate in self.by_keyword.get(keyword.lower(), ()):
                found[id(candidate)] = candidate
        return list(found.values())


def load_spend(session: Session, day: date) -> tuple[dict[int, int], dict[int, int]]:
    today = dict(
        session.execute(
            select(DailySpend.campaign_id, DailySpend.spent_micros).where(DailySpend.day == day)
        ).all()
    )
    total = dict(
        session.execute(
            select(Campaign.id, Campaign.spent_micros).where(Campaign.spent_micros > 0)
        ).all()
    )
    return today, total


def load_snapshot(session: Session, now: datetime) -> Snapshot:
    version = current_version(session)
    posts: dict[int, list[tuple[int, str | None]]] = defaultdict(list)
    for post_id, campaign_id, landing in session.execute(
        select(PromotedPost.id, PromotedPost.campaign_id, PromotedPost.landing_url)
        .join(Account, Account.id == PromotedPost.account_id)
        .where(PromotedPost.status == PromotedPostStatus.active, Account.ads_eligible.is_(True))
        .order_by(PromotedPost.id)
    ):
        posts[campaign_id].append((post_id, landing))
    campaigns = session.scalars(
        select(Campaign).where(
            Campaign.status == CampaignStatus.active,
            Campaign.held.is_(False),
            (Campaign.ends_at.is_(None)) | (Campaign.ends_at > now),
        )
    )
    candidates = [
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
    reserves = {
        key: per_impression(cents)
        for key, cents in session.execute(select(Placement.key, Placement.reserve_cpm_cents))
    }
    today, total = load_spend(session, now.date())
    return Snapshot(version, now.date(), candidates, reserves, today, total)
