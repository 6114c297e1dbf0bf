"""Engines and sessions for SQLite and PostgreSQL, from one database URL."""

from __future__ import annotations

import time
from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any

from sqlalchemy import Engine, create_engine, event
from sqlalchemy.engine import make_url
from sqlalchemy.exc import ArgumentError, DisconnectionError
from sqlalchemy.orm import Session, sessionmaker


class DatabaseURLError(ValueError):
    """The database URL is malformed or names an engine adwarden does not support."""


def normalise_url(url: str) -> str:
    """Accept the URLs people paste (`postgres://`, `postgresql://`) and pick our drivers."""
    try:
        parsed = make_url(url)
    except ArgumentError as exc:
        raise DatabaseURLError(f"database URL {url!r} is malformed: {exc}") from None
    backend = parsed.get_backend_name()
    if backend in ("postgres", "postgresql"):
        return parsed.set(drivername="postgresql+psycopg").render_as_string(hide_password=False)
    if backend == "sqlite":
        return parsed.set(drivername="sqlite").render_as_string(hide_password=False)
    raise DatabaseURLError(
        f"database URL {url!r} uses {backend!r}; adwarden supports sqlite:/// and postgresql://"
    )


def _casefold(value: str | None) -> str | None:
    return value.casefold() if value is not None else None


def _sqlite_pragmas(dbapi_connection: Any, _record: Any) -> None:
    # SQLite's lower() and LIKE fold ASCII only; searches in any script fold with Python's
    dbapi_connection.create_function("casefold", 1, _casefold, deterministic=True)
    cursor = dbapi_connection.cursor()
    cursor.execute("PRAGMA foreign_keys=ON")
    cursor.execute("PRAGMA journal_mode=WAL")
    cursor.execute("PRAGMA busy_timeout=5000")
    cursor.close()


# A pooled connection idle longer than this is tested before it is handed out. Testing every
# one (pool_pre_ping) cost a round trip per request, a tenth of a quick search's time.
PING_AFTER_IDLE = 10.0  # seconds


def _ping_when_idle(engine: Engine) -> None:
    def checked_in(_dbapi_connection: Any, record: Any) -> None:
        record.info["idle_since"] = time.monotonic()

    def checked_out(dbapi_connection: Any, record: Any, _proxy: Any) -> None:
        idle_since = record.info.get("idle_since")
        if idle_since is None or time.monotonic() - idle_since <= PING_AFTER_IDLE:
            return
        try:
            engine.dialect.do_ping(dbapi_connection)
        except engine.dialect.loaded_dbapi.Error as exc:
            # the pool discards the connection and hands out a new one
            raise DisconnectionError("a pooled connection was closed while idle") from exc

    event.listen(engine, "checkin", checked_in)
    event.listen(engine, "checkout", checked_out)


def make_engine(url: str) -> Engine:
    engine = create_engine(normalise_url(url))
    if engine.dialect.name == "sqlite":
        event.listen(engine, "connect", _sqlite_pragmas)
    else:
        _ping_when_idle(engine)
    return engine


class Database:
    """One engine and its session factory; the web app and CLI each hold one."""

    def __init__(self, url: str) -> None:
        self.url = normalise_url(url)
        self.engine = make_engine(self.url)
        self.sessions = sessionmaker(self.engine, expire_on_commit=False)

    @contextmanager
    def transaction(self) -> Iterator[Session]:
        """A session whose work commits together, or not at all."""
        with self.sessions() as session, session.begin():
            yield session

    def dispose(self) -> None:
        self.engine.dispose()
