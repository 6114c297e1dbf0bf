"""The ad server of one process: a snapshot in memory, kept fresh by eligibility changes.

Requests never query the database (except for the very first, which loads the snapshot).
An eligibility change is applied as soon as it is heard of: from this process by a commit
hook, from any process through PostgreSQL's LISTEN/NOTIFY, read by a thread. The same
thread refreshes today's counted spend once a second, for pacing, checks the database's
eligibility version (how changes by other processes reach a process on SQLite, or one
whose notification was lost), and reloads everything when a change was missed or the day
turned; the request path only reads. The hard budget and enforcement checks happen where
events are counted (ledger.py), so a snapshot that lags can hand out an ad that will not
be counted, never one that is paid for.

The thread outlives every error: it logs it, marks the snapshot stale and tries again,
waiting longer each time (up to RETRY_MAX). `health()` says how it is doing.
"""

from __future__ import annotations

import logging
import sys
import threading
import time
import uuid
from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime

import psycopg

from adwarden import settings
from adwarden.domain.enums import LedgerKind
from adwarden.domain.errors import InvalidInputError
from adwarden.serving.auction import AdRequest, FrequencyCap, Slot, run_auction
from adwarden.serving.eligibility import CHANNEL, Change, current_version, on_change
from adwarden.serving.snapshot import Snapshot, load_candidates, load_snapshot, load_spend_today
from adwarden.serving.tokens import EventClaim, sign, viewer_of
from adwarden.store.base import utcnow
from adwarden.store.engine import Database

log = logging.getLogger(__name__)

SPEND_REFRESH_SECONDS = 1.0
UPKEEP_SECONDS = 0.25  # how often the thread looks for work
SWITCH_INTERVAL = 0.0005  # seconds
_RECENT = 10_000  # changes kept to replay onto a snapshot that was loading meanwhile
# A snapshot not loaded or checked against the database for longer than this may be
# choosing ads that were stopped since: health fails (the ledger still refuses to count them).
SNAPSHOT_MAX_AGE = 30.0  # seconds
# After a failure the thread waits RETRY_FIRST, doubling with each failure in a row up to
# RETRY_MAX: a database that is down is not hammered, one that is back is found soon.
RETRY_FIRST = 0.25  # seconds
RETRY_MAX = 10.0  # seconds
LISTEN_CONNECT_TIMEOUT = 5  # seconds; libpq's, whole seconds


@dataclass(frozen=True)
class AdDecision:
    decision_id: str
    slot: Slot
    impression_token: str
    click_token: str


@dataclass(frozen=True)
class EngineHealth:
    """How a serving process's background work stands, for the health answer."""

    background: bool  # whether it runs a thread at all
    running: bool  # whether that thread is alive
    listening: bool  # LISTEN in place (PostgreSQL); always true on SQLite
    snapshot_version: int | None  # None: no snapshot loaded yet
    snapshot_age: float | None  # seconds since it was loaded or last checked in full
    last_upkeep_at: datetime | None  # the thread's last round without an error
    last_reload_at: datetime | None
    last_notification_at: datetime | None
    last_error: str | None
    last_error_at: datetime | None
    failures: int  # the thread's failed rounds in a row

    @property
    def problems(self) -> list[str]:
        found = []
        if self.background and not self.running:
            found.append("the serving thread is not running")
        if self.snapshot_age is not None and self.snapshot_age > SNAPSHOT_MAX_AGE:
            found.append(
                f"the snapshot was last checked {self.snapshot_age:.1f} s ago "
                f"(more than {SNAPSHOT_MAX_AGE:g} s)"
            )
        return found


