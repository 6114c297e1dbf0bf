"""`GET /api/v1/health`: whether this process can do its work, part by part.

It answers 503, with the same body, when the database does not answer (or has no schema),
when the ad server's background thread is not running or its snapshot is too old, or when
a registered probe (`store.health`) says it is not fine. It reads the database on a
connection of its own with short timeouts, so it answers even when every pooled
connection is taken, and never waits long for a database that does not answer.
"""

from __future__ import annotations

import logging

from fastapi import APIRouter, Request, status
from fastapi.responses import JSONResponse
from sqlalchemy.orm import Session

from adwarden.screening.index import state_of
from adwarden.serving import engine as serving_engine
from adwarden.serving.eligibility import current_version
from adwarden.serving.engine import ServingEngine
from adwarden.store import health as probes
from adwarden.store.direct import direct_engine
from adwarden.store.engine import Database
from adwarden.store.migrate import current_revision
from adwarden.web.api.schemas import (
    DatabaseHealthOut,
    HealthOut,
    ListStateOut,
    ProbeOut,
    QueueHealthOut,
    ScreeningHealthOut,
    ServingHealthOut,
)

log = logging.getLogger(__name__)

router = APIRouter(tags=["health"])


def _database(db: Database) -> tuple[DatabaseHealthOut, int | None, dict[str, probes.Reading]]:
    """The database's part, its eligibility version and the probes' readings."""
    dialect = db.engine.dialect.name
    try:
        with Session(direct_engine(db.engine, probe=True)) as session:
            revision = current_revision(session.connection())
            version = current_version(session) if revision is not None else None
            readings = probes.read_all(session)
    except Exception as exc:
        log.warning("health: the database did not answer", exc_info=True)
        error = f"{type(exc).__name__}: {exc}"
        unread = probes.Reading(False, {"error": "the database did not answer"})
        part = DatabaseHealthOut(
            ok=False, reachable=False, dialect=dialect, schema_revision=None, error=error
        )
        return part, None, dict.fromkeys(probes.registered(), unread)
    part = DatabaseHealthOut(
        ok=revision is not None,
        reachable=True,
        dialect=dialect,
        schema_revision=revision,
        error=None if revision is not None else "the database has no schema",
    )
    return part, version, readings


def _serving(engine: ServingEngine | None, database_version: int | None) -> ServingHealthOut:
    if engine is None:
        return ServingHealthOut(
            ok=True,
            started=False,
            running=None,
            listening=None,
            snapshot_version=None,
            database_version=database_version,
            version_lag=None,
            snapshot_age_seconds=None,
            max_snapshot_age_seconds=serving_engine.SNAPSHOT_MAX_AGE,
            last_upkeep_at=None,
            last_reload_at=None,
            last_notification_at=None,
            last_error=None,
            last_error_at=None,
            problems=[],
        )
    state = engine.health()
    lag = None
    if state.snapshot_version is not None and database_version is not None:
        # the snapshot may have moved on since the database was read
        lag = max(0, database_version - state.snapshot_version)
    problems = state.problems
    return ServingHealthOut(
        ok=not problems,
        started=True,
        running=state.running,
        listening=state.listening,
        snapshot_version=state.snapshot_version,
        database_version=database_version,
        version_lag=lag,
        snapshot_age_seconds=(
            round(state.snapshot_age, 3) if state.snapshot_age is not None else None
        ),
        max_snapshot_age_seconds=serving_engine.SNAPSHOT_MAX_AGE,
        last_upkeep_at=state.last_upkeep_at,
        last_reload_at=state.last_reload_at,
        last_notification_at=state.last_notification_at,
        last_error=state.last_error,
        last_error_at=state.last_error_at,
        problems=problems,
    )


def _screening(db: Database) -> ScreeningHealthOut:
    state = state_of(db.engine)
    return ScreeningHealthOut(
        ok=state.last_error is None,
        building=state.building,
        waiting=state.waiting,
        lists=(
            [ListStateOut(list=slug, version=number) for slug, number, _ in state.lists]
            if state.lists is not None
            else None
        ),
        age_seconds=round(state.age, 3) if state.age is not None else None,
        last_build_seconds=(
            round(state.last_build_seconds, 3) if state.last_build_seconds is not None else None
        ),
        builds=state.builds,
        last_error=state.last_error,
        last_error_at=state.last_error_at,
    )


def _queue(reading: probes.Reading | None) -> QueueHealthOut:
    if reading is None:
        return QueueHealthOut(ok=True, detail={}, registered=False, backlog=None)
    backlog = reading.detail.get("backlog")
    return QueueHealthOut(
        ok=reading.ok,
        detail=dict(reading.detail),
        registered=True,
        backlog=backlog if isinstance(backlog, int) and not isinstance(backlog, bool) else None,
    )


def health_of(db: Database, engine: ServingEngine | None) -> HealthOut:
    database, version, readings = _database(db)
    serving = _serving(engine, version)
    screening = _screening(db)
    queue = _queue(readings.pop(probes.QUEUE, None))
    others = {name: ProbeOut(ok=r.ok, detail=dict(r.detail)) for name, r in readings.items()}
    parts = {"database": database.ok, "serving": serving.ok, "queue": queue.ok}
    parts.update((name, probe.ok) for name, probe in others.items())
    failing = [name for name, ok in parts.items() if not ok]
    # a failed index build leaves the previous index answering, and the next request
    # tries again: failing the process would stop the requests that retry it
    degraded = not screening.ok
    return HealthOut(
        status="failing" if failing else "degraded" if degraded else "ok",
        failing=failing,
        database=database,
        serving=serving,
        screening=screening,
        queue=queue,
        probes=others,
    )


@router.get(
    "/health",
    response_model=HealthOut,
    responses={
        status.HTTP_503_SERVICE_UNAVAILABLE: {
            "model": HealthOut,
            "description": "a part failed; `failing` names it",
        }
    },
)
def health(request: Request) -> JSONResponse:
    """Whether this process can do its work: the database, the ad server's snapshot and
    thread, the screening index, the queue and every registered probe."""
    answer = health_of(request.app.state.db, getattr(request.app.state, "serving", None))
    return JSONResponse(
        answer.model_dump(mode="json"),
        status_code=status.HTTP_503_SERVICE_UNAVAILABLE if answer.failing else status.HTTP_200_OK,
        headers={"Cache-Control": "no-store"},
    )
