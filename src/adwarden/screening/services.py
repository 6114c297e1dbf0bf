"""Continuous screening of advertisers, their people and accounts, and the review of hits.

Subjects are screened when they are created or renamed, against every list;
when a list gets a new version, only its added and changed entries are screened
against every subject, and hits on removed entries close. A reviewer confirms
or dismisses a hit with a reason; a dismissed hit stays dismissed until the
entry or the subject's names change.
"""

from __future__ import annotations

import hashlib
from collections.abc import Iterable, Iterator, Sequence
from dataclasses import dataclass
from enum import StrEnum
from pathlib import Path

from sqlalchemy import select
from sqlalchemy.orm import Session

from adwarden.audit.services import record, record_created
from adwarden.domain.actors import Actor
from adwarden.domain.enums import AdvertiserKind, EntityType, HitStatus, ListFormat, ListKind
from adwarden.domain.errors import ConflictError, InvalidInputError
from adwarden.lists.services import ImportResult, entries_by_ids, import_list
from adwarden.registry.models import Account, Advertiser, AdvertiserName, Person, PersonName
from adwarden.screening.index import EntryRef, build_index, index_for, list_keys
from adwarden.screening.matcher import Match, Matcher, Query
from adwarden.screening.models import ScreeningHit
from adwarden.store.base import utcnow
from adwarden.store.queries import get, page


class SubjectType(StrEnum):
    advertiser = "advertiser"
    person = "person"
    account = "account"


class HitReview(StrEnum):
    confirm = "confirm"
    dismiss = "dismiss"


@dataclass(frozen=True)
class Subject:
    """Something of ours that a list may name, with everything a match can use."""

    type: SubjectType
    id: int
    names: tuple[str, ...]
    entity_type: EntityType
    country: str | None = None
    birth_date: str | None = None

    @property
    def names_hash(self) -> str:
        return hashlib.sha256("\n".join(sorted(self.names)).encode()).hexdigest()

    def queries(self) -> Iterator[Query]:
        for name in self.names:
            yield Query(name, self.entity_type, self.country, self.birth_date)


def _advertiser_subject(session: Session, advertiser: Advertiser) -> Subject:
    names = session.scalars(
        select(AdvertiserName.name).where(AdvertiserName.advertiser_id == advertiser.id)
    ).all()
    kind = (
        EntityType.person if advertiser.kind is AdvertiserKind.person else EntityType.organization
    )
    return Subject(
        SubjectType.advertiser,
        advertiser.id,
        tuple(dict.fromkeys([advertiser.name, *names])),
        kind,
        advertiser.country,
    )


def _person_subject(session: Session, person: Person) -> Subject:
    names = session.scalars(select(PersonName.name).where(PersonName.person_id == person.id)).all()
    return Subject(
        SubjectType.person,
        person.id,
        tuple(dict.fromkeys([person.name, *names])),
        EntityType.person,
        person.country,
        person.birth_date.isoformat() if person.birth_date else None,
    )


def _account_subject(account: Account) -> Subject:
    # a display name may be a person's or an organisation's: the type stays open
    return Subject(SubjectType.account, account.id, (account.display_name,), EntityType.unknown)


def subject_for(session: Session, subject_type: SubjectType, subject_id: int) -> Subject:
    if subject_type is SubjectType.advertiser:
        return _advertiser_subject(session, get(session, Advertiser, subject_id))
    if subject_type is SubjectType.person:
        return _person_subject(session, get(session, Person, subject_id))
    return _account_subject(get(session, Account, subject_id))


def all_subjects(session: Session) -> Iterator[Subject]:
    for advertiser in session.scalars(select(Advertiser).order_by(Advertiser.id)):
        yield _advertiser_subject(session, advertiser)
    for person in session.scalars(select(Person).order_by(Person.id)):
        yield _person_subject(session, person)
    for account in session.scalars(select(Account).order_by(Account.id)):
        yield _account_subject(account)


@dataclass(frozen=True)
class _Found:
    match: Match
    subject_name: str