class ServingEngine:
    def __init__(self, db: Database, *, background: bool = True) -> None:
        self.db = db
        self.frequency = FrequencyCap()
        self._key = settings.serving_key()
        self._snapshot: Snapshot | None = None
        self._stale = False
        self._recent: list[Change] = []
        self._lock = threading.RLock()
        self._stop = threading.Event()
        # the database's version a spend refresh found the snapshot without; a full reload
        # follows when the next refresh finds it still missing
        self._unheard: int | None = None
        self._checked: float | None = None  # time.monotonic() the snapshot was last checked
        self._last_upkeep: datetime | None = None
        self._last_reload: datetime | None = None
        self._last_notification: datetime | None = None
        self._last_error: tuple[str, datetime] | None = None
        self._failures = 0
        self._unsubscribe = on_change(self.apply)
        # told (version, time.monotonic()) each time a change is in the snapshot: for measuring
        self.on_applied: Callable[[int, float], None] | None = None
        self._thread: threading.Thread | None = None
        self._listens = db.engine.dialect.name == "postgresql"
        # set while LISTEN is in place (at once where there is nothing to listen to): a
        # snapshot loaded after it misses no change
        self.listening = threading.Event()
        if not self._listens:
            self.listening.set()
        if background:
            # the thread that applies changes must get the interpreter promptly while
            # requests keep the event loop busy: hand it over every 0.5 ms, not every 5 ms
            sys.setswitchinterval(min(sys.getswitchinterval(), SWITCH_INTERVAL))
            self._thread = threading.Thread(target=self._run, name="adwarden-serving", daemon=True)
            self._thread.start()

    @property
    def key(self) -> bytes:
        """The key this process signs and checks event URLs with."""
        return self._key

    @property
    def current(self) -> Snapshot | None:
        """The snapshot as it stands, without loading one."""
        return self._snapshot

    def health(self) -> EngineHealth:
        current = self._snapshot
        checked = self._checked
        error = self._last_error
        return EngineHealth(
            background=self._thread is not None,
            running=self._thread is not None and self._thread.is_alive(),
            listening=self.listening.is_set(),
            snapshot_version=current.version if current is not None else None,
            snapshot_age=(
                time.monotonic() - checked if current is not None and checked is not None else None
            ),
            last_upkeep_at=self._last_upkeep,
            last_reload_at=self._last_reload,
            last_notification_at=self._last_notification,
            last_error=error[0] if error is not None else None,
            last_error_at=error[1] if error is not None else None,
            failures=self._failures,
        )

    def _applied(self, version: int) -> None:
        if self.on_applied is not None:
            self.on_applied(version, time.monotonic())

    def _failed(self, what: str, exc: Exception) -> None:
        """Log `exc` with its traceback and remember it; the snapshot is reloaded once the
        database answers again, since a change may have been missed meanwhile."""
        self._stale = True
        self._last_error = (f"{what}: {type(exc).__name__}: {exc}", utcnow())
        log.error("serving: %s", what, exc_info=exc)

    def apply(self, change: Change) -> None:
        """Bring the snapshot up to `change`: patch one advertiser when the change follows
        the snapshot's own version; otherwise leave a full reload to the upkeep thread."""
        with self._lock:
            self._recent = [*self._recent[-_RECENT:], change]
            current = self._snapshot
            if current is None or change.version <= current.version:
                return
            if change.advertiser_id is None or change.version != current.version + 1:
                self._stale = True
                return
            try:
                with self.db.sessions() as session:
                    fresh = load_candidates(session, utcnow(), change.advertiser_id)
            except Exception as exc:
                # this runs in the commit hook of whoever made the change, whose commit
                # stands: the error is ours, and the thread's reload repairs it
                self._failed(f"applying eligibility version {change.version}", exc)
                return
            current.replace_advertiser(change.advertiser_id, fresh)
            current.version = change.version
            self._applied(current.version)

    def _reload(self) -> None:
        """A whole new snapshot, built outside the lock; the changes applied to the old one
        while it was loading are replayed onto it before it is swapped in."""
        with self.db.sessions() as session:
            fresh = load_snapshot(session, utcnow())
        with self._lock:
            self._stale = False
            self._unheard = None
            later = [c for c in self._recent if c.version > fresh.version]
            self._snapshot = fresh
            self._checked = time.monotonic()
            self._last_reload = utcnow()
            for change in sorted(later, key=lambda c: c.version):
                self.apply(change)
            self._applied(self._snapshot.version)

    def upkeep(self, last_spend: float) -> float:
        """Reload when stale or a new day began; else refresh today's spend each second and
        check the version. Returns when spend was last refreshed."""
        current = self._snapshot
        if current is None:
            return last_spend
        now = utcnow()
        if self._stale or current.day != now.date():
            self._reload()
            return time.monotonic()
        if time.monotonic() - last_spend < SPEND_REFRESH_SECONDS:
            return last_spend
        with self.db.sessions() as session:
            today = load_spend_today(session, now.date())
            version = current_version(session)
        current.spent_today = today  # one reference swap: requests see old or new, whole
        self._checked = time.monotonic()
        with self._lock:
            # a change may be read here before its notification or commit hook arrives:
            # only one still missing a second later was missed
            if self._unheard is not None and current.version < self._unheard:
                self._stale = True
            self._unheard = version if version > current.version else None
        return time.monotonic()

    def _run(self) -> None:
        """The background thread. It ends only when close() is called."""
        work = self._listen if self._listens else self._upkeep_loop
        while not self._stop.is_set():
            try:
                work()
            except Exception as exc:
                self._failures += 1
                self._failed("serving upkeep failed", exc)
                self._stop.wait(min(RETRY_FIRST * 2 ** (self._failures - 1), RETRY_MAX))

    def _round_done(self) -> None:
        self._failures = 0
        self._last_upkeep = utcnow()

    def _upkeep_loop(self) -> None:
        last_spend = time.monotonic()
        while not self._stop.wait(UPKEEP_SECONDS):
            last_spend = self.upkeep(last_spend)
            self._round_done()

    def _listen(self) -> None:
        url = self.db.engine.url.set(drivername="postgresql").render_as_string(hide_password=False)
        last_spend = time.monotonic()
        with psycopg.connect(
            url, autocommit=True, connect_timeout=LISTEN_CONNECT_TIMEOUT
        ) as connection:
            connection.execute(f"LISTEN {CHANNEL}")
            # a change missed while not listening is caught by reloading now
            self._stale = self._snapshot is not None
            self.listening.set()
            try:
                while not self._stop.is_set():
                    for notice in connection.notifies(timeout=UPKEEP_SECONDS, stop_after=1):
                        self._last_notification = utcnow()
                        change = Change.parse(notice.payload)
                        if change is None:
                            self._stale = True
                        else:
                            self.apply(change)
                    last_spend = self.upkeep(last_spend)
                    self._round_done()
            finally:
                self.listening.clear()

    def close(self) -> None:
        """End the thread and stop hearing of commits; a second call does nothing."""
        if self._stop.is_set():
            return
        self._stop.set()
        self._unsubscribe()
        if self._thread is not None:
            self._thread.join(timeout=5)

    def snapshot(self) -> Snapshot:
        """The current snapshot; only the first call of a process loads it."""
        current = self._snapshot
        if current is None:
            with self._lock:
                if self._snapshot is None:
                    self._reload()
                current = self._snapshot
        assert current is not None
        return current

    def landing_url(self, post_id: int) -> str | None:
        current = self._snapshot
        return current.landing.get(post_id) if current is not None else None

    def decide(self, request: AdRequest, now: datetime) -> list[AdDecision]:
        snapshot = self.snapshot()
        if request.placement not in snapshot.reserves:
            raise InvalidInputError(f"no placement {request.placement!r}", "placement")
        with self._lock:
            slots = run_auction(snapshot, request, now, self.frequency)
        issued = int(now.timestamp())
        viewer = viewer_of(request.user_key)
        decisions = []
        for slot in slots:
            decision_id = uuid.uuid4().hex
            claims = [
                EventClaim(
                    decision_id,
                    kind,
                    slot.candidate.campaign_id,
                    slot.post_id,
                    slot.candidate.advertiser_id,
                    request.placement,
                    slot.price_micros,
                    issued,
                    viewer,
                )
                for kind in (LedgerKind.impression, LedgerKind.click)
            ]
            decisions.append(
                AdDecision(
                    decision_id, slot, sign(claims[0], self._key), sign(claims[1], self._key)
                )
            )
        return decisions
