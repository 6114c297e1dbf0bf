"""The ad server of one process: a snapshot in memory, kept fresh by eligibility changes.

Requests never query the database. An eligibility change is applied as soon as it is
heard of: from this process by a commit hook, from any process through PostgreSQL's
LISTEN/NOTIFY, read by a thread. Counted spend is reloaded at most once a second, for
pacing; the hard budget check happens where events are counted (ledger.py).
"""

from __future__ import annotations

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
from adwarden.serving.snapshot import Snapshot, load_candidates, load_snapshot, load_spend
from adwarden.serving.tokens import EventClaim, sign
from adwarden.store.base import utcnow
from adwarden.store.engine import Database

SPEND_REFRESH_SECONDS = 1.0


@dataclass(frozen=True)
class AdDecision:
    decision_id: str
    slot: Slot
    impression_token: str
    click_token: str


class ServingEngine:
    def __init__(self, db: Database, *, listen: bool = True) -> None:
        self.db = db
        self.frequency = FrequencyCap()
        self._snapshot: Snapshot | None = None
        self._stale = True
        self._spend_loaded = 0.0
        self._lock = threading.RLock()
        self._stop = threading.Event()
        self._unsubscribe = on_change(self.apply)
        self._listener: threading.Thread | None = None
        # told (version, time.monotonic()) each time a change is in the snapshot: for measuring
        self.on_applied: Callable[[int, float], None] | None = None
        if listen and db.engine.dialect.name == "postgresql":
            self._listener = threading.Thread(target=self._listen, daemon=True)
            self._listener.start()

    def apply(self, change: Change) -> None:
        """Bring the snapshot up to `change`: patch one advertiser when the change follows
        the snapshot's own version, or reload everything when one was missed."""
        with self._lock:
            current = self._snapshot
            if current is None or change.version <= current.version:
                return
            now = utcnow()
            with self.db.sessions() as session:
                if change.advertiser_id is None or change.version != current.version + 1:
                    current = self._snapshot = load_snapshot(session, now)
                    self._spend_loaded = time.monotonic()
                else:
                    fresh = load_candidates(session, now, change.advertiser_id)
                    current.replace_advertiser(change.advertiser_id, fresh)
                    current.version = change.version
            self._stale = False
            if self.on_applied is not None:
                self.on_applied(current.version, time.monotonic())

    def _listen(self) -> None:
        url = self.db.engine.url.set(drivername="postgresql").render_as_string(hide_password=False)
        while not self._stop.is_set():
            try:
                with psycopg.connect(url, autocommit=True) as connection:
                    connection.execute(f"LISTEN {CHANNEL}")
                    # a change missed while not listening is caught by reloading now
                    self._stale = True
                    while not self._stop.is_set():
                        for notice in connection.notifies(timeout=0.5, stop_after=1):
                            change = Change.parse(notice.payload)
                            if change is None:
                                self._stale = True
                            else:
                                self.apply(change)
            except psycopg.OperationalError:
                self._stale = True
                self._stop.wait(1.0)

    def close(self) -> None:
        self._stop.set()
        self._unsubscribe()
        if self._listener is not None:
            self._listener.join(timeout=5)

    def snapshot(self, now: datetime) -> Snapshot:
        with self._lock:
            current = self._snapshot
            if self._stale or current is None or current.day != now.date():
                with self.db.sessions() as session:
                    current = self._snapshot = load_snapshot(session, now)
                self._stale = False
                self._spend_loaded = time.monotonic()
                if self.on_applied is not None:
                    self.on_applied(current.version, time.monotonic())
            elif time.monotonic() - self._spend_loaded > SPEND_REFRESH_SECONDS:
                with self.db.sessions() as session:
                    current.spent_today, current.spent_total = load_spend(session, now.date())
                self._spend_loaded = time.monotonic()
            return current

    @property
    def current(self) -> Snapshot | None:
        """The snapshot as it stands, without loading one."""
        return self._snapshot

    def landing_url(self, post_id: int) -> str | None:
        current = self._snapshot
        return current.landing.get(post_id) if current is not None else None

    def decide(self, request: AdRequest, now: datetime) -> list[AdDecision]:
        snapshot = self.snapshot(now)
        if request.placement not in snapshot.reserves:
            raise InvalidInputError(f"no placement {request.placement!r}", "placement")
        with self._lock:
            slots = run_auction(snapshot, request, now, self.frequency)
        key = settings.serving_key()
        issued = int(now.timestamp())
        decisions = []
        for slot in slots:
            decision_id = uuid.uuid4().hex

            def token(kind: LedgerKind, slot: Slot = slot, decision_id: str = decision_id) -> str:
                return sign(
                    EventClaim(
                        decision_id,
                        kind,
                        slot.candidate.campaign_id,
                        slot.post_id,
                        slot.candidate.advertiser_id,
                        request.placement,
                        slot.price_micros,
                        issued,
                    ),
                    key,
                )

            decisions.append(
                AdDecision(decision_id, slot, token(LedgerKind.impression), token(LedgerKind.click))
            )
        return decisions