def _best_per_entry(matcher: Matcher, subject: Subject) -> dict[tuple[str, str], _Found]:
    found: dict[tuple[str, str], _Found] = {}
    for query in subject.queries():
        for match in matcher.match(query):
            key = (match.list_id, match.entry_id)
            held = found.get(key)
            if held is None or match.score > held.match.score:
                found[key] = _Found(match, query.name)
    return found


def _hits_of(
    session: Session, subject: Subject, list_pks: Iterable[int] | None = None
) -> dict[tuple[int, str], ScreeningHit]:
    query = select(ScreeningHit).where(
        ScreeningHit.subject_type == subject.type.value, ScreeningHit.subject_id == subject.id
    )
    if list_pks is not None:
        query = query.where(ScreeningHit.list_id.in_(list(list_pks)))
    return {(hit.list_id, hit.entry_id): hit for hit in session.scalars(query)}


def _store(
    session: Session,
    actor: Actor,
    subject: Subject,
    found: dict[tuple[str, str], _Found],
    refs: dict[tuple[str, str], EntryRef],
    existing: dict[tuple[int, str], ScreeningHit],
    scope: set[tuple[int, str]] | None,
) -> list[ScreeningHit]:
    """Write what a screening found; close open hits in scope that it no longer finds."""
    stored: list[ScreeningHit] = []
    seen: set[tuple[int, str]] = set()
    names_hash = subject.names_hash
    for key, item in found.items():
        ref = refs[key]
        pk = (ref.list_pk, item.match.entry_id)
        seen.add(pk)
        evidence = {
            "subject_name": item.subject_name[:300],
            "entry_name": item.match.name,
            "score": item.match.score,
            "explanation": item.match.explanation,
            "list_version": ref.version,
            "entry_added_in": ref.added_in,
            "names_hash": names_hash,
        }
        hit = existing.get(pk)
        if hit is None:
            hit = ScreeningHit(
                subject_type=subject.type.value,
                subject_id=subject.id,
                list_id=ref.list_pk,
                entry_id=item.match.entry_id,
                status=HitStatus.open,
                **evidence,
            )
            record_created(
                session,
                actor,
                "screening_hit",
                hit,
                reason=f"{subject.type.value} {subject.id} matched {key[0]} entry {key[1]}",
                changes={"score": item.match.score, "status": HitStatus.open.value},
            )
            stored.append(hit)
            continue
        basis_changed = hit.names_hash != names_hash or hit.entry_added_in != ref.added_in
        if hit.status is HitStatus.dismissed and not basis_changed:
            continue  # a reviewer said no to exactly this evidence
        reopen = hit.status is HitStatus.closed or (
            hit.status is not HitStatus.open and basis_changed
        )
        changes = {
            field: [getattr(hit, field), value]
            for field, value in evidence.items()
            if getattr(hit, field) != value
        }
        if reopen:
            changes["status"] = [hit.status.value, HitStatus.open.value]
        if not changes:
            continue
        for field, value in evidence.items():
            setattr(hit, field, value)
        if reopen:
            hit.status = HitStatus.open
        verb = "reopen" if reopen else "rescreen"
        why = "the entry or the subject's names changed" if basis_changed else "screened again"
        record(session, actor, "screening_hit", verb, hit.id, reason=why, changes=changes)
        stored.append(hit)
    for pk, hit in existing.items():
        in_scope = scope is None or pk in scope
        if in_scope and pk not in seen and hit.status is HitStatus.open:
            _close(session, actor, hit, "no longer matches")
    return stored


def _close(session: Session, actor: Actor, hit: ScreeningHit, reason: str) -> None:
    record(
        session,
        actor,
        "screening_hit",
        "close",
        hit.id,
        reason=reason,
        changes={"status": [hit.status.value, HitStatus.closed.value]},
    )
    hit.status = HitStatus.closed


