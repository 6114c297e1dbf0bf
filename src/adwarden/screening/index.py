"""The matcher over every current list entry, built once per list state and process.

There are two ways to an index. `index_for(session)` is exact: the index of the lists as
that session sees them, built at once when need be (screening in a transaction that just
changed a list must see that change). `request_index(session)` is for answering requests
(the self-check, a staff match): when the state it sees has no index yet, it answers with
the newest one this process has for the database while a background thread builds the
new one, so a list change makes no request wait; only a process that has none yet waits,
once, for its first.

Each state is built once per process, whoever asks first; the others wait for that build
(single flight). A background build reads the entries on a connection of its own, outside
the pool, and closes it before building. `state_of(engine)` says how the builds stand.
"""

from __future__ import annotations

import logging
import threading
import time
from collections import OrderedDict
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import Engine, func, select
from sqlalchemy.orm import Session

from adwarden.domain.errors import UnavailableError
from adwarden.lists.models import ListVersion, WatchList
from adwarden.lists.services import CurrentEntry, current_entries
from adwarden.screening.matcher import IndexedEntry, Matcher
from adwarden.store.base import utcnow
from adwarden.store.direct import direct_engine

log = logging.getLogger(__name__)

# A handful of list states at most are alive at once (one per database in tests).
_KEEP = 4
# A process may be asked about a few databases (tests make one per test); each keeps its
# newest index to answer with while the next one builds.
_KEEP_DATABASES = 4
# A request waits this long at most for a cold process's first index, then answers 503 with
# Retry-After: long enough for every list this project reads (seconds), short enough that a
# burst of cold requests does not hold the request threads for minutes.
FIRST_BUILD_WAIT = 60.0  # seconds
# How often a background build reads the entries again when a list changed while it read.
_READ_ATTEMPTS = 3
# After a background build failed, the next waits RETRY_FIRST, doubling with each failure
# in a row up to RETRY_MAX: requests asking for it must not build it over and over.
RETRY_FIRST = 1.0  # seconds
RETRY_MAX = 60.0  # seconds


@dataclass(frozen=True, slots=True)
class EntryRef:
    """Where a current entry sits in the database, for storing hits against it."""

    list_pk: int
    version: int
    added_in: int


@dataclass(frozen=True)
class ScreeningIndex:
    matcher: Matcher
    refs: dict[tuple[str, str], EntryRef]


Signature = tuple[tuple[str, int, str], ...]
Key = tuple[str, Signature]  # (database, list state)


@dataclass(frozen=True)
class _Built:
    state: Signature
    index: ScreeningIndex
    at: float  # time.monotonic() it was built


@dataclass(frozen=True)
class IndexState:
    """How one database's index stands in this process, for the health answer."""

    building: bool
    waiting: int  # callers waiting for a build: a cold process's first, or their state's
    lists: Signature | None  # the state of the index requests are answered with
    age: float | None  # seconds since that index was built
    last_build_seconds: float | None
    builds: int  # full builds in this process
    last_error: str | None  # of the last build, when it failed
    last_error_at: datetime | None


class _Database:
    """One database's builds in this process. Guarded by `_lock`."""

    def __init__(self) -> None:
        self.newest: _Built | None = None  # what requests answer with while a build runs
        self.builder = False  # a background thread is building
        self.again = False  # a newer state was asked for while it built
        self.building = 0  # builds under way, exact or in the background
        self.waiting = 0
        self.builds = 0
        self.last_seconds: float | None = None
        self.error: tuple[str, datetime] | None = None
        self.failure: Exception | None = None  # the background build's, for cold waiters
        self.failures = 0  # background builds failed in a row
        self.retry_at = 0.0  # time.monotonic() before which none begins again


_cache: OrderedDict[Key, _Built] = OrderedDict()
_flights: dict[Key, threading.Event] = {}  # builds under way, to be waited for
_databases: OrderedDict[str, _Database] = OrderedDict()
_lock = threading.Lock()
_changed = threading.Condition(_lock)  # told when a build ends, built or failed
# told (database, list state) as each build begins, in the thread that builds: for tests
# and for measuring
on_build: Callable[[str, Signature], None] | None = None


