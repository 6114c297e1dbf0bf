"""The ad decision API (shaped like Kevel's), the signed event URLs it hands out, and the
placements staff sell."""

from __future__ import annotations

import time
from datetime import date
from decimal import Decimal
from typing import Annotated, Literal

from fastapi import APIRouter, Path, Query, Request, status
from fastapi.responses import JSONResponse, RedirectResponse, Response
from pydantic import BaseModel, Field
from sqlalchemy import select

from adwarden import settings
from adwarden.domain.enums import LedgerKind
from adwarden.domain.fields import CountryCode
from adwarden.domain.inputs import Input
from adwarden.serving import services
from adwarden.serving.auction import AdRequest
from adwarden.serving.engine import ServingEngine
from adwarden.serving.ledger import count_event
from adwarden.serving.models import Placement
from adwarden.serving.money import in_units
from adwarden.serving.reports import daily_report, report_csv
from adwarden.serving.tokens import EventTokenError, verify
from adwarden.store.base import utcnow
from adwarden.web.api.errors import AUTHENTICATED, WRITES
from adwarden.web.api.schemas import ErrorOut, Out
from adwarden.web.deps import ApiActor, DbSession, IdPath, StaffActor, ensure_visible

router = APIRouter(tags=["serving"])


def engine_of(request: Request) -> ServingEngine:
    """This process's ad server, made on first use (the app closes it when it stops)."""
    engine: ServingEngine | None = getattr(request.app.state, "serving", None)
    if engine is None:
        engine = request.app.state.serving = ServingEngine(request.app.state.db)
    return engine


class ServeIn(Input):
    placement: str = Field(min_length=1, max_length=64, pattern=r"^[a-z0-9_-]+$")
    count: int = Field(1, ge=1, le=10, description="how many ads; one advertiser takes one at most")
    user_key: str = Field(
        min_length=1, max_length=200, description="an opaque id for frequency capping"
    )
    keywords: list[Annotated[str, Field(min_length=1, max_length=50)]] = Field(
        default_factory=list, max_length=20
    )
    country: CountryCode | None = None


class DecisionOut(BaseModel):
    decision_id: str
    campaign_id: int
    promoted_post_id: int
    advertiser_id: int
    price: Decimal = Field(description="per impression, in the campaign's currency")
    impression_url: str
    click_url: str


class ServeOut(BaseModel):
    decisions: list[DecisionOut]


class EventOut(BaseModel):
    counted: bool
    reason: str | None


class PlacementIn(Input):
    key: str = Field(min_length=1, max_length=64, pattern=r"^[a-z0-9_-]+$")
    reserve_cpm: Decimal = Field(ge=0, le=Decimal("100000"), decimal_places=2)


class PlacementOut(Out):
    id: int
    key: str
    reserve_cpm_cents: int


@router.post("/serve", response_model=ServeOut)
async def serve(body: ServeIn, request: Request) -> Response:
    """Choose ads for one request: targeting, pacing, frequency cap, then a second-price
    auction above the placement's reserve. Reads memory only, never the database."""
    engine = engine_of(request)
    ad_request = AdRequest(
        body.placement, body.count, body.user_key, list(body.keywords), body.country
    )
    base = f"{settings.public_url()}/api/v1/events"
    # built by hand rather than through the response model: this is the hot path
    decisions = [
        {
            "decision_id": decision.decision_id,
            "campaign_id": decision.slot.candidate.campaign_id,
            "promoted_post_id": decision.slot.post_id,
            "advertiser_id": decision.slot.candidate.advertiser_id,
            "price": str(in_units(decision.slot.price_micros)),
            "impression_url": f"{base}/{decision.impression_token}",
            "click_url": f"{base}/{decision.click_token}",
        }
        for decision in engine.decide(ad_request, utcnow())
    ]
    return JSONResponse({"decisions": decisions})


@router.get(
    "/events/{token}",
    response_model=EventOut,
    responses={
        302: {"description": "a counted click: on to the landing page"},
        403: {"model": ErrorOut, "description": "the token was forged, altered or is too old"},
    },
)
def event(
    token: Annotated[str, Path(min_length=10, max_length=1000)], request: Request
) -> Response:
    """Count an impression or a click from its signed URL, once. A forged or altered URL is
    refused; an ad stopped by a decision, or past its budget, is not counted."""
    try:
        claim = verify(token, engine_of(request).key, time.time())
    except EventTokenError as exc:
        return JSONResponse({"detail": str(exc)}, status.HTTP_403_FORBIDDEN)
    result = count_event(request.app.state.db, claim, utcnow())
    if claim.kind is LedgerKind.click and result.counted:
        landing = engine_of(request).landing_url(claim.promoted_post_id)
        if landing:
            return RedirectResponse(landing, status.HTTP_302_FOUND)
    return JSONResponse(EventOut(counted=result.counted, reason=result.reason).model_dump())


@router.get("/placements", response_model=list[PlacementOut], responses=AUTHENTICATED)
def placements(actor: StaffActor, session: DbSession) -> list[PlacementOut]:
    rows = session.scalars(select(Placement).order_by(Placement.key))
    return [PlacementOut.model_validate(row) for row in rows]


@router.post(
    "/placements",
    response_model=PlacementOut,
    status_code=status.HTTP_201_CREATED,
    responses={**AUTHENTICATED, **WRITES},
)
def create_placement(body: PlacementIn, actor: StaffActor, session: DbSession) -> PlacementOut:
    """A place ads are shown, and the lowest CPM it sells at. Admins only."""
    placement = services.create_placement(session, actor, body.key, int(body.reserve_cpm * 100))
    return PlacementOut.model_validate(placement)


class ReportRowOut(BaseModel):
    day: date
    campaign_id: int
    campaign: str
    impressions: int
    clicks: int
    spend: Decimal
    currency: str


@router.get(
    "/advertisers/{advertiser_id}/report",
    response_model=list[ReportRowOut],
    responses={**AUTHENTICATED, 200: {"content": {"text/csv": {}}}},
)
def advertiser_report(
    advertiser_id: IdPath,
    actor: ApiActor,
    session: DbSession,
    format_: Annotated[Literal["json", "csv"], Query(alias="format")] = "json",
) -> Response:
    """Impressions, clicks and spend by day and campaign; `?format=csv` for a download."""
    ensure_visible(actor, advertiser_id, "advertiser", advertiser_id)
    rows = daily_report(session, advertiser_id)
    if format_ == "csv":
        return Response(
            report_csv(rows),
            media_type="text/csv; charset=utf-8",
            headers={"Content-Disposition": f'attachment; filename="report-{advertiser_id}.csv"'},
        )
    return JSONResponse(
        [
            ReportRowOut(
                day=row.day,
                campaign_id=row.campaign_id,
                campaign=row.campaign,
                impressions=row.impressions,
                clicks=row.clicks,
                spend=in_units(row.spent_micros),
                currency=row.currency,
            ).model_dump(mode="json")
            for row in rows
        ]
    )
