"""The application factory: one FastAPI app over one database."""

from __future__ import annotations

from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from pathlib import Path

from fastapi import APIRouter, FastAPI
from fastapi.staticfiles import StaticFiles

import adwarden.models  # noqa: F401  (every table and the audit guard, before any request)
from adwarden import __version__
from adwarden.store.engine import Database
from adwarden.web import (
    console,
    errors,
    mine,
    pages,
    policy_pages,
    public_pages,
    report_pages,
)
from adwarden.web.api import (
    accounts,
    advertisers,
    appeals,
    auth,
    campaigns,
    decisions,
    health,
    people,
    policy,
    public,
    public_policy,
    public_reports,
    screening,
    selfcheck,
    serve,
)
from adwarden.web.api.errors import BUSY

API_PREFIX = "/api/v1"


@asynccontextmanager
async def _lifespan(app: FastAPI) -> AsyncIterator[None]:
    yield
    engine = getattr(app.state, "serving", None)
    if engine is not None:  # its LISTEN thread and commit hook end with the app
        engine.close()


def create_app(db: Database) -> FastAPI:
    app = FastAPI(
        lifespan=_lifespan,
        title="adwarden",
        version=__version__,
        summary="Advertiser integrity: who may advertise, what may run, and why.",
        openapi_url=f"{API_PREFIX}/openapi.json",
        docs_url=f"{API_PREFIX}/docs",
        swagger_ui_oauth2_redirect_url=f"{API_PREFIX}/docs/oauth2-redirect",
        redoc_url=None,
    )
    app.state.db = db
    api = APIRouter(prefix=API_PREFIX, responses=BUSY)
    # the ad server first: its routes are matched on every ad request, the hot path; then
    # the public API, open to anyone and the most asked
    for module in (
        serve,
        public,
        health,
        auth,
        advertisers,
        people,
        accounts,
        campaigns,
        screening,
        decisions,
        appeals,
        policy,
        selfcheck,
        public_policy,
        public_reports,
    ):
        api.include_router(module.router)
    app.include_router(api)
    app.include_router(pages.router)
    app.include_router(console.router)
    app.include_router(mine.router)
    app.include_router(public_pages.router)
    app.include_router(policy_pages.router)
    app.include_router(report_pages.router)
    app.mount("/static", StaticFiles(directory=Path(__file__).parent / "static"), name="static")
    errors.install(app)
    return app
