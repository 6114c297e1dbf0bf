"""Creating, changing and reading advertisers, people, accounts and organic posts.

Every change records an audit row in the caller's transaction. Authorization
(who may call what) belongs to the caller; these functions trust their actor.
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime
from typing import Any

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from adwarden.audit.services import record, record_created
from adwarden.domain.actors import Actor
from adwarden.domain.enums import NameKind
from adwarden.domain.errors import ConflictError, InvalidInputError
from adwarden.registry.inputs import (
    AccountIn,
    AccountPatch,
    AdvertiserIn,
    AdvertiserPatch,
    NameIn,
    OrganicPostIn,
    PersonIn,
    PersonRoleIn,
)
from adwarden.registry.models import (
    Account,
    Advertiser,
    AdvertiserName,
    AdvertiserPerson,
    OrganicPost,
    Person,
    PersonName,
    RegistrationId,
)
from adwarden.screening.services import SubjectType, screen_subject
from adwarden.store.queries import apply_changes, backdated, get, page


def _unique_names(primary: str, names: Sequence[NameIn]) -> list[NameIn]:
    seen = {primary.casefold()}
    unique = []
    for item in names:
        if item.name.casefold() not in seen:
            seen.add(item.name.casefold())
            unique.append(item)
    return unique


def create_advertiser(
    session: Session, actor: Actor, data: AdvertiserIn, *, at: datetime | None = None
) -> Advertiser:
    advertiser = Advertiser(
        kind=data.kind,
        name=data.name,
        country=data.country,
        industry=data.industry,
        website=data.website,
        notes=data.notes,
        **backdated(at),
    )
    advertiser.names = [AdvertiserName(name=data.name, kind=NameKind.primary)] + [
        AdvertiserName(name=n.name, kind=n.kind, lang=n.lang)
        for n in _unique_names(data.name, data.names)
    ]
    # The same identifier given twice is stored once, as a repeated name is.
    advertiser.identifiers = [
        RegistrationId(scheme=scheme, value=value)
        for scheme, value in dict.fromkeys((r.scheme, r.value) for r in data.registration_ids)
    ]
    record_created(session, actor, "advertiser", advertiser, changes=data.model_dump(mode="json"))
    screen_subject(session, actor, SubjectType.advertiser, advertiser.id)
    return advertiser


def update_advertiser(
    session: Session, actor: Actor, advertiser_id: int, patch: AdvertiserPatch
) -> Advertiser:
    advertiser = get(session, Advertiser, advertiser_id)
    changes = apply_changes(advertiser, patch.model_dump(exclude_none=True))
    if changes:
        # Recorded before the names are loaded below: loading autoflushes the change.
        record(session, actor, "advertiser", "update", advertiser.id, changes=changes)
    if "name" in changes:
        # The old display name stays a name the advertiser went by, for screening;
        # a name it already had (say, a former one) becomes primary again.
        for row in advertiser.names:
            if row.kind is NameKind.primary:
                row.kind = NameKind.former
        same = [
            row for row in advertiser.names if row.name.casefold() == advertiser.name.casefold()
        ]
        if same:
            same[0].name, same[0].kind = advertiser.name, NameKind.primary
        else:
            advertiser.names.append(AdvertiserName(name=advertiser.name, kind=NameKind.primary))
    if "name" in changes or "country" in changes or "kind" in changes:
        session.flush()
        screen_subject(session, actor, SubjectType.advertiser, advertiser.id)
    return advertiser


def add_advertiser_name(
    session: Session, actor: Actor, advertiser_id: int, data: NameIn
) -> AdvertiserName:
    advertiser = get(session, Advertiser, advertiser_id)
    if any(n.name.casefold() == data.name.casefold() for n in advertiser.names):
        raise ConflictError(f"advertiser {advertiser_id} already has the name {data.name!r}")
    row = AdvertiserName(
        advertiser_id=advertiser.id, name=data.name, kind=data.kind, lang=data.lang
    )
    record(
        session,
        actor,
        "advertiser",
        "add_name",
        advertiser.id,
        changes=data.model_dump(mode="json"),
    )
    session.add(row)
    session.flush()
    screen_subject(session, actor, SubjectType.advertiser, advertiser.id)
    return row


def list_advertisers(
    session: Session, *, offset: int = 0, limit: int = 50, query: str | None = None
) -> tuple[list[Advertiser], int]:
    stmt = select(Advertiser).order_by(Advertiser.id)
    if query:
        pattern = f"%{query.casefold()}%"
        matching = select(AdvertiserName.advertiser_id).where(
            func.lower(AdvertiserName.name).like(pattern)
        )
        stmt = stmt.where(Advertiser.id.in_(matching))
    return page(session, stmt, offset, limit)


def create_person(
    session: Session, actor: Actor, data: PersonIn, *, at: datetime | None = None
) -> Person:
    person = Person(
        name=data.name, country=data.country, birth_date=data.birth_date, **backdated(at)
    )
    person.names = [PersonName(name=data.name, kind=NameKind.primary)] + [
        PersonName(name=n.name, kind=n.kind, lang=n.lang)
        for n in _unique_names(data.name, data.names)
    ]
    record_created(session, actor, "person", person, changes=data.model_dump(mode="json"))
    screen_subject(session, actor, SubjectType.person, person.id)
    return person


def list_people(session: Session, *, offset: int = 0, limit: int = 50) -> tuple[list[Person], int]:
    return page(session, select(Person).order_by(Person.id), offset, limit)


def link_person(
    session: Session, actor: Actor, advertiser_id: int, data: PersonRoleIn
) -> AdvertiserPerson:
    advertiser = get(session, Advertiser, advertiser_id)
    person = get(session, Person, data.person_id)
    if any(r.person_id == person.id and r.role is data.role for r in advertiser.people):
        raise ConflictError(f"{person.name} is already {data.role} of advertiser {advertiser.id}")
    link = AdvertiserPerson(
        advertiser_id=advertiser.id,
        person_id=person.id,
        role=data.role,
        title=data.title,
        since=data.since,
        until=data.until,
    )
    record_created(session, actor, "advertiser_person", link, changes=data.model_dump(mode="json"))
    return link


def create_account(
    session: Session, actor: Actor, data: AccountIn, *, at: datetime | None = None
) -> Account:
    if data.advertiser_id is not None:
        get(session, Advertiser, data.advertiser_id)
    if session.scalar(select(Account.id).where(func.lower(Account.handle) == data.handle.lower())):
        raise ConflictError(f"the handle @{data.handle} is taken")
    account = Account(
        handle=data.handle,
        display_name=data.display_name,
        advertiser_id=data.advertiser_id,
        opened_at=data.opened_at,
        **backdated(at),
    )
    record_created(session, actor, "account", account, changes=data.model_dump(mode="json"))
    screen_subject(session, actor, SubjectType.account, account.id)
    return account


def update_account(session: Session, actor: Actor, account_id: int, patch: AccountPatch) -> Account:
    account = get(session, Account, account_id)
    values: dict[str, Any] = {}
    if patch.display_name is not None:
        values["display_name"] = patch.display_name
    if patch.advertiser_id is not None:
        get(session, Advertiser, patch.advertiser_id)
        values["advertiser_id"] = patch.advertiser_id
    if patch.unowned:
        values["advertiser_id"] = None
    changes = apply_changes(account, values)
    if changes:
        record(session, actor, "account", "update", account.id, changes=changes)
    if "display_name" in changes:
        session.flush()
        screen_subject(session, actor, SubjectType.account, account.id)
    return account


def list_accounts(
    session: Session, *, advertiser_id: int | None = None, offset: int = 0, limit: int = 50
) -> tuple[list[Account], int]:
    stmt = select(Account).order_by(Account.id)
    if advertiser_id is not None:
        stmt = stmt.where(Account.advertiser_id == advertiser_id)
    return page(session, stmt, offset, limit)


def add_organic_post(
    session: Session, actor: Actor, account_id: int, data: OrganicPostIn
) -> OrganicPost:
    account = get(session, Account, account_id)
    post = OrganicPost(account_id=account.id, text=data.text, posted_at=data.posted_at)
    record_created(session, actor, "organic_post", post, changes={"account_id": account.id})
    return post


def list_organic_posts(
    session: Session, account_id: int, *, offset: int = 0, limit: int = 50
) -> tuple[list[OrganicPost], int]:
    get(session, Account, account_id)
    stmt = (
        select(OrganicPost)
        .where(OrganicPost.account_id == account_id)
        .order_by(OrganicPost.posted_at.desc(), OrganicPost.id.desc())
    )
    return page(session, stmt, offset, limit)


def validate_owned_account(session: Session, account_id: int, advertiser_id: int) -> Account:
    """An account an advertiser may promote from: it must be the advertiser's own."""
    account = session.get(Account, account_id)
    if account is None or account.advertiser_id != advertiser_id:
        raise InvalidInputError(
            f"account {account_id} is not owned by advertiser {advertiser_id}", field="account_id"
        )
    return account
