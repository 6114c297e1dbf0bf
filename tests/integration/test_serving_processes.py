"""Serving with real processes: four of them counting one campaign's impressions at once
never overspend its budget by more than one impression, and an off-boarding reaches every
listening process (PostgreSQL LISTEN/NOTIFY)."""

from __future__ import annotations

import multiprocessing
from decimal import Decimal

import pytest
from sqlalchemy import select

from adwarden.domain.enums import CampaignStatus, SubjectLevel
from adwarden.enforcement.services import decide, lift
from adwarden.serving.inputs import CampaignIn, PromotedPostIn
from adwarden.serving.models import Campaign
from adwarden.serving.services import create_campaign, create_promoted_post
from adwarden.store.engine import Database
from serving_workers import count_claims, watch
from support import (
    SYSTEM,
    Tenant,
    impression_claims,
    make_tenant,
    off_board,
    publish_default_policy,
    staff_actor,
)

PROCESSES = 4
SPAWN = multiprocessing.get_context("spawn")  # no fork of a process that runs threads


def campaign_of(db: Database, tenant: Tenant, daily: str) -> tuple[int, int]:
    with db.transaction() as session:
        campaign = create_campaign(
            session,
            SYSTEM,
            tenant.advertiser_id,
            CampaignIn(
                name="Contended",
                daily_budget=Decimal(daily),
                lifetime_budget=Decimal("100.00"),
                bid_cpm=Decimal("6.00"),
                status=CampaignStatus.active,
            ),
        )
        post = create_promoted_post(
            session,
            SYSTEM,
            campaign.id,
            PromotedPostIn(account_id=tenant.account_id, text="Contended offer"),
        )
        return campaign.id, post.id


def test_four_processes_never_overspend_a_budget(db: Database) -> None:
    tenant = make_tenant(db, "Contended")
    campaign_id, post_id = campaign_of(db, tenant, daily="0.10")  # 100,000 micros
    price = 6_000  # 6.00 CPM
    per_process = 10  # 40 impressions offered; 17 fit (16 x 6,000 = 96,000 < 100,000)
    start = SPAWN.Barrier(PROCESSES)
    out: multiprocessing.Queue[bool] = SPAWN.Queue()
    workers = [
        SPAWN.Process(
            target=count_claims,
            args=(
                db.url,
                impression_claims(campaign_id, tenant.advertiser_id, post_id, price, per_process),
                start,
                out,
            ),
        )
        for _ in range(PROCESSES)
    ]
    for process in workers:
        process.start()
    counted = [out.get(timeout=120) for _ in range(PROCESSES * per_process)]
    for process in workers:
        process.join(timeout=60)
        assert process.exitcode == 0
    with db.sessions() as session:
        spent = session.scalar(select(Campaign.spent_micros).where(Campaign.id == campaign_id))
    assert spent is not None
    assert counted.count(True) == 17
    assert 100_000 <= spent < 100_000 + price


def reports_from(
    seen: multiprocessing.Queue[tuple[int, bool]], version: int, count: int
) -> list[tuple[int, bool]]:
    """The next `count` reports of `version` or later. Reports of earlier versions are passed
    over: a first load's report can arrive after the process said it was ready, since each
    queue is written by its own feeder thread."""
    found: list[tuple[int, bool]] = []
    while len(found) < count:
        report = seen.get(timeout=60)
        if report[0] >= version:
            found.append(report)
    return found


@pytest.mark.parametrize("db_url", ["postgresql"], indirect=True)
def test_an_off_boarding_reaches_every_listening_process(db: Database, tmp_path) -> None:  # type: ignore[no-untyped-def]
    publish_default_policy(db)
    tenant, first = off_board(db, tmp_path, "Watched")
    reviewer = staff_actor(db)
    with db.transaction() as session:
        lift(session, reviewer, first, "reversed, so that it may serve", reversed_=True)
    campaign_of(db, tenant, daily="10.00")
    ready: multiprocessing.Queue[int] = SPAWN.Queue()
    seen: multiprocessing.Queue[tuple[int, bool]] = SPAWN.Queue()
    stop = SPAWN.Event()
    workers = [
        SPAWN.Process(target=watch, args=(db.url, tenant.advertiser_id, ready, seen, stop))
        for _ in range(PROCESSES)
    ]
    for worker in workers:
        worker.start()
    try:
        loaded = [ready.get(timeout=120) for _ in workers]
        with db.transaction() as session:
            decision = decide(
                session,
                reviewer,
                SubjectLevel.advertiser,
                tenant.advertiser_id,
                "3.1",
                "Watched Ltd makes the products a national security directive names; confirmed.",
            )
        version = max(loaded) + 1
        reports = reports_from(seen, version, PROCESSES)
        assert reports == [(version, False)] * PROCESSES  # every process: off-boarded
        with db.transaction() as session:
            lift(session, reviewer, decision.id, "reversed again", reversed_=True)
        reports = reports_from(seen, version + 1, PROCESSES)
        assert reports == [(version + 1, True)] * PROCESSES  # and back, just as fast
    finally:
        stop.set()
        for worker in workers:
            worker.join(timeout=60)
