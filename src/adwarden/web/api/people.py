"""People behind advertisers (staff only)."""

from __future__ import annotations

from fastapi import APIRouter, status

from adwarden.registry import services
from adwarden.registry.inputs import PersonIn
from adwarden.registry.models import Person
from adwarden.store.queries import get
from adwarden.web.api.errors import AUTHENTICATED, WRITES
from adwarden.web.api.schemas import Page, PersonOut
from adwarden.web.deps import DbSession, IdPath, Limit, Offset, StaffActor

router = APIRouter(prefix="/people", tags=["people"], responses=AUTHENTICATED)


@router.get("", response_model=Page[PersonOut])
def list_people(
    actor: StaffActor, session: DbSession, offset: Offset = 0, limit: Limit = 50
) -> Page[PersonOut]:
    rows, total = services.list_people(session, offset=offset, limit=limit)
    return Page.of(rows, total, offset, limit, PersonOut.model_validate)


@router.post("", response_model=PersonOut, status_code=status.HTTP_201_CREATED, responses=WRITES)
def create_person(body: PersonIn, actor: StaffActor, session: DbSession) -> PersonOut:
    return PersonOut.model_validate(services.create_person(session, actor, body))


@router.get("/{person_id}", response_model=PersonOut)
def read_person(person_id: IdPath, actor: StaffActor, session: DbSession) -> PersonOut:
    return PersonOut.model_validate(get(session, Person, person_id))
