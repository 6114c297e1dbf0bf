"""One ad request against a snapshot: targeting, pacing, frequency, then a second-price
auction with the placement's reserve, one slot per advertiser at most."""

from __future__ import annotations

import hashlib
import heapq
from collections import OrderedDict
from dataclasses import dataclass
from datetime import datetime

from adwarden.serving.snapshot import Candidate, Snapshot, rank

SECONDS_PER_DAY = 86_400
# impressions of one campaign one user_key may be handed per day, in this process
FREQUENCY_CAP = 3
_FREQUENCY_KEYS = 200_000  # the oldest are forgotten first, so memory stays bounded


@dataclass(frozen=True)
class AdRequest:
    placement: str
    count: int
    user_key: str
    keywords: list[str]
    country: str | None


@dataclass(frozen=True)
class Slot:
    candidate: Candidate
    post_id: int
    landing_url: str | None
    price_micros: int  # what the winner pays per impression: the next bid, or the reserve


def paced(candidate: Candidate, spent_today: int, now: datetime) -> bool:
    """Even daily pacing: spend may run only as far as the share of the day gone by (and
    always to one impression), and never past the daily or lifetime budget."""
    elapsed = (now - now.replace(hour=0, minute=0, second=0, microsecond=0)).total_seconds()
    allowed = candidate.daily_budget_micros * elapsed / SECONDS_PER_DAY
    return (
        spent_today < max(allowed, candidate.bid_micros)
        and spent_today < candidate.daily_budget_micros
    )


class FrequencyCap:
    """How often each user_key was handed each campaign today, in this process."""

    def __init__(self, cap: int = FREQUENCY_CAP) -> None:
        self.cap = cap
        self._seen: OrderedDict[tuple[str, int, str], int] = OrderedDict()

    def allows(self, user_key: str, campaign_id: int, now: datetime) -> bool:
        return self._seen.get((user_key, campaign_id, now.date().isoformat()), 0) < self.cap

    def count(self, user_key: str, campaign_id: int, now: datetime) -> None:
        key = (user_key, campaign_id, now.date().isoformat())
        self._seen[key] = self._seen.get(key, 0) + 1
        self._seen.move_to_end(key)
        while len(self._seen) > _FREQUENCY_KEYS:
            self._seen.popitem(last=False)


def _post_for(candidate: Candidate, user_key: str) -> tuple[int, str | None]:
    # a stable choice per user, so one person sees the campaign's posts in turn across days
    digest = hashlib.blake2b(f"{user_key}:{candidate.campaign_id}".encode(), digest_size=4)
    return candidate.posts[int.from_bytes(digest.digest(), "big") % len(candidate.posts)]


def run_auction(
    snapshot: Snapshot, request: AdRequest, now: datetime, frequency: FrequencyCap
) -> list[Slot]:
    """Walk the candidates the request reaches, best bid first, and stop as soon as the
    slots and the price of the last one are known: the cost depends on the slots asked
    for, not on how many campaigns target the keywords."""
    reserve = snapshot.reserves[request.placement]
    country = (request.country or "").upper()
    keywords = {keyword.lower() for keyword in request.keywords}
    walk = heapq.merge(*(snapshot.ranked(k) for k in ("", *keywords)), key=rank)
    seen: set[int] = set()
    advertisers: set[int] = set()
    ranked: list[Candidate] = []  # one per advertiser: its best eligible campaign
    for candidate in walk:
        if candidate.bid_micros < reserve:
            break  # all the rest bid less still
        if candidate.campaign_id in seen or candidate.advertiser_id in advertisers:
            continue
        seen.add(candidate.campaign_id)
        if not candidate.runs_at(now):
            continue
        if candidate.countries and country not in candidate.countries:
            continue
        if snapshot.spent_total(candidate.campaign_id) >= candidate.lifetime_budget_micros:
            continue
        if not paced(candidate, snapshot.spent_today.get(candidate.campaign_id, 0), now):
            continue
        if not frequency.allows(request.user_key, candidate.campaign_id, now):
            continue
        ranked.append(candidate)
        advertisers.add(candidate.advertiser_id)
        if len(ranked) > request.count:
            break  # the next one only sets the last slot's price
    slots = []
    for place, candidate in enumerate(ranked[: request.count]):
        runner_up = ranked[place + 1].bid_micros if place + 1 < len(ranked) else reserve
        price = max(runner_up, reserve)
        post_id, landing = _post_for(candidate, request.user_key)
        slots.append(Slot(candidate, post_id, landing, price))
        frequency.count(request.user_key, candidate.campaign_id, now)
        # this process's own estimate until the counted spend is reloaded
        snapshot.spent_today[candidate.campaign_id] = (
            snapshot.spent_today.get(candidate.campaign_id, 0) + price
        )
    return slots
