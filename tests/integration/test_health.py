"""`GET /api/v1/health` over real HTTP on both engines: every part reported, 503 with the
failing part named when the database does not answer, the ad server's thread is not
running or a registered probe fails, and an answer even when the pool has no connection."""

from __future__ import annotations

import time
import uuid
from pathlib import Path
from typing import Any

import httpx
from sqlalchemy import func, select, text
from sqlalchemy.engine import make_url
from sqlalchemy.orm import Session
from test_serving_upkeep import small_pool, wait_for

from adwarden.auth.models import User
from adwarden.serving.engine import ServingEngine
from adwarden.store import health as probes
from adwarden.store.direct import PROBE_TIMEOUT
from adwarden.store.engine import Database
from adwarden.store.migrate import head_revision
from adwarden.web.app import create_app
from support import live_server, make_staff


def health(client: httpx.Client) -> tuple[int, dict[str, Any]]:
    answer = client.get("/api/v1/health")
    body: dict[str, Any] = answer.json()
    return answer.status_code, body


def test_every_part_is_reported_and_a_stopped_thread_fails_health(db: Database) -> None:
    app = create_app(db)
    with live_server(app) as base, httpx.Client(base_url=base, timeout=10) as client:
        code, body = health(client)
        assert code == 200, body
        assert body["status"] == "ok"
        assert body["failing"] == []
        assert body["database"] == {
            "ok": True,
            "reachable": True,
            "dialect": db.engine.dialect.name,
            "schema_revision": head_revision(),
            "error": None,
        }
        assert body["serving"]["started"] is False  # no ad asked for yet
        assert body["serving"]["database_version"] == 0
        assert body["screening"]["ok"] is True
        assert body["queue"]["ok"] is True

        engine = app.state.serving = ServingEngine(db)
        engine.snapshot()
        wait_for(lambda: health(client)[1]["serving"]["last_upkeep_at"] is not None, "upkeep")
        code, body = health(client)
        assert code == 200, body
        serving = body["serving"]
        assert serving["started"] is True
        assert serving["running"] is True
        assert serving["listening"] is True
        assert serving["snapshot_version"] == serving["database_version"] == 0
        assert serving["version_lag"] == 0
        assert 0 <= serving["snapshot_age_seconds"] <= serving["max_snapshot_age_seconds"]
        assert serving["last_reload_at"] is not None
        assert serving["last_error"] is None

        engine.close()
        code, body = health(client)
        assert code == 503
        assert body["status"] == "failing"
        assert body["failing"] == ["serving"]
        assert body["serving"]["running"] is False
        assert body["serving"]["problems"] == ["the serving thread is not running"]


def _missing(url: str, tmp_path: Path) -> str:
    parsed = make_url(url)
    if parsed.get_backend_name() == "sqlite":
        return f"sqlite:///{tmp_path / 'no-such-folder' / 'adwarden.db'}"
    return parsed.set(database=f"missing_{uuid.uuid4().hex[:8]}").render_as_string(
        hide_password=False
    )


def test_a_database_that_does_not_answer_fails_health_at_once(db_url: str, tmp_path: Path) -> None:
    gone = Database(_missing(db_url, tmp_path))
    stop_queue = probes.register(probes.QUEUE, lambda _session: probes.Reading(True))
    try:
        with (
            live_server(create_app(gone)) as base,
            httpx.Client(base_url=base, timeout=10) as client,
        ):
            started = time.monotonic()
            code, body = health(client)
            assert time.monotonic() - started < PROBE_TIMEOUT + 3
    finally:
        stop_queue()
        gone.dispose()
    assert code == 503
    assert body["database"]["reachable"] is False
    assert body["database"]["error"]
    # a probe reads the database: it cannot vouch for its part either
    assert body["failing"] == ["database", "queue"]
    assert body["queue"]["detail"] == {"error": "the database did not answer"}


def test_health_answers_while_every_pooled_connection_is_taken(db_url: str) -> None:
    served = small_pool(db_url)
    held = served.engine.connect()  # the pool's only connection
    try:
        held.execute(text("SELECT 1"))
        with (
            live_server(create_app(served)) as base,
            httpx.Client(base_url=base, timeout=10) as client,
        ):
            started = time.monotonic()
            code, body = health(client)
            assert time.monotonic() - started < PROBE_TIMEOUT + 3
            assert code == 200, body
            assert body["database"]["reachable"] is True
    finally:
        held.close()
        served.dispose()


def test_registered_probes_are_read_and_fail_health(db: Database) -> None:
    make_staff(db)

    def backlog(session: Session) -> probes.Reading:
        # read through the session health hands over, like a queue counting its rows
        count = session.scalar(select(func.count()).select_from(User)) or 0
        return probes.Reading(count < 5, {"backlog": count, "oldest_seconds": 1.5})

    def broken(session: Session) -> probes.Reading:
        session.execute(text("SELECT * FROM no_such_table"))
        return probes.Reading(True)

    with (
        live_server(create_app(db)) as base,
        httpx.Client(base_url=base, timeout=10) as client,
    ):
        before = health(client)[1]  # with whatever queue the stages registered
        stop_queue = probes.register(probes.QUEUE, backlog)
        try:
            code, body = health(client)
            assert code == 200, body
            assert body["queue"] == {
                "ok": True,
                "detail": {"backlog": 1, "oldest_seconds": 1.5},
                "registered": True,
                "backlog": 1,
            }
            for _ in range(4):
                make_staff(db)
            code, body = health(client)
            assert code == 503
            assert body["failing"] == ["queue"]
            assert body["queue"]["backlog"] == 5

            stop_broken = probes.register("broken", broken)
            try:
                code, body = health(client)
                assert code == 503
                assert body["failing"] == ["queue", "broken"]
                assert "no_such_table" in body["probes"]["broken"]["detail"]["error"]
                assert body["queue"]["backlog"] == 5  # read before the broken probe
            finally:
                stop_broken()
        finally:
            stop_queue()
        code, body = health(client)
        assert code == 200, body
        assert body["queue"] == before["queue"]  # the probe replaced is back
        assert body["probes"] == before["probes"]
