"""The ad server's background thread outlives a database it cannot reach, on both engines:
it logs each error, says so in its health, and recovers without a restart; a campaign
paused by another process meanwhile is never chosen once it has."""

from __future__ import annotations

import logging
import multiprocessing
import time
import uuid
from collections.abc import Callable, Iterator
from contextlib import contextmanager

import httpx
import pytest
from sqlalchemy import create_engine, text
from sqlalchemy.engine import make_url
from sqlalchemy.orm import sessionmaker
from test_serving import running_campaign

from adwarden.domain.enums import Role
from adwarden.serving import engine as serving_engine
from adwarden.serving.auction import AdRequest
from adwarden.serving.engine import ServingEngine
from adwarden.serving.services import create_placement
from adwarden.store.base import utcnow
from adwarden.store.engine import Database
from adwarden.web.app import create_app
from conftest import _autocommit
from serving_workers import pause
from support import Tenant, live_server, make_tenant, staff_actor

SPAWN = multiprocessing.get_context("spawn")  # no fork of a process that runs threads


def wait_for(condition: Callable[[], bool], what: str, seconds: float = 60.0) -> None:
    deadline = time.monotonic() + seconds
    while not condition():
        if time.monotonic() > deadline:
            raise AssertionError(f"not within {seconds:g} s: {what}")
        time.sleep(0.05)


def small_pool(url: str) -> Database:
    """The database through a pool of one connection that gives up waiting after 0.2 s, so
    that holding that connection makes every other checkout fail as an exhausted pool does."""
    database = Database(url)
    database.engine.dispose()
    database.engine = create_engine(database.url, pool_size=1, max_overflow=0, pool_timeout=0.2)
    database.sessions = sessionmaker(database.engine, expire_on_commit=False)
    return database


@contextmanager
def engine_over(database: Database) -> Iterator[ServingEngine]:
    engine = ServingEngine(database)
    try:
        assert engine.listening.wait(30)
        yield engine
    finally:
        engine.close()
        database.dispose()


def chosen(engine: ServingEngine, requests: int = 20) -> set[int]:
    """The advertisers chosen over `requests` requests of different users."""
    found: set[int] = set()
    for _ in range(requests):
        request = AdRequest("feed", 1, uuid.uuid4().hex, ["security"], None)
        found.update(d.slot.candidate.advertiser_id for d in engine.decide(request, utcnow()))
    return found


def pause_elsewhere(url: str, campaign_id: int) -> None:
    worker = SPAWN.Process(target=pause, args=(url, campaign_id))
    worker.start()
    worker.join(120)
    assert worker.exitcode == 0


def two_campaigns(db: Database) -> tuple[Tenant, Tenant, int]:
    """Two advertisers' running campaigns; the first bids more. Returns its campaign."""
    admin = staff_actor(db, Role.admin)
    with db.transaction() as session:
        create_placement(session, admin, "feed", 100)
    first, second = make_tenant(db, "First"), make_tenant(db, "Second")
    campaign = running_campaign(db, first, bid="5.00")
    running_campaign(db, second, bid="3.00")
    return first, second, campaign


def test_the_thread_outlives_an_exhausted_pool_and_then_drops_a_paused_campaign(
    db: Database, caplog: pytest.LogCaptureFixture, monkeypatch: pytest.MonkeyPatch
) -> None:
    first, second, campaign = two_campaigns(db)
    served = small_pool(db.url)
    with engine_over(served) as engine:
        app = create_app(served)
        app.state.serving = engine
        assert chosen(engine) == {first.advertiser_id}
        with live_server(app) as base, httpx.Client(base_url=base, timeout=10) as client:
            assert client.get("/api/v1/health").status_code == 200
            held = served.engine.connect()  # the pool's only connection
            try:
                held.execute(text("SELECT 1"))
                wait_for(lambda: engine.health().failures >= 2, "two failed rounds")
                pause_elsewhere(db.url, campaign)

                state = engine.health()
                assert state.running
                assert state.last_error is not None
                assert "TimeoutError" in state.last_error
                logged = [
                    r
                    for r in caplog.records
                    if r.name == "adwarden.serving.engine" and r.levelno == logging.ERROR
                ]
                assert logged
                assert logged[0].exc_info is not None

                # the health answer reads the database beside the pool, and names the error
                answer = client.get("/api/v1/health")
                assert answer.status_code == 200, answer.text
                part = answer.json()["serving"]
                assert part["running"] is True
                assert "TimeoutError" in part["last_error"]
                assert part["last_error_at"] is not None
                assert answer.json()["database"]["reachable"] is True

                # a snapshot that cannot be checked grows old; past its bound, health fails
                monkeypatch.setattr(serving_engine, "SNAPSHOT_MAX_AGE", 0.5)
                wait_for(lambda: client.get("/api/v1/health").status_code == 503, "a 503")
                failed = client.get("/api/v1/health").json()
                assert failed["status"] == "failing"
                assert failed["failing"] == ["serving"]
                assert "snapshot was last checked" in failed["serving"]["problems"][0]
                monkeypatch.setattr(serving_engine, "SNAPSHOT_MAX_AGE", 30.0)
            finally:
                held.close()
            released = utcnow()

            def recovered() -> bool:
                state = engine.health()
                return (
                    state.failures == 0
                    and state.last_reload_at is not None
                    and state.last_reload_at > released
                )

            wait_for(recovered, "a reload after the pool was free again")
            assert engine.health().running
            assert chosen(engine, 40) == {second.advertiser_id}
            answer = client.get("/api/v1/health")
            assert answer.status_code == 200, answer.text
            assert answer.json()["serving"]["version_lag"] == 0


