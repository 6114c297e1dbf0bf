"""Pooled PostgreSQL connections: tested only after they sat idle, and replaced when dead."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest
from sqlalchemy import text
from sqlalchemy.exc import OperationalError

from adwarden.store import engine as engine_module
from adwarden.store.engine import Database
from conftest import fresh_database_url


@pytest.fixture
def postgres(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[Database]:
    database = Database(fresh_database_url(request, "postgresql", tmp_path))
    yield database
    database.dispose()


def _backend(database: Database) -> int:
    with database.transaction() as session:
        return int(session.scalar(text("SELECT pg_backend_pid()")) or 0)


def _terminate(database: Database, pid: int) -> None:
    # from a connection of its own, outside the pool under test
    other = Database(database.url)
    try:
        with other.transaction() as session:
            assert session.scalar(text("SELECT pg_terminate_backend(:pid)"), {"pid": pid})
    finally:
        other.dispose()


def test_a_connection_closed_while_idle_is_replaced(
    postgres: Database, monkeypatch: pytest.MonkeyPatch
) -> None:
    first = _backend(postgres)
    assert _backend(postgres) == first  # the pool hands the same connection out again
    _terminate(postgres, first)
    monkeypatch.setattr(engine_module, "PING_AFTER_IDLE", 0.0)
    second = _backend(postgres)  # tested at checkout, found closed, replaced
    assert second != first


def test_a_connection_used_moments_ago_is_not_tested(postgres: Database) -> None:
    # the price of skipping the test: a connection killed between two close requests fails
    # the second once (and the pool then drops it), as it would under any pool
    first = _backend(postgres)
    _terminate(postgres, first)
    with pytest.raises(OperationalError):
        _backend(postgres)
    assert _backend(postgres) != first
