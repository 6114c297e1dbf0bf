"""Engines and sessions for SQLite and PostgreSQL, from one database URL.

SQLite lets one connection write at a time, and its busy timeout does not make the others
wait their turn. It calls the busy handler only for a connection that holds no read lock
yet (waiting there could deadlock two readers that both want to write), so a transaction
that has read and then writes while another writes gets "database is locked" at once, and
under WAL so does one whose snapshot another writer has committed past since. The handler
polls rather than queues, too: among many writers, one can miss every chance for its whole
timeout. Left to the driver, a transaction began DEFERRED at its first write, after reads
it did not guard.

So a write transaction here (`Database.transaction()`) waits its turn, at its first
statement, on a lock that every engine over the file in this process shares, for at most
WRITE_WAIT, and begins IMMEDIATE: it holds the write lock before its first read, so what
it read stays true until it commits. Reads take no turn; WAL lets them run beside the
writer. A session from `Database.sessions()`, and a web request by GET, reads a statement
at a time, as on PostgreSQL; should it write after all, it takes its turn at its first
write, where the driver begins IMMEDIATE.
"""

from __future__ import annotations

import os
import re
import threading
import time
import weakref
from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any

import sqlalchemy.exc
from sqlalchemy import Connection, Engine, create_engine, event
from sqlalchemy.engine import URL, make_url
from sqlalchemy.exc import ArgumentError, DisconnectionError
from sqlalchemy.orm import Session, sessionmaker

# How long a request waits for a pooled connection before it is answered 503 (with
# Retry-After). A request holds one for milliseconds, so seconds of waiting mean the server
# is overloaded and telling the client to come back beats queueing it: SQLAlchemy's default
# of 30 s outlasted the clients, which gave up while the server went on to answer a 500.
POOL_TIMEOUT = 3.0  # seconds

# PostgreSQL, per process: SQLAlchemy's default pool (5 kept, 10 more under load), not one
# per thread that runs requests (anyio's 40). Each connection is a server process counted
# against max_connections (100 by default) and `serve --processes N` takes N pools; a
# request holds a connection for milliseconds, so 15 keep 40 threads going, and past that a
# request waits at most POOL_TIMEOUT and is answered 503.
POSTGRES_POOL_SIZE = 5
POSTGRES_MAX_OVERFLOW = 10

# SQLite: a connection is a file handle and a page cache, nothing on a server, so the pool
# is as large as the 40 threads that run requests and is never what they wait for, even
# with every thread a writer holding its connection while it waits its turn. The overflow
# covers a thread holding two at once: a commit hook reading what it changed into the ad
# server, an error page.
SQLITE_POOL_SIZE = 40
SQLITE_MAX_OVERFLOW = 40

# The longest a write waits for its turn in this process before it is answered 503. The
# server's own write transactions take milliseconds, so only an overload waits this long.
WRITE_WAIT = 5.0  # seconds

# SQLite's own wait, for the write lock held by another process (a CLI command, a serving
# process in a test): far longer than any of the server's write transactions. A longer one
# (a list import screening everyone) makes a request answer 503 rather than hang.
BUSY_TIMEOUT = 5.0  # seconds

# The driver's own BEGIN goes before these statements only (Python 3.11's sqlite3 module);
# a read session takes its turn to write just before it
_WRITES = re.compile(r"\s*(?:INSERT|UPDATE|DELETE|REPLACE)\b", re.IGNORECASE)
_IMMEDIATE = "adwarden_immediate"  # execution option: begin the transaction IMMEDIATE
_HOLDS_TURN = "adwarden_holds_turn"  # connection info: took its turn at its first write


class DatabaseBusyError(Exception):
    """A write waited WRITE_WAIT for its turn and did not get it; worth trying again."""


class WriteTurn:
    """One writer at a time among the engines of this process over one SQLite file.

    A plain lock, not a reentrant one: a web request may begin its transaction in one worker
    thread and end it in another.
    """

    __slots__ = ("__weakref__", "_lock")

    def __init__(self) -> None:
        self._lock = threading.Lock()

    def take(self) -> None:
        if not self._lock.acquire(timeout=WRITE_WAIT):
            raise DatabaseBusyError(f"no turn to write within {WRITE_WAIT:g} s")

    def give_back(self) -> None:
        self._lock.release()

    @contextmanager
    def held(self) -> Iterator[None]:
        self.take()
        try:
            yield
        finally:
            self.give_back()


_turns: weakref.WeakValueDictionary[str, WriteTurn] = weakref.WeakValueDictionary()
_turns_lock = threading.Lock()


def _sqlite_file(url: URL) -> str | None:
    database = url.database
    if not database or database == ":memory:" or url.query.get("mode") == "memory":
        return None
    return os.path.realpath(database)


