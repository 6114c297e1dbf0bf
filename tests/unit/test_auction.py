"""The auction on a hand-built snapshot: second price above the reserve, one slot per
advertiser, targeting, schedule, budgets, even pacing and the frequency cap."""

from __future__ import annotations

from dataclasses import replace
from datetime import UTC, date, datetime, timedelta

import pytest

from adwarden.serving.auction import AdRequest, FrequencyCap, paced, run_auction
from adwarden.serving.money import per_impression
from adwarden.serving.snapshot import Candidate, Snapshot

NOON = datetime(2026, 11, 23, 12, 0, tzinfo=UTC)
RESERVE = per_impression(100)  # 1.00 CPM


def candidate(campaign: int, advertiser: int, cpm_cents: int, **changes: object) -> Candidate:
    base = Candidate(
        campaign_id=campaign,
        advertiser_id=advertiser,
        bid_micros=per_impression(cpm_cents),
        keywords=frozenset(),
        countries=frozenset(),
        starts_at=None,
        ends_at=None,
        daily_budget_micros=10_000_000,
        lifetime_budget_micros=100_000_000,
        posts=((campaign * 10, f"https://shop{campaign}.example/"),),
    )
    return replace(base, **changes)  # type: ignore[arg-type]


def snapshot(*candidates: Candidate, spent_today: dict[int, int] | None = None) -> Snapshot:
    built = Snapshot(
        version=1,
        day=NOON.date(),
        reserves={"feed": RESERVE},
        spent_today=dict(spent_today or {}),
        spent_before={},
    )
    for one in candidates:
        built.add(one)
    return built


def ask(count: int = 3, **changes: object) -> AdRequest:
    request = AdRequest("feed", count, "user-1", ["security"], "DE")
    return replace(request, **changes)  # type: ignore[arg-type]


def test_second_price_above_the_reserve_one_slot_per_advertiser() -> None:
    ads = snapshot(
        candidate(1, 100, 500),
        candidate(2, 100, 450),  # the same advertiser's second campaign: never a second slot
        candidate(3, 200, 300),
        candidate(4, 300, 200),
        candidate(5, 400, 90),  # under the reserve
    )
    slots = run_auction(ads, ask(count=3), NOON, FrequencyCap())
    assert [s.candidate.campaign_id for s in slots] == [1, 3, 4]
    assert [s.price_micros for s in slots] == [
        per_impression(300),  # the next advertiser's bid, not its own 4.50
        per_impression(200),
        RESERVE,  # nobody below: the reserve
    ]
    assert slots[0].post_id == 10
    assert slots[0].landing_url == "https://shop1.example/"


def test_targeting_schedule_and_budgets_rule_candidates_out() -> None:
    tomorrow = NOON + timedelta(days=1)
    ads = snapshot(
        candidate(1, 1, 500, keywords=frozenset({"shoes"})),
        candidate(2, 2, 500, countries=frozenset({"FR"})),
        candidate(3, 3, 500, starts_at=tomorrow),
        candidate(4, 4, 500, ends_at=NOON),
        candidate(5, 5, 500, lifetime_budget_micros=1000),
        candidate(6, 6, 200, keywords=frozenset({"security"}), countries=frozenset({"DE"})),
    )
    ads.spent_before[5] = 1000
    assert [s.candidate.campaign_id for s in run_auction(ads, ask(), NOON, FrequencyCap())] == [6]
    with pytest.raises(KeyError):
        run_auction(ads, ask(placement="sidebar"), NOON, FrequencyCap())


def test_even_pacing_follows_the_share_of_the_day() -> None:
    ad = candidate(1, 1, 500, daily_budget_micros=1_000_000)
    assert paced(ad, 499_000, NOON)  # half the day gone, just under half the budget
    assert not paced(ad, 500_000, NOON)
    midnight = datetime.combine(date(2026, 11, 23), datetime.min.time(), tzinfo=UTC)
    assert paced(ad, 0, midnight)  # one impression is always allowed
    assert not paced(ad, ad.bid_micros, midnight)
    late = NOON.replace(hour=23, minute=59)
    assert not paced(ad, 1_000_000, late)  # never past the daily budget


def test_the_frequency_cap_and_the_local_spend_estimate() -> None:
    ads = snapshot(candidate(1, 1, 500))
    frequency = FrequencyCap(cap=2)
    served = [run_auction(ads, ask(count=1), NOON, frequency) for _ in range(3)]
    assert [len(s) for s in served] == [1, 1, 0]
    assert run_auction(ads, ask(count=1, user_key="user-2"), NOON, frequency)
    # each ad handed out counts against pacing until the counted spend is reloaded
    assert ads.spent_today[1] == 3 * RESERVE


def test_a_change_to_one_advertiser_patches_only_its_campaigns() -> None:
    ads = snapshot(
        candidate(1, 100, 500, keywords=frozenset({"security"})),
        candidate(2, 100, 400),
        candidate(3, 200, 300, keywords=frozenset({"security"})),
    )
    ads.replace_advertiser(100, [])  # off-boarded
    assert [c.campaign_id for c in ads.matching(["security"])] == [3]
    assert 10 not in ads.landing
    ads.replace_advertiser(100, [candidate(2, 100, 450)])  # back, with one campaign
    assert sorted(c.campaign_id for c in ads.matching(["security"])) == [2, 3]
    assert ads.candidates[2].bid_micros == per_impression(450)
    assert sorted(ads.by_advertiser[200]) == [3]
