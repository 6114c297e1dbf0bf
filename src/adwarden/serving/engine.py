"""The ad server of one process: a snapshot in memory, kept fresh by eligibility changes.

Requests never query the database (except for the very first, which loads the snapshot).
An eligibility change is applied as soon as it is heard of: from this process by a commit
hook, from any process through PostgreSQL's LISTEN/NOTIFY, read by a thread. The same
thread refreshes today's counted spend once a second, for pacing, and reloads everything
when a change was missed or the day turned; the request path only reads. The hard budget
and enforcement checks happen where events are counted (ledger.py), so a snapshot that
lags can hand out an ad that will not be counted, never one that is paid for.
"""

from __future__ import annotations

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
from adwarden.serving.eligibility import CHANNEL, Change, on_change
from adwarden.serving.snapshot import Snapshot, load_candidates, load_snapshot, load_spend_today
from adwarden.serving.tokens import EventClaim, sign, viewer_of
from adwarden.store.base import utcnow
from adwarden.store.engine import Database

SPEND_REFRESH_SECONDS = 1.0
SWITCH_INTERVAL = 0.0005  # seconds
_RECENT = 10_000  # changes kept to replay onto a snapshot that was loading meanwhile


@dataclass(frozen=True)
class AdDecision:
    decision_id: str
    slot: Slot
    impression_token: str
    click_token: str


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
        self._unsubscribe = on_change(self.apply)
        # told (version, time.monotonic()) each time a change is in the snapshot: for measuring
        self.on_applied: Callable[[int, float], None] | None = None
        self._thread: threading.Thread | None = None
        # set once LISTEN is in place (at once where there is nothing to listen to): a
        # snapshot loaded after it misses no change
        self.listening = threading.Event()
        if background:
            # the thread that applies changes must get the interpreter promptly while
            # requests keep the event loop busy: hand it over every 0.5 ms, not every 5 ms
            sys.setswitchinterval(min(sys.getswitchinterval(), SWITCH_INTERVAL))
            listens = db.engine.dialect.name == "postgresql"
            target = self._listen if listens else self._upkeep_loop
            if not listens:
                self.listening.set()
            self._thread = threading.Thread(target=target, daemon=True)
            self._thread.start()

    @property
    def key(self) -> bytes:
        """The key this process signs and checks event URLs with."""
        return self._key

    @property
    def current(self) -> Snapshot | None:
        """The snapshot as it stands, without loading one."""
        return self._snapshot

    def _applied(self, version: int) -> None:
        if self.on_applied is not None:
            self.on_applied(version, time.monotonic())

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
            with self.db.sessions() as session:
                fresh = load_candidates(session, utcnow(), change.advertiser_id)
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
            later = [c for c in self._recent if c.version > fresh.version]
            self._snapshot = fresh
            for change in sorted(later, key=lambda c: c.version):
                self.apply(change)
            self._applied(self._snapshot.version)

    def upkeep(self, last_spend: float) -> float:
        """Reload when stale or a new day began; else refresh today's spend each second.
        Returns when spend was last refreshed."""
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
        current.spent_today = today  # one reference swap: requests see old or new, whole
        return time.monotonic()

    def _upkeep_loop(self) -> None:
        last_spend = time.monotonic()
        while not self._stop.wait(0.25):
            last_spend = self.upkeep(last_spend)

    def _listen(self) -> None:
        url = self.db.engine.url.set(drivername="postgresql").render_as_string(hide_password=False)
        last_spend = time.monotonic()
        while not self._stop.is_set():
            try:
                with psycopg.connect(url, autocommit=True) as connection:
                    connection.execute(f"LISTEN {CHANNEL}")
                    # a change missed while not listening is caught by reloading now
                    self._stale = self._snapshot is not None
                    self.listening.set()
                    while not self._stop.is_set():
                        for notice in connection.notifies(timeout=0.25, stop_after=1):
                            change = Change.parse(notice.payload)
                            if change is None:
                                self._stale = True
                            else:
                                self.apply(change)
                        last_spend = self.upkeep(last_spend)
            except psycopg.OperationalError:
                self._stale = True
                self._stop.wait(1.0)

    def close(self) -> None:
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
