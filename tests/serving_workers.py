"""Code that runs in separate serving processes during tests (spawned, so importable)."""

from __future__ import annotations

from multiprocessing.queues import Queue
from multiprocessing.synchronize import Barrier, Event

from adwarden.serving.engine import ServingEngine
from adwarden.serving.ledger import count_event
from adwarden.serving.tokens import EventClaim
from adwarden.store.base import utcnow
from adwarden.store.engine import Database


def count_claims(url: str, claims: list[EventClaim], start: Barrier, out: Queue[bool]) -> None:
    """Count each claim as a serving process would, all processes starting together."""
    import adwarden.models  # noqa: F401  (every table, in this fresh process)

    db = Database(url)
    try:
        start.wait()
        for claim in claims:
            out.put(count_event(db, claim, utcnow()).counted)
    finally:
        db.dispose()


def watch(
    url: str, advertiser_id: int, ready: Queue[int], seen: Queue[tuple[int, bool]], stop: Event
) -> None:
    """Serve from a snapshot kept fresh by LISTEN/NOTIFY, and report each version applied
    and whether the advertiser may serve in it, until `stop` is set."""
    import adwarden.models  # noqa: F401

    db = Database(url)
    engine = ServingEngine(db)

    def applied(version: int, _at: float) -> None:
        snapshot = engine.current  # the version just applied, under the engine's lock
        assert snapshot is not None
        seen.put((version, bool(snapshot.by_advertiser.get(advertiser_id))))

    engine.on_applied = applied
    engine.listening.wait(60)
    ready.put(engine.snapshot().version)
    stop.wait(120)  # the listener thread does the work
    engine.close()
    db.dispose()


def pause(url: str, campaign_id: int) -> None:
    """Pause a campaign from a process of its own, as staff working elsewhere would: no
    commit hook of the process under test hears of it."""
    import adwarden.models  # noqa: F401
    from adwarden.domain.actors import Actor, Source
    from adwarden.domain.enums import CampaignStatus
    from adwarden.serving.inputs import CampaignPatch
    from adwarden.serving.services import update_campaign

    db = Database(url)
    try:
        with db.transaction() as session:
            update_campaign(
                session,
                Actor.system(Source.system),
                campaign_id,
                CampaignPatch(status=CampaignStatus.paused),
            )
    finally:
        db.dispose()
