"""Screening (staff only): match a name against the lists, read hits, review them."""

from __future__ import annotations

from datetime import datetime
from typing import Annotated

from fastapi import APIRouter, Query
from pydantic import Field

from adwarden.domain.enums import EntityType, HitStatus
from adwarden.domain.fields import CountryCode, Name, ShortText, Text
from adwarden.domain.inputs import Input
from adwarden.screening import services
from adwarden.screening.index import request_index
from adwarden.screening.matcher import Query as MatchQuery
from adwarden.screening.models import ScreeningHit
from adwarden.screening.scoring import DEFAULT_THRESHOLD
from adwarden.screening.services import HitReview, SubjectType
from adwarden.store.queries import get
from adwarden.web.api.errors import AUTHENTICATED, WRITES
from adwarden.web.api.schemas import Out, Page
from adwarden.web.deps import DbSession, IdPath, Limit, Offset, StaffActor, reads_only

router = APIRouter(prefix="/screening", tags=["screening"], responses=AUTHENTICATED)

BirthDate = Annotated[
    str,
    Field(
        pattern=r"^\d{4}(-(0[1-9]|1[0-2])(-(0[1-9]|[12]\d|3[01]))?)?$",
        description="YYYY, YYYY-MM or YYYY-MM-DD",
        examples=["1965-10-04"],
    ),
]


class MatchIn(Input):
    name: Name
    type: EntityType = EntityType.unknown
    country: CountryCode | None = None
    birth_date: BirthDate | None = None
    threshold: float = Field(DEFAULT_THRESHOLD, ge=0, le=1, strict=True)
    lists: list[ShortText] | None = Field(
        None, description="list ids to match against; all if left out"
    )


class MatchOut(Out):
    list: str
    entry_id: str
    name: str
    score: float
    explanation: str


class MatchesOut(Out):
    matches: list[MatchOut]


class HitOut(Out):
    id: int
    subject_type: str
    subject_id: int
    subject_name: str
    list_id: int
    list_version: int
    entry_id: str
    entry_name: str
    score: float
    explanation: str
    status: HitStatus
    reviewed_by: int | None
    review_reason: str | None
    reviewed_at: datetime | None
    created_at: datetime
    updated_at: datetime


class ReviewIn(Input):
    decision: HitReview
    reason: Text


@router.post("/match", response_model=MatchesOut, responses=WRITES)
@reads_only
def match(body: MatchIn, actor: StaffActor, session: DbSession) -> MatchesOut:
    """The same matching as `adwarden screen NAME`, best first, at or above the threshold."""
    matcher = request_index(session).matcher
    query = MatchQuery(body.name, body.type, body.country, body.birth_date)
    found = matcher.match(query, body.threshold, body.lists)
    return MatchesOut(
        matches=[
            MatchOut(
                list=m.list_id,
                entry_id=m.entry_id,
                name=m.name,
                score=m.score,
                explanation=m.explanation,
            )
            for m in found
        ]
    )


@router.get("/hits", response_model=Page[HitOut])
def list_hits(
    actor: StaffActor,
    session: DbSession,
    status: Annotated[HitStatus | None, Query()] = None,
    subject_type: Annotated[SubjectType | None, Query()] = None,
    subject_id: Annotated[int | None, Query(ge=1, le=2**31 - 1)] = None,
    offset: Offset = 0,
    limit: Limit = 50,
) -> Page[HitOut]:
    rows, total = services.list_hits(
        session,
        status=status,
        subject_type=subject_type,
        subject_id=subject_id,
        offset=offset,
        limit=limit,
    )
    return Page.of(rows, total, offset, limit, HitOut.model_validate)


@router.get("/hits/{hit_id}", response_model=HitOut)
def read_hit(hit_id: IdPath, actor: StaffActor, session: DbSession) -> HitOut:
    return HitOut.model_validate(get(session, ScreeningHit, hit_id))


@router.post("/hits/{hit_id}/review", response_model=HitOut, responses=WRITES)
def review_hit(hit_id: IdPath, body: ReviewIn, actor: StaffActor, session: DbSession) -> HitOut:
    """Confirm or dismiss a hit, with the reason the next reader will see."""
    return HitOut.model_validate(
        services.review_hit(session, actor, hit_id, body.decision, body.reason)
    )
