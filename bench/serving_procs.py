"""The serving benchmark's server processes: adwarden's ad server, and the baseline that
asks the database for eligible campaigns on every request. Spawned, so importable."""

from __future__ import annotations

import os
import threading
from multiprocessing.queues import Queue
from multiprocessing.synchronize import Event
from typing import Any

import uvicorn
from fastapi import FastAPI
from pydantic import BaseModel
from sqlalchemy import create_engine, text

from adwarden.web.sockets import tcp_listener

BASELINE_SQL = text(
    """
    SELECT c.id, c.advertiser_id, c.bid_cpm_cents, c.countries, post.id AS post_id
    FROM campaigns c
    JOIN LATERAL (
        SELECT p.id FROM promoted_posts p JOIN accounts a ON a.id = p.account_id
        WHERE p.campaign_id = c.id AND p.status = 'active' AND a.ads_eligible
        ORDER BY p.id LIMIT 1
    ) post ON true
    WHERE c.status = 'active' AND NOT c.held AND (c.ends_at IS NULL OR c.ends_at > now())
      AND (c.keywords::jsonb ?| CAST(:keywords AS text[]) OR c.keywords::jsonb = '[]'::jsonb)
    ORDER BY c.bid_cpm_cents DESC, c.id
    LIMIT 200
    """
)


def _run(app: FastAPI, port: int, ready: Queue[int], stop: Event) -> None:
    server = uvicorn.Server(
        uvicorn.Config(app, log_level="warning", lifespan="off", access_log=False)
    )

    def stopper() -> None:
        stop.wait()
        server.should_exit = True

    threading.Thread(target=stopper, daemon=True).start()
    sock = tcp_listener("127.0.0.1", port, share_port=True)
    ready.put(os.getpid())
    server.run(sockets=[sock])


def serve_ours(
    url: str, port: int, ready: Queue[int], applied: Queue[tuple[int, int, float]], stop: Event
) -> None:
    import adwarden.models  # noqa: F401
    from adwarden.serving.engine import ServingEngine
    from adwarden.store.engine import Database
    from adwarden.web.app import create_app

    db = Database(url)
    app = create_app(db)
    engine = ServingEngine(db)
    pid = os.getpid()
    engine.on_applied = lambda version, at: applied.put((pid, version, at))
    engine.listening.wait(60)
    engine.snapshot()  # loaded before the first request, as a deployment would
    app.state.serving = engine
    _run(app, port, ready, stop)
    engine.close()


class _Request(BaseModel):
    placement: str
    count: int = 1
    user_key: str
    keywords: list[str] = []
    country: str | None = None


def serve_baseline(url: str, port: int, ready: Queue[int], stop: Event) -> None:
    engine = create_engine(url.replace("postgresql://", "postgresql+psycopg://", 1), pool_size=8)
    app = FastAPI()

    @app.post("/api/v1/serve")
    def serve(body: _Request) -> dict[str, Any]:
        with engine.connect() as connection:
            rows = connection.execute(BASELINE_SQL, {"keywords": body.keywords}).all()
            reserve = connection.execute(
                text("SELECT reserve_cpm_cents FROM placements WHERE key = :key"),
                {"key": body.placement},
            ).scalar_one()
        best: list[Any] = []
        advertisers: set[int] = set()
        for row in rows:  # highest bid first: one per advertiser, the country respected
            if row.bid_cpm_cents < reserve:
                break
            if row.advertiser_id in advertisers or (
                row.countries and body.country not in row.countries
            ):
                continue
            best.append(row)
            advertisers.add(row.advertiser_id)
            if len(best) > body.count:
                break
        decisions = [
            {
                "campaign_id": row.id,
                "promoted_post_id": row.post_id,
                "advertiser_id": row.advertiser_id,
                "price": max(best[i + 1].bid_cpm_cents if i + 1 < len(best) else 0, reserve),
            }
            for i, row in enumerate(best[: body.count])
        ]
        return {"decisions": decisions}

    _run(app, port, ready, stop)
