"""The matcher over every current list entry, built once per list state and process."""

from __future__ import annotations

import threading
from collections import OrderedDict
from collections.abc import Iterable
from dataclasses import dataclass

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from adwarden.lists.models import ListVersion, WatchList
from adwarden.lists.services import CurrentEntry, current_entries
from adwarden.screening.matcher import IndexedEntry, Matcher

# A handful of list states at most are alive at once (one per database in tests).
_KEEP = 4


@dataclass(frozen=True, slots=True)
class EntryRef:
    """Where a current entry sits in the database, for storing hits against it."""

    list_pk: int
    version: int
    added_in: int


@dataclass(frozen=True)
class ScreeningIndex:
    matcher: Matcher
    refs: dict[tuple[str, str], EntryRef]


Signature = tuple[tuple[str, int, str], ...]

_cache: OrderedDict[tuple[str, Signature], ScreeningIndex] = OrderedDict()
_lock = threading.Lock()


def list_state(session: Session) -> Signature:
    """Each list's newest version and its content hash: equal states, equal entries."""
    newest = (
        select(ListVersion.list_id, func.max(ListVersion.number).label("number"))
        .group_by(ListVersion.list_id)
        .subquery()
    )
    rows = session.execute(
        select(WatchList.slug, ListVersion.number, ListVersion.content_hash)
        .join(ListVersion, ListVersion.list_id == WatchList.id)
        .join(
            newest,
            (newest.c.list_id == ListVersion.list_id) & (newest.c.number == ListVersion.number),
        )
        .order_by(WatchList.slug)
    )
    return tuple((slug, number, digest) for slug, number, digest in rows)


def list_keys(session: Session) -> dict[str, int]:
    return {slug: pk for slug, pk in session.execute(select(WatchList.slug, WatchList.id))}


def indexed(entry: CurrentEntry) -> IndexedEntry:
    return IndexedEntry(
        list_id=entry.slug,
        entry_id=entry.entry_id,
        entity_type=entry.entity_type,
        names=entry.names(),
        countries=entry.countries,
        birth_dates=entry.birth_dates,
    )


def build_index(entries: Iterable[CurrentEntry], keys: dict[str, int]) -> ScreeningIndex:
    refs: dict[tuple[str, str], EntryRef] = {}

    def walk() -> Iterable[IndexedEntry]:
        for entry in entries:
            refs[(entry.slug, entry.entry_id)] = EntryRef(
                keys[entry.slug], entry.version, entry.added_in
            )
            yield indexed(entry)

    return ScreeningIndex(Matcher(walk()), refs)


def index_for(session: Session) -> ScreeningIndex:
    """The index for the lists as this session sees them, cached while they stay the same."""
    state = list_state(session)
    key = (str(session.get_bind().engine.url), state)
    with _lock:
        cached = _cache.get(key)
        if cached is not None:
            _cache.move_to_end(key)
            return cached
    index = build_index(current_entries(session), list_keys(session)) if state else _EMPTY
    with _lock:
        _cache[key] = index
        while len(_cache) > _KEEP:
            _cache.popitem(last=False)
    return index


_EMPTY = ScreeningIndex(Matcher(()), {})