def screen_subject(
    session: Session, actor: Actor, subject_type: SubjectType, subject_id: int
) -> list[ScreeningHit]:
    """Screen one subject against every current list entry; returns new or changed hits."""
    index = index_for(session)
    subject = subject_for(session, subject_type, subject_id)
    if not index.refs:
        return []
    found = _best_per_entry(index.matcher, subject)
    return _store(session, actor, subject, found, index.refs, _hits_of(session, subject), None)


def screen_import(session: Session, actor: Actor, result: ImportResult) -> int:
    """After a list import: screen its added and changed entries, close hits on removed ones.

    Returns the number of hits opened or changed.
    """
    slug = result.version.slug
    list_pk = list_keys(session)[slug]
    closed = _close_removed(session, actor, list_pk, result)
    fresh = [*result.added, *result.changed]
    if not fresh:
        return closed
    subjects = list(all_subjects(session))
    if not subjects:
        return closed
    entries = entries_by_ids(session, slug, fresh)
    index = build_index(entries, {slug: list_pk})
    scope = {(list_pk, entry_id) for entry_id in fresh}
    count = closed
    for subject in subjects:
        found = _best_per_entry(index.matcher, subject)
        existing = _hits_of(session, subject, [list_pk])
        relevant = {pk: hit for pk, hit in existing.items() if pk in scope}
        count += len(_store(session, actor, subject, found, index.refs, relevant, scope))
    return count


def import_and_screen(
    session: Session,
    actor: Actor,
    path: Path,
    fmt: ListFormat,
    slug: str,
    kind: ListKind,
) -> tuple[ImportResult, int]:
    """Import a list version and screen what it changed, in the caller's transaction."""
    result = import_list(session, actor, path, fmt, slug, kind)
    return result, screen_import(session, actor, result)


def _close_removed(session: Session, actor: Actor, list_pk: int, result: ImportResult) -> int:
    if not result.removed:
        return 0
    hits = session.scalars(
        select(ScreeningHit).where(
            ScreeningHit.list_id == list_pk,
            ScreeningHit.entry_id.in_(result.removed),
            ScreeningHit.status != HitStatus.closed,
        )
    ).all()
    version = result.version
    for hit in hits:
        _close(
            session,
            actor,
            hit,
            f"entry {hit.entry_id} left {version.slug} in version {version.number}",
        )
    return len(hits)


def review_hit(
    session: Session, actor: Actor, hit_id: int, review: HitReview, reason: str
) -> ScreeningHit:
    """A reviewer's call on a hit. The reason is required: it is what the next reader sees."""
    if not reason.strip():
        raise InvalidInputError("a review needs a reason", field="reason")
    hit = get(session, ScreeningHit, hit_id)
    status = HitStatus.confirmed if review is HitReview.confirm else HitStatus.dismissed
    if hit.status is HitStatus.closed:
        raise ConflictError(f"hit {hit.id} is closed: its list entry no longer matches")
    if hit.status is status:
        raise ConflictError(f"hit {hit.id} is already {status.value}")
    record(
        session,
        actor,
        "screening_hit",
        review.value,
        hit.id,
        reason=reason,
        changes={"status": [hit.status.value, status.value]},
    )
    hit.status = status
    hit.review_reason = reason
    hit.reviewed_by = actor.user_id
    hit.reviewed_at = utcnow()
    return hit


def list_hits(
    session: Session,
    *,
    status: HitStatus | None = None,
    subject_type: SubjectType | None = None,
    subject_id: int | None = None,
    offset: int = 0,
    limit: int = 50,
) -> tuple[Sequence[ScreeningHit], int]:
    query = select(ScreeningHit)
    if status is not None:
        query = query.where(ScreeningHit.status == status)
    if subject_type is not None:
        query = query.where(ScreeningHit.subject_type == subject_type.value)
    if subject_id is not None:
        query = query.where(ScreeningHit.subject_id == subject_id)
    query = query.order_by(ScreeningHit.score.desc(), ScreeningHit.id)
    return page(session, query, offset=offset, limit=limit)
