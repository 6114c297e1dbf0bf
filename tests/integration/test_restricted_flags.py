"""On PostgreSQL whether an ad is restricted is a flag the database keeps (migration 0015),
which the ads repository's status searches read. It must hold however the ad, its campaign
and its account change, and when they change at the same time in two transactions."""

from __future__ import annotations

import threading
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import insert, select, text, update

from adwarden.serving.models import Campaign, PromotedPost
from adwarden.store.engine import Database
from adwarden.transparency import ads
from adwarden.transparency.ads import AdFilters, AdStatus
from conftest import fresh_database_url
from support import make_tenant, publish_default_policy, running_ad


@pytest.fixture
def postgres(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[Database]:
    database = Database(fresh_database_url(request, "postgresql", tmp_path))
    yield database
    database.dispose()


def _flag(db: Database, post_id: int) -> bool:
    with db.engine.connect() as connection:
        return bool(
            connection.execute(
                text("SELECT restricted FROM promoted_posts WHERE id = :id"), {"id": post_id}
            ).scalar_one()
        )


def _restricted_ids(db: Database) -> list[int]:
    with db.sessions() as session:
        found = ads.find(session, AdFilters(status=AdStatus.restricted), offset=0, limit=25)
        return list(found.items)


def test_an_ad_made_while_its_campaign_is_being_held_is_restricted(postgres: Database) -> None:
    publish_default_policy(postgres)
    tenant = make_tenant(postgres, "Hedgely")
    running = running_ad(postgres, tenant, text="hedge trimming")  # an active campaign's, listed
    with postgres.engine.connect() as connection:
        row = connection.execute(
            select(PromotedPost.__table__).where(PromotedPost.id == running)
        ).one()
    template = {key: value for key, value in row._mapping.items() if key != "id"}
    made: dict[str, Any] = {}

    def make() -> None:
        with postgres.engine.begin() as connection:
            made["pid"] = connection.execute(text("SELECT pg_backend_pid()")).scalar_one()
            made["id"] = connection.execute(
                insert(PromotedPost).returning(PromotedPost.id), template
            ).scalar_one()

    holder = postgres.engine.connect()
    try:
        hold = holder.begin()
        holder.execute(update(Campaign).where(Campaign.id == row.campaign_id).values(held=True))
        holding = holder.execute(text("SELECT pg_backend_pid()")).scalar_one()
        maker = threading.Thread(target=make)
        maker.start()
        # until the new ad waits for the hold, asked of the server (not slept on); an ad that
        # does not wait is made meanwhile, unflagged, and the assertion below says so
        deadline = time.monotonic() + 30
        with postgres.engine.connect() as watcher:
            while maker.is_alive() and time.monotonic() < deadline:
                pid = made.get("pid")
                blocked_by = (
                    pid
                    and watcher.execute(
                        text("SELECT pg_blocking_pids(:pid)"), {"pid": pid}
                    ).scalar_one()
                )
                if blocked_by and holding in blocked_by:
                    break
        hold.commit()
    finally:
        holder.close()
    maker.join(timeout=30)
    assert not maker.is_alive()
    assert _flag(postgres, made["id"])
    assert made["id"] in _restricted_ids(postgres)


def test_an_ad_moved_to_a_held_campaign_and_back_follows_it(postgres: Database) -> None:
    publish_default_policy(postgres)
    tenant = make_tenant(postgres, "Copsely")
    other = running_ad(postgres, tenant, text="copse walks")
    moved = running_ad(postgres, tenant, text="copse paths")
    with postgres.engine.begin() as connection:
        held = connection.execute(
            select(PromotedPost.campaign_id).where(PromotedPost.id == other)
        ).scalar_one()
        connection.execute(update(Campaign).where(Campaign.id == held).values(held=True))
        home = connection.execute(
            select(PromotedPost.campaign_id).where(PromotedPost.id == moved)
        ).scalar_one()
    assert _flag(postgres, other)
    assert not _flag(postgres, moved)
    for campaign, flagged in ((held, True), (home, False)):
        with postgres.engine.begin() as connection:
            connection.execute(
                update(PromotedPost).where(PromotedPost.id == moved).values(campaign_id=campaign)
            )
        assert _flag(postgres, moved) is flagged
        assert (moved in _restricted_ids(postgres)) is flagged