def write_turn(url: str) -> WriteTurn | None:
    """The turn to write shared by every engine over this SQLite file; None on PostgreSQL
    and for a database in memory, which has one connection and nobody to wait for."""
    parsed = make_url(normalise_url(url))
    path = _sqlite_file(parsed) if parsed.get_backend_name() == "sqlite" else None
    if path is None:
        return None
    with _turns_lock:
        turn = _turns.get(path)
        if turn is None:
            turn = _turns[path] = WriteTurn()
        return turn


def is_busy(exc: BaseException) -> bool:
    """Whether `exc` means the database was too busy to answer in time, so that the same
    request is worth sending again: no pooled connection came free, no turn to write came,
    or SQLite's write lock stayed with another process past the busy timeout."""
    if isinstance(exc, DatabaseBusyError | sqlalchemy.exc.TimeoutError):
        return True
    if isinstance(exc, sqlalchemy.exc.OperationalError):
        name = getattr(exc.orig, "sqlite_errorname", "")
        return isinstance(name, str) and name.startswith("SQLITE_BUSY")
    return False


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
    cursor.execute(f"PRAGMA busy_timeout={int(BUSY_TIMEOUT * 1000)}")
    cursor.close()
    # the driver's own BEGIN, before a read session's first write, takes the write lock at
    # once rather than upgrading later (the same as the BEGIN IMMEDIATE of a write session)
    dbapi_connection.isolation_level = "IMMEDIATE"


def _take_turns(engine: Engine, turn: WriteTurn | None) -> None:
    """Writers on SQLite one at a time, each holding the write lock from its BEGIN; see the
    module's docstring."""

    def begin(connection: Connection) -> None:
        if not connection.get_execution_options().get(_IMMEDIATE):
            return
        # The turn at the first statement, not when the session opens: a helper that writes
        # in a transaction of its own before the outer one has begun does not wait for it.
        if turn is not None and not connection.info.get(_HOLDS_TURN):
            turn.take()
            connection.info[_HOLDS_TURN] = True
        connection.exec_driver_sql("BEGIN IMMEDIATE")

    event.listen(engine, "begin", begin)
    if turn is None:
        return

    def before_write(
        connection: Connection,
        cursor: Any,
        statement: str,
        _parameters: Any,
        _context: Any,
        _executemany: bool,
    ) -> None:
        # A read session's first write: its turn first, then the driver's BEGIN IMMEDIATE.
        # A write session began IMMEDIATE in its turn already, so is in a transaction here.
        if cursor.connection.in_transaction or connection.info.get(_HOLDS_TURN):
            return
        if _WRITES.match(statement):
            turn.take()
            connection.info[_HOLDS_TURN] = True

    def checked_in(_dbapi_connection: Any, record: Any) -> None:
        # back in the pool only once its transaction committed or rolled back, however it ended
        if record.info.pop(_HOLDS_TURN, False):
            turn.give_back()

    event.listen(engine, "before_cursor_execute", before_write)
    event.listen(engine, "checkin", checked_in)


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
    normalised = normalise_url(url)
    parsed = make_url(normalised)
    if parsed.get_backend_name() != "sqlite":
        engine = create_engine(
            normalised,
            pool_size=POSTGRES_POOL_SIZE,
            max_overflow=POSTGRES_MAX_OVERFLOW,
            pool_timeout=POOL_TIMEOUT,
        )
        _ping_when_idle(engine)
        return engine
    if _sqlite_file(parsed) is None:  # in memory: one connection per thread, no pool to size
        engine = create_engine(normalised)
    else:
        engine = create_engine(
            normalised,
            pool_size=SQLITE_POOL_SIZE,
            max_overflow=SQLITE_MAX_OVERFLOW,
            pool_timeout=POOL_TIMEOUT,
        )
    event.listen(engine, "connect", _sqlite_pragmas)
    _take_turns(engine, write_turn(normalised))
    return engine


class Database:
    """One engine and its session factory; the web app and CLI each hold one."""

    def __init__(self, url: str) -> None:
        self.url = normalise_url(url)
        self.engine = make_engine(self.url)
        # Sessions to read with: on SQLite, a statement at a time until a first write, if any
        # (see the module's docstring). A transaction to write in is `transaction()`.
        self.sessions = sessionmaker(self.engine, expire_on_commit=False)

    @contextmanager
    def transaction(self, *, writes: bool = True) -> Iterator[Session]:
        """A session whose work commits together, or not at all.

        On SQLite, one that `writes` waits its turn at its first statement (DatabaseBusyError
        after WRITE_WAIT) and holds the write lock from there, so what it reads stays true
        until it commits; one that only reads waits for nothing, and takes its turn at a
        first write if any.
        """
        options = {_IMMEDIATE: True} if writes else {}
        with self.sessions(execution_options=options) as session, session.begin():
            yield session

    def dispose(self) -> None:
        self.engine.dispose()
