"""Advertisers, their names and their people (staff), readable by the advertiser's own users."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Query, status

from adwarden.domain.fields import Name
from adwarden.registry import services
from adwarden.registry.inputs import AdvertiserIn, AdvertiserPatch, NameIn, PersonRoleIn
from adwarden.registry.models import Advertiser, AdvertiserPerson
from adwarden.store.queries import get
from adwarden.web.api.errors import AUTHENTICATED, WRITES
from adwarden.web.api.schemas import AdvertiserOut, AdvertiserPersonOut, NameOut, Page
from adwarden.web.deps import ApiActor, DbSession, IdPath, Limit, Offset, StaffActor, ensure_visible

router = APIRouter(prefix="/advertisers", tags=["advertisers"], responses=AUTHENTICATED)


@router.get("", response_model=Page[AdvertiserOut])
def list_advertisers(
    actor: StaffActor,
    session: DbSession,
    offset: Offset = 0,
    limit: Limit = 50,
    q: Annotated[Name | None, Query(description="part of any of the advertiser's names")] = None,
) -> Page[AdvertiserOut]:
    rows, total = services.list_advertisers(session, offset=offset, limit=limit, query=q)
    return Page.of(rows, total, offset, limit, AdvertiserOut.model_validate)


@router.post(
    "", response_model=AdvertiserOut, status_code=status.HTTP_201_CREATED, responses=WRITES
)
def create_advertiser(body: AdvertiserIn, actor: StaffActor, session: DbSession) -> AdvertiserOut:
    return AdvertiserOut.model_validate(services.create_advertiser(session, actor, body))


@router.get("/{advertiser_id}", response_model=AdvertiserOut)
def read_advertiser(advertiser_id: IdPath, actor: ApiActor, session: DbSession) -> AdvertiserOut:
    ensure_visible(actor, advertiser_id, "advertiser", advertiser_id)
    return AdvertiserOut.model_validate(get(session, Advertiser, advertiser_id))


@router.patch("/{advertiser_id}", response_model=AdvertiserOut, responses=WRITES)
def update_advertiser(
    advertiser_id: IdPath, body: AdvertiserPatch, actor: StaffActor, session: DbSession
) -> AdvertiserOut:
    advertiser = services.update_advertiser(session, actor, advertiser_id, body)
    return AdvertiserOut.model_validate(advertiser)


@router.post(
    "/{advertiser_id}/names",
    response_model=NameOut,
    status_code=status.HTTP_201_CREATED,
    responses=WRITES,
)
def add_name(advertiser_id: IdPath, body: NameIn, actor: StaffActor, session: DbSession) -> NameOut:
    return NameOut.model_validate(services.add_advertiser_name(session, actor, advertiser_id, body))


@router.get("/{advertiser_id}/people", response_model=list[AdvertiserPersonOut])
def list_people(
    advertiser_id: IdPath, actor: ApiActor, session: DbSession
) -> list[AdvertiserPersonOut]:
    ensure_visible(actor, advertiser_id, "advertiser", advertiser_id)
    advertiser = get(session, Advertiser, advertiser_id)
    return [AdvertiserPersonOut.model_validate(link) for link in advertiser.people]


@router.post(
    "/{advertiser_id}/people",
    response_model=AdvertiserPersonOut,
    status_code=status.HTTP_201_CREATED,
    responses=WRITES,
)
def link_person(
    advertiser_id: IdPath, body: PersonRoleIn, actor: StaffActor, session: DbSession
) -> AdvertiserPersonOut:
    link: AdvertiserPerson = services.link_person(session, actor, advertiser_id, body)
    session.refresh(link)
    return AdvertiserPersonOut.model_validate(link)