def test_a_commit_hook_that_cannot_reach_the_database_does_not_fail_the_commit(
    db: Database, caplog: pytest.LogCaptureFixture
) -> None:
    first, second, campaign = two_campaigns(db)
    served = small_pool(db.url)
    with engine_over(served) as engine:
        assert chosen(engine) == {first.advertiser_id}
        held = served.engine.connect()
        try:
            held.execute(text("SELECT 1"))
            # committed in this process: its hook asks the engine to patch the advertiser,
            # which finds no connection; the commit stands all the same
            pause(db.url, campaign)
            assert any(
                "applying eligibility version" in r.getMessage() and r.exc_info is not None
                for r in caplog.records
            )
        finally:
            held.close()
        released = utcnow()
        wait_for(
            lambda: (engine.health().last_reload_at or released) > released,
            "a reload after the pool was free again",
        )
        assert chosen(engine, 40) == {second.advertiser_id}


def test_a_pause_by_another_process_reaches_the_snapshot(db: Database) -> None:
    # on SQLite there is no NOTIFY: the thread finds the version changed and reloads
    first, second, campaign = two_campaigns(db)
    with engine_over(Database(db.url)) as engine:
        assert chosen(engine) == {first.advertiser_id}
        pause_elsewhere(db.url, campaign)
        wait_for(lambda: chosen(engine, 5) == {second.advertiser_id}, "the pause served")
        assert chosen(engine, 40) == {second.advertiser_id}


def _database_name(url: str) -> str:
    name = make_url(url).database
    assert name is not None
    return name


def terminate_backends(server_url: str, name: str) -> None:
    """End every connection to database `name`, from a connection to another."""
    engine = create_engine(server_url.replace("postgresql://", "postgresql+psycopg://", 1))
    try:
        with engine.connect() as connection:
            connection.execute(
                text(
                    "SELECT pg_terminate_backend(pid) FROM pg_stat_activity"
                    " WHERE datname = :name AND pid <> pg_backend_pid()"
                ),
                {"name": name},
            )
            connection.commit()
    finally:
        engine.dispose()


@pytest.mark.parametrize("db_url", ["postgresql"], indirect=True)
def test_the_thread_outlives_a_database_that_refuses_it_and_listens_again(
    db: Database, postgres_server_url: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    first, second, campaign = two_campaigns(db)
    name = _database_name(db.url)
    with engine_over(Database(db.url)) as engine:
        app = create_app(engine.db)
        app.state.serving = engine
        assert chosen(engine) == {first.advertiser_id}
        with live_server(app) as base, httpx.Client(base_url=base, timeout=10) as client:
            try:
                _autocommit(postgres_server_url, f'ALTER DATABASE "{name}" ALLOW_CONNECTIONS false')
                terminate_backends(postgres_server_url, name)
                wait_for(lambda: not engine.listening.is_set(), "LISTEN lost")
                wait_for(lambda: engine.health().failures >= 2, "two failed rounds")
                assert engine.health().running
                answer = client.get("/api/v1/health")
                assert answer.status_code == 503
                body = answer.json()
                assert "database" in body["failing"]
                assert body["database"]["reachable"] is False
                assert body["serving"]["running"] is True
                assert body["serving"]["listening"] is False
                assert body["serving"]["last_error"]
            finally:
                _autocommit(postgres_server_url, f'ALTER DATABASE "{name}" ALLOW_CONNECTIONS true')
            allowed = utcnow()
            wait_for(engine.listening.is_set, "LISTEN again")
            wait_for(
                lambda: (engine.health().last_reload_at or allowed) > allowed,
                "a reload once the database let it in again",
            )
            pause_elsewhere(db.url, campaign)  # heard by NOTIFY, now that it listens again
            wait_for(lambda: chosen(engine, 5) == {second.advertiser_id}, "the pause served")
            assert engine.health().last_notification_at is not None
            answer = client.get("/api/v1/health")
            assert answer.status_code == 200, answer.text
            assert answer.json()["serving"]["listening"] is True