def list_state(session: Session) -> Signature:
    """Each list's newest version and its content hash: equal states, equal entries."""
    newest = (
        select(ListVersion.list_id, func.max(ListVersion.number).label("number"))
        .group_by(ListVersion.list_id)
        .subquery()
    )
    rows = session.execute(
        select(WatchList.slug, ListVersion.number, ListVersion.content_hash)
        .join(ListVersion, ListVersion.list_id == WatchList.id)
        .join(
            newest,
            (newest.c.list_id == ListVersion.list_id) & (newest.c.number == ListVersion.number),
        )
        .order_by(WatchList.slug)
    )
    return tuple((slug, number, digest) for slug, number, digest in rows)


def list_keys(session: Session) -> dict[str, int]:
    return {slug: pk for slug, pk in session.execute(select(WatchList.slug, WatchList.id))}


def indexed(entry: CurrentEntry) -> IndexedEntry:
    return IndexedEntry(
        list_id=entry.slug,
        entry_id=entry.entry_id,
        entity_type=entry.entity_type,
        names=entry.names(),
        countries=entry.countries,
        birth_dates=entry.birth_dates,
    )


def build_index(entries: Iterable[CurrentEntry], keys: dict[str, int]) -> ScreeningIndex:
    refs: dict[tuple[str, str], EntryRef] = {}

    def walk() -> Iterable[IndexedEntry]:
        for entry in entries:
            refs[(entry.slug, entry.entry_id)] = EntryRef(
                keys[entry.slug], entry.version, entry.added_in
            )
            yield indexed(entry)

    return ScreeningIndex(Matcher(walk()), refs)


def _name(bind: Engine) -> str:
    return str(bind.url)  # with the password hidden: a key, never connected with


def _database(name: str) -> _Database:
    """The builds of `name`; call with `_lock` held."""
    database = _databases.get(name)
    if database is None:
        database = _databases[name] = _Database()
        while len(_databases) > _KEEP_DATABASES:
            _databases.popitem(last=False)
    _databases.move_to_end(name)
    return database


def _cached(key: Key) -> _Built | None:
    """The index built for `key`; call with `_lock` held."""
    built = _cache.get(key)
    if built is not None:
        _cache.move_to_end(key)
    return built


def _build(
    name: str,
    state: Signature,
    entries: list[CurrentEntry],
    keys: dict[str, int],
    *,
    committed: bool,
) -> _Built:
    """Build and keep the index of `state`, whose flight the caller holds. Only a
    `committed` state's index may answer requests whose own state has none yet: a state
    read inside a transaction may never be committed."""
    with _lock:
        database = _database(name)
        database.building += 1
    try:
        if on_build is not None:
            on_build(name, state)
        started = time.monotonic()
        index = build_index(entries, keys)
    except Exception as exc:
        with _lock:
            database.building -= 1
            database.error = (f"{type(exc).__name__}: {exc}", utcnow())
        raise
    built = _Built(state, index, time.monotonic())
    with _lock:
        database.building -= 1
        database.builds += 1
        database.last_seconds = built.at - started
        database.error = None
        if committed:
            database.newest = built
        _cache[(name, state)] = built
        while len(_cache) > _KEEP:
            _cache.popitem(last=False)
        _changed.notify_all()
    return built


def _fly(key: Key) -> _Built | threading.Event | None:
    """The index of `key` when built; else the build under way to wait for; else None, and
    the caller holds the flight of `key` and must land it (`_land`)."""
    with _lock:
        built = _cached(key)
        if built is not None:
            return built
        flight = _flights.get(key)
        if flight is not None:
            return flight
        _flights[key] = threading.Event()
        return None


def _land(key: Key) -> None:
    with _lock:
        _flights.pop(key).set()


def index_for(session: Session) -> ScreeningIndex:
    """The index for the lists as this session sees them, cached while they stay the same.

    Exact: when this state has no index yet, the caller builds it (or waits for whoever is
    building it), from its own session, since the state may be one only it can see."""
    state = list_state(session)
    if not state:
        return _EMPTY
    name = _name(session.get_bind().engine)
    key = (name, state)
    while True:
        found = _fly(key)
        if isinstance(found, _Built):
            return found.index
        if found is not None:
            _wait_flight(name, found)  # then cached, or failed and this caller tries
            continue
        try:
            entries = list(current_entries(session))
            return _build(name, state, entries, list_keys(session), committed=False).index
        finally:
            _land(key)


def _wait_flight(name: str, flight: threading.Event) -> None:
    with _lock:
        database = _database(name)
        database.waiting += 1
    try:
        flight.wait()
    finally:
        with _lock:
            database.waiting -= 1


