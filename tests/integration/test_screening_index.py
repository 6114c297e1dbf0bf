"""The screening index under load, on both engines: each list state is built once per
process, off the request path once a first index exists, on no pooled connection; a
storm of self-checks right after a list import leaves other pages answering; an importing
transaction still screens against exactly what it imported."""

from __future__ import annotations

import threading
import time
from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path
from typing import Any

import httpx
import pytest
from sqlalchemy import text
from test_serving_upkeep import wait_for

from adwarden.domain.enums import ListFormat, ListKind
from adwarden.screening import index as index_module
from adwarden.screening.index import Signature, index_for, request_index, state_of
from adwarden.screening.services import import_and_screen
from adwarden.store.engine import Database
from adwarden.web.app import create_app
from support import SYSTEM, live_server, publish_default_policy

SLUG = "directive"
STORM = 16
NEW_NAME = "Zyxel Quorum Holdings"


class Gate:
    """Holds every index build at its start until opened, so that what happens while one
    is under way can be watched."""

    def __init__(self) -> None:
        self.opened = threading.Event()
        self.builds: list[Signature] = []

    def __call__(self, _database: str, state: Signature) -> None:
        self.builds.append(state)
        if not self.opened.wait(120):
            raise RuntimeError("the test never opened the gate")


@pytest.fixture
def gate(monkeypatch: pytest.MonkeyPatch) -> Iterator[Gate]:
    held = Gate()
    monkeypatch.setattr(index_module, "on_build", held)
    try:
        yield held
    finally:
        held.opened.set()  # no build left waiting on a finished test


def import_list(db: Database, tmp_path: Path, *, extra: str | None = None) -> None:
    """A directive list of some size, so that a build is real work; `extra` adds a name."""
    rows = ["id,name,type", "bod-1,AO Kaspersky Lab,organization"]
    rows += [f"bulk-{n},Meridian Trading Company {n} Holdings,organization" for n in range(800)]
    if extra is not None:
        rows.append(f"new-1,{extra},organization")
    path = tmp_path / f"directive-{len(rows)}.csv"
    path.write_text("\n".join(rows) + "\n", encoding="utf-8")
    with db.transaction() as session:
        import_and_screen(session, SYSTEM, path, ListFormat.csv, SLUG, ListKind.directive)


def storm(base: str, name: str) -> list[httpx.Response]:
    """STORM self-checks at once, each on a connection of its own."""
    start = threading.Barrier(STORM)

    def check(_: int) -> httpx.Response:
        with httpx.Client(base_url=base, timeout=120) as client:
            start.wait()
            return client.post("/api/v1/public/self-check", json={"names": [name]})

    with ThreadPoolExecutor(STORM) as pool:
        return list(pool.map(check, range(STORM)))


def matched(answer: httpx.Response) -> set[str]:
    assert answer.status_code == 200, answer.text
    return {match["entry_id"] for match in answer.json()["matches"]}


def quick_health(client: httpx.Client) -> dict[str, Any]:
    started = time.monotonic()
    answer = client.get("/api/v1/health")
    assert time.monotonic() - started < 5
    assert answer.status_code == 200, answer.text
    body: dict[str, Any] = answer.json()
    return body


def work_connections(db: Database) -> int:
    """Connections a background build has open on PostgreSQL (none on SQLite, which has
    no server to ask)."""
    if db.engine.dialect.name != "postgresql":
        return 0
    with db.sessions() as session:
        return int(
            session.scalar(
                text(
                    "SELECT count(*) FROM pg_stat_activity"
                    " WHERE datname = current_database() AND application_name = 'adwarden-work'"
                )
            )
            or 0
        )