def request_index(session: Session) -> ScreeningIndex:
    """An index for answering a request at once: the one for the lists as this session sees
    them when it is built, else this process's newest for the database while that one
    builds in the background. Only a process with none yet waits, for its first.

    Call it before the session has a connection, where it can be: a cold wait then holds
    none."""
    engine = session.get_bind().engine
    name = _name(engine)
    with _lock:
        database = _database(name)
        if database.newest is None:
            _wait_first(database, engine)
    state = list_state(session)
    if not state:
        return _EMPTY
    with _lock:
        built = _cached((name, state))
        if built is not None:
            database.newest = built
            return built.index
        _build_later(database, engine)
        newest = database.newest
    assert newest is not None  # set by the first build, never unset
    return newest.index


def _wait_first(database: _Database, engine: Engine) -> None:
    """Wait for the first index of a cold process; call with `_lock` held."""
    _build_later(database, engine)
    database.waiting += 1
    try:
        if not _changed.wait_for(
            lambda: database.newest is not None or not database.builder, FIRST_BUILD_WAIT
        ):
            raise UnavailableError(
                f"the screening index is still being built (waited {FIRST_BUILD_WAIT:g} s); "
                "try again in a moment"
            )
    finally:
        database.waiting -= 1
    if database.newest is None:
        failure = database.failure
        raise UnavailableError(
            "the screening index could not be built; it is tried again shortly"
        ) from failure


def _build_later(database: _Database, engine: Engine) -> None:
    """Have the background thread build the newest state; call with `_lock` held."""
    if database.builder:
        database.again = True
        return
    if time.monotonic() < database.retry_at:
        return
    database.builder = True
    database.again = False
    name = _name(engine)
    threading.Thread(
        target=_builder, args=(database, engine, name), name="adwarden-index", daemon=True
    ).start()


def _builder(database: _Database, engine: Engine, name: str) -> None:
    while True:
        try:
            _build_committed(database, engine, name)
            failure = None
        except Exception as exc:
            log.error("building the screening index of %s failed", name, exc_info=exc)
            failure = exc
        with _lock:
            database.failure = failure
            if failure is None:
                database.error = None
                database.failures = 0
            else:
                database.error = (f"{type(failure).__name__}: {failure}", utcnow())
                database.failures += 1
                wait = min(RETRY_FIRST * 2 ** (database.failures - 1), RETRY_MAX)
                database.retry_at = time.monotonic() + wait
            if database.again and failure is None:
                database.again = False
                continue  # a request saw a newer state while this one built
            database.builder = False
            _changed.notify_all()
            return


def _build_committed(database: _Database, engine: Engine, name: str) -> None:
    """Build the newest committed state, unless it is built: read on a connection of one's
    own, which is closed before building."""
    for _ in range(_READ_ATTEMPTS):
        with Session(direct_engine(engine)) as session:
            state = list_state(session)
            if not state:
                with _lock:
                    database.newest = _Built(state, _EMPTY, time.monotonic())
                return
            key = (name, state)
            with _lock:
                built = _cached(key)
                if built is not None:
                    database.newest = built
                    return
            entries = list(current_entries(session))
            keys = list_keys(session)
            if list_state(session) != state:
                continue  # a list changed while being read: read again
        found = _fly(key)
        if isinstance(found, _Built):
            with _lock:
                database.newest = found
            return
        if found is not None:
            found.wait()
            with _lock:
                built = _cached(key)
                if built is not None:
                    database.newest = built
                    return
            continue  # the other build failed: this one tries
        try:
            _build(name, state, entries, keys, committed=True)
        finally:
            _land(key)
        return
    raise RuntimeError(f"the lists kept changing while read, {_READ_ATTEMPTS} times")


def state_of(engine: Engine) -> IndexState:
    """How the index of `engine`'s database stands in this process."""
    with _lock:
        database = _databases.get(_name(engine))
        if database is None:
            return IndexState(False, 0, None, None, None, 0, None, None)
        newest = database.newest
        error = database.error
        return IndexState(
            building=database.building > 0 or database.builder,
            waiting=database.waiting,
            lists=newest.state if newest is not None else None,
            age=time.monotonic() - newest.at if newest is not None else None,
            last_build_seconds=database.last_seconds,
            builds=database.builds,
            last_error=error[0] if error is not None else None,
            last_error_at=error[1] if error is not None else None,
        )


_EMPTY = ScreeningIndex(Matcher(()), {})