def test_a_storm_of_self_checks_builds_each_index_once_and_leaves_other_pages_alone(
    db: Database, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    publish_default_policy(db)
    import_list(db, tmp_path)
    with (
        live_server(create_app(db)) as base,
        httpx.Client(base_url=base, timeout=10) as client,
        ThreadPoolExecutor(1) as background,
    ):
        # a cold process: every request waits for the one first build, holding no connection
        cold = Gate()
        monkeypatch.setattr(index_module, "on_build", cold)
        try:
            answers = background.submit(storm, base, "Kaspersky Lab")
            wait_for(lambda: state_of(db.engine).waiting == STORM, "the storm waiting")
            assert db.engine.pool.checkedout() == 0
            # read, closed, then built (a server process ends a moment after its client)
            wait_for(lambda: work_connections(db) == 0, "the build's connection closed")
            screening = quick_health(client)["screening"]
            assert screening["building"] is True
            assert screening["waiting"] == STORM
        finally:
            cold.opened.set()
        assert all(matched(answer) == {"bod-1"} for answer in answers.result(120))
        assert len(cold.builds) == 1
        assert state_of(db.engine).builds == 1

        # right after an import: answered from the index before it while the new one builds
        import_list(db, tmp_path, extra=NEW_NAME)
        warm = Gate()
        monkeypatch.setattr(index_module, "on_build", warm)
        try:
            assert all(matched(answer) == set() for answer in storm(base, NEW_NAME))
            assert db.engine.pool.checkedout() == 0
            wait_for(lambda: work_connections(db) == 0, "the build's connection closed")
            screening = quick_health(client)["screening"]
            assert screening["building"] is True
            assert screening["lists"] == [{"list": SLUG, "version": 1}]
        finally:
            warm.opened.set()
        wait_for(lambda: not state_of(db.engine).building, "the new index built")
        assert len(warm.builds) == 1
        assert state_of(db.engine).builds == 2
        fresh = client.post("/api/v1/public/self-check", json={"names": [NEW_NAME]})
        assert matched(fresh) == {"new-1"}
        screening = quick_health(client)["screening"]
        assert screening["lists"] == [{"list": SLUG, "version": 2}]
        assert screening["ok"] is True
        assert screening["last_build_seconds"] is not None
        assert state_of(db.engine).builds == 2

        # nothing held: a storm while the next index builds for real, and health meanwhile
        import_list(db, tmp_path, extra="Another Holdings")
        storming = background.submit(storm, base, "Kaspersky Lab")
        while not storming.done():
            quick_health(client)
        assert all(matched(answer) == {"bod-1"} for answer in storming.result())
        wait_for(lambda: not state_of(db.engine).building, "the third index built")
        assert state_of(db.engine).builds == 3


def _new_entry_in(found: index_module.ScreeningIndex) -> bool:
    return (SLUG, "new-1") in found.refs


def test_an_importing_transaction_screens_against_what_it_imported(
    db: Database, tmp_path: Path
) -> None:
    import_list(db, tmp_path)
    with db.sessions() as session:
        assert not _new_entry_in(request_index(session))  # a first index, version 1
    path = tmp_path / "with-new.csv"
    path.write_text(
        f"id,name,type\nbod-1,AO Kaspersky Lab,organization\nnew-1,{NEW_NAME},organization\n",
        encoding="utf-8",
    )
    with db.transaction() as session:
        import_and_screen(session, SYSTEM, path, ListFormat.csv, SLUG, ListKind.directive)
        assert _new_entry_in(index_for(session))  # not yet committed: only it sees it
        with db.sessions() as other:
            assert not _new_entry_in(index_for(other))
    with db.sessions() as session:
        assert _new_entry_in(index_for(session))  # the same state, now committed: kept
    assert state_of(db.engine).builds == 2  # version 1, and version 2 once


def test_callers_that_need_the_same_index_build_it_once(
    db: Database, tmp_path: Path, gate: Gate
) -> None:
    import_list(db, tmp_path)
    callers = 8
    found: list[index_module.ScreeningIndex] = []

    def screen() -> None:
        with db.sessions() as session:
            found.append(index_for(session))

    threads = [threading.Thread(target=screen) for _ in range(callers)]
    for thread in threads:
        thread.start()
    try:
        wait_for(lambda: len(gate.builds) == 1, "a build begun")
        wait_for(lambda: state_of(db.engine).waiting == callers - 1, "the others waiting")
    finally:
        gate.opened.set()
    for thread in threads:
        thread.join(60)
    assert len(found) == callers
    assert len({id(index) for index in found}) == 1
    assert len(gate.builds) == 1
    assert state_of(db.engine).builds == 1


def test_a_failed_build_is_reported_and_tried_again(
    db: Database, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    import_list(db, tmp_path)
    with db.sessions() as session:
        first = request_index(session)
    import_list(db, tmp_path, extra=NEW_NAME)

    def fail(_database: str, _state: Signature) -> None:
        raise MemoryError("no room for the index")

    monkeypatch.setattr(index_module, "on_build", fail)
    with db.sessions() as session:
        assert request_index(session) is first  # the previous index answers meanwhile
    wait_for(lambda: not state_of(db.engine).building, "the build ended")
    with db.sessions() as session:
        assert request_index(session) is first  # and no build begins again at once
    assert not state_of(db.engine).building
    with (
        live_server(create_app(db)) as base,
        httpx.Client(base_url=base, timeout=10) as client,
    ):
        body = quick_health(client)  # the previous index still answers: degraded, not failing
        assert body["status"] == "degraded"
        assert body["screening"]["ok"] is False
        assert "MemoryError: no room for the index" in body["screening"]["last_error"]
        assert body["screening"]["lists"] == [{"list": SLUG, "version": 1}]

        monkeypatch.setattr(index_module, "on_build", None)

        def rebuilt() -> bool:
            with db.sessions() as session:
                request_index(session)  # asks for the build again, once a while has passed
            state = state_of(db.engine)
            return state.builds == 2 and not state.building

        wait_for(rebuilt, "the index built again")
        body = quick_health(client)
        assert body["status"] == "ok"
        assert body["screening"]["lists"] == [{"list": SLUG, "version": 2}]
        assert body["screening"]["last_error"] is None
    with db.sessions() as session:
        assert _new_entry_in(request_index(session))
