"""Importing list files as versions, and reading lists back for screening and display.

An import runs in the caller's transaction and writes one audit row; it either
lands whole or not at all. Entry rows are written with bulk statements (one
executemany insert, one executemany update), never one ORM object per entry:
a sanctions list has tens of thousands of entries and an import must take
seconds. Nothing is deleted: entries that leave a list or change are closed
with `removed_in`.
"""

from __future__ import annotations

import hashlib
import re
from collections.abc import Collection, Iterable, Iterator, Sequence
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path
from typing import Any, cast

from sqlalchemy import Row, Select, Table, bindparam, func, insert, select, update
from sqlalchemy.orm import Session

from adwarden.audit.services import record
from adwarden.domain.actors import Actor
from adwarden.domain.enums import EntityType, ListFormat, ListKind
from adwarden.domain.errors import ConflictError, InvalidInputError, NotFoundError
from adwarden.lists.entries import ListEntry, ListFormatError
from adwarden.lists.formats import read_list
from adwarden.lists.models import ListEntryRecord, ListVersion, WatchList
from adwarden.store.base import utcnow

SLUG = re.compile(r"^[a-z0-9_-]{1,64}$")
# The entries table itself, for Core bulk statements that skip the ORM's per-row work.
_ENTRIES = cast(Table, ListEntryRecord.__table__)
# Ids per statement when selecting by id, well under every engine's limit on parameters.
_CHUNK = 500


@dataclass(frozen=True)
class VersionSummary:
    """One version of a list, detached from the session, for results and display."""

    slug: str
    kind: ListKind
    number: int
    format: ListFormat
    source: str
    content_hash: str
    entry_count: int
    added: int
    removed: int
    changed: int
    imported_by: str
    created_at: datetime


@dataclass(frozen=True)
class ImportResult:
    """A version and the list's own ids of the entries it added, removed and changed."""

    version: VersionSummary
    added: list[str]
    removed: list[str]
    changed: list[str]


@dataclass(frozen=True)
class ListSummary:
    slug: str
    kind: ListKind
    created_at: datetime
    versions: tuple[VersionSummary, ...]  # newest first

    @property
    def latest(self) -> VersionSummary | None:
        return self.versions[0] if self.versions else None


@dataclass(frozen=True, slots=True)
class CurrentEntry:
    """A current entry of a list, as screening reads it.

    `version` is the list's newest version (the one the entry is current in);
    `added_in` is the version its current content first appeared in.
    """

    slug: str
    kind: ListKind
    entry_id: str
    entity_type: EntityType
    name: str
    aliases: tuple[str, ...]
    countries: tuple[str, ...]
    birth_dates: tuple[str, ...]
    programs: tuple[str, ...]
    version: int
    added_in: int

    def names(self) -> tuple[str, ...]:
        return (self.name, *self.aliases)


def validate_slug(slug: str) -> str:
    if not SLUG.match(slug):
        raise InvalidInputError(
            f"list id {slug!r} must be 1 to 64 lower-case letters, digits, '-' or '_'",
            field="list",
        )
    return slug


def entry_id_order(entry_id: str) -> tuple[int, int, str]:
    """Numeric ids (OFAC ent_num, UN DATAID) in numeric order, then the rest."""
    return (0, int(entry_id), entry_id) if entry_id.isdigit() else (1, 0, entry_id)


def _sorted_ids(ids: Iterable[str]) -> list[str]:
    return sorted(ids, key=entry_id_order)


def version_hash(entry_hashes: Iterable[str]) -> str:
    """The hash of a list's whole content from its entries' content hashes.

    Sorted first, so it does not depend on entry order or file layout.
    """
    return hashlib.sha256("".join(f"{h}\n" for h in sorted(entry_hashes)).encode()).hexdigest()


def import_list(
    session: Session, actor: Actor, path: Path, fmt: ListFormat, slug: str, kind: ListKind
) -> ImportResult:
    """Read a list file (or folder) and store it as the list's next version.

    The list is created on its first import; later imports must name the same kind.
    """
    validate_slug(slug)
    if not path.exists():
        raise ListFormatError(path, None, "no such file or folder")
    entries = read_list(path, fmt)
    return import_entries(session, actor, entries, slug=slug, kind=kind, fmt=fmt, source=str(path))


def import_entries(
    session: Session,
    actor: Actor,
    entries: Sequence[ListEntry],
    *,
    slug: str,
    kind: ListKind,
    fmt: ListFormat,
    source: str,
) -> ImportResult:
    """Store entries already read as the list's next version (see `import_list`)."""
    validate_slug(slug)
    incoming = _by_entry_id(entries, Path(source))
    hashes = {entry_id: entry.content_hash() for entry_id, entry in incoming.items()}

    watch_list = session.scalars(
        select(WatchList).where(WatchList.slug == slug).with_for_update()
    ).one_or_none()
    previous: dict[str, tuple[int, str]] = {}  # entry id -> (row id, content hash)
    number = 1
    if watch_list is not None:
        if watch_list.kind is not kind:
            raise ConflictError(
                f"list {slug} is a {watch_list.kind.value} list; "
                f"it cannot be imported as {kind.value}"
            )
        latest = session.scalar(
            select(func.max(ListVersion.number)).where(ListVersion.list_id == watch_list.id)
        )
        number = (latest or 0) + 1
        rows = session.execute(
            select(
                ListEntryRecord.entry_id, ListEntryRecord.id, ListEntryRecord.content_hash
            ).where(ListEntryRecord.list_id == watch_list.id, ListEntryRecord.removed_in.is_(None))
        )
        previous = {entry_id: (row_id, content) for entry_id, row_id, content in rows}

    added = _sorted_ids(incoming.keys() - previous.keys())
    removed = _sorted_ids(previous.keys() - incoming.keys())
    changed = _sorted_ids(
        entry_id
        for entry_id in incoming.keys() & previous.keys()
        if previous[entry_id][1] != hashes[entry_id]
    )
    content_hash = version_hash(hashes.values())

    now = utcnow()
    created = watch_list is None
    if watch_list is None:
        watch_list = WatchList(slug=slug, kind=kind, created_at=now)
    version = ListVersion(
        watch_list=watch_list,
        number=number,
        format=fmt,
        source=source,
        content_hash=content_hash,
        entry_count=len(incoming),
        added=len(added),
        removed=len(removed),
        changed=len(changed),
        imported_by=actor.label,
        created_at=now,
    )
    audit = record(
        session,
        actor,
        "list_version",
        "imported",
        None,
        changes={
            "list": slug,
            "kind": kind.value,
            "new_list": created,
            "number": number,
            "format": fmt.value,
            "source": source,
            "entry_count": len(incoming),
            "added": len(added),
            "removed": len(removed),
            "changed": len(changed),
            "content_hash": content_hash,
        },
    )
    session.add(version)
    session.flush()
    audit.subject_id = str(version.id)

    closed = [{"row_id": previous[entry_id][0]} for entry_id in (*removed, *changed)]
    if closed:
        session.execute(
            update(_ENTRIES).where(_ENTRIES.c.id == bindparam("row_id")).values(removed_in=number),
            closed,
        )
    fresh = [
        _entry_row(incoming[entry_id], hashes[entry_id], watch_list.id, number, now)
        for entry_id in (*added, *changed)
    ]
    if fresh:
        session.execute(insert(_ENTRIES), fresh)
    return ImportResult(_summary(version, slug, kind), added, removed, changed)


def _by_entry_id(entries: Sequence[ListEntry], path: Path) -> dict[str, ListEntry]:
    found: dict[str, ListEntry] = {}
    for entry in entries:
        first = found.get(entry.entry_id)
        if first is not None:
            where = f" (first on line {first.line})" if first.line else ""
            raise ListFormatError(
                path, entry.line or None, f"entry id {entry.entry_id!r} appears twice{where}"
            )
        found[entry.entry_id] = entry
    return found


def _entry_row(
    entry: ListEntry, content_hash: str, list_id: int, number: int, now: datetime
) -> dict[str, Any]:
    return {
        "list_id": list_id,
        "entry_id": entry.entry_id,
        "entity_type": entry.entity_type,
        "name": entry.name,
        "aliases": list(entry.aliases),
        "countries": list(entry.countries),
        "birth_dates": list(entry.birth_dates),
        "programs": list(entry.programs),
        "source_url": entry.source_url,
        "listed_on": entry.listed_on,
        "notes": entry.notes,
        "content_hash": content_hash,
        "added_in": number,
        "removed_in": None,
        "created_at": now,
    }


def _summary(version: ListVersion, slug: str, kind: ListKind) -> VersionSummary:
    return VersionSummary(
        slug=slug,
        kind=kind,
        number=version.number,
        format=version.format,
        source=version.source,
        content_hash=version.content_hash,
        entry_count=version.entry_count,
        added=version.added,
        removed=version.removed,
        changed=version.changed,
        imported_by=version.imported_by,
        created_at=version.created_at,
    )


def _get_list(session: Session, slug: str) -> WatchList:
    found = session.scalars(select(WatchList).where(WatchList.slug == slug)).one_or_none()
    if found is None:
        raise NotFoundError("list", slug)
    return found


def list_summaries(session: Session, slug: str | None = None) -> list[ListSummary]:
    """Every list (or the one named) with its versions, newest first; lists by slug."""
    lists_query = select(WatchList).order_by(WatchList.slug)
    if slug is not None:
        lists_query = lists_query.where(WatchList.slug == slug)
    watch_lists = list(session.scalars(lists_query))
    if slug is not None and not watch_lists:
        raise NotFoundError("list", slug)
    by_list: dict[int, list[VersionSummary]] = {w.id: [] for w in watch_lists}
    versions = session.scalars(
        select(ListVersion)
        .where(ListVersion.list_id.in_(by_list))
        .order_by(ListVersion.list_id, ListVersion.number.desc())
    )
    kinds = {w.id: (w.slug, w.kind) for w in watch_lists}
    for version in versions:
        by_list[version.list_id].append(_summary(version, *kinds[version.list_id]))
    return [ListSummary(w.slug, w.kind, w.created_at, tuple(by_list[w.id])) for w in watch_lists]


def _entries_query() -> Select[Any]:
    newest = (
        select(ListVersion.list_id, func.max(ListVersion.number).label("number"))
        .group_by(ListVersion.list_id)
        .subquery()
    )
    return (
        select(
            WatchList.slug,
            WatchList.kind,
            ListEntryRecord.entry_id,
            ListEntryRecord.entity_type,
            ListEntryRecord.name,
            ListEntryRecord.aliases,
            ListEntryRecord.countries,
            ListEntryRecord.birth_dates,
            ListEntryRecord.programs,
            newest.c.number,
            ListEntryRecord.added_in,
        )
        .join(WatchList, WatchList.id == ListEntryRecord.list_id)
        .join(newest, newest.c.list_id == ListEntryRecord.list_id)
        .where(ListEntryRecord.removed_in.is_(None))
    )


def _current_entry(row: Row[Any]) -> CurrentEntry:
    return CurrentEntry(
        slug=row.slug,
        kind=row.kind,
        entry_id=row.entry_id,
        entity_type=row.entity_type,
        name=row.name,
        aliases=tuple(row.aliases),
        countries=tuple(row.countries),
        birth_dates=tuple(row.birth_dates),
        programs=tuple(row.programs),
        version=row.number,
        added_in=row.added_in,
    )


def current_entries(
    session: Session, slugs: Collection[str] | None = None
) -> Iterator[CurrentEntry]:
    """Every current entry of every list (or of the lists named), in one query."""
    query = _entries_query().order_by(WatchList.slug, ListEntryRecord.id)
    if slugs is not None:
        query = query.where(WatchList.slug.in_(list(slugs)))
    for row in session.execute(query):
        yield _current_entry(row)


def entries_by_ids(session: Session, slug: str, entry_ids: Iterable[str]) -> list[CurrentEntry]:
    """The current entries of one list with these ids, in id order; ids not current are left out."""
    wanted = list(dict.fromkeys(entry_ids))
    found: list[CurrentEntry] = []
    for start in range(0, len(wanted), _CHUNK):
        query = _entries_query().where(
            WatchList.slug == slug, ListEntryRecord.entry_id.in_(wanted[start : start + _CHUNK])
        )
        found.extend(_current_entry(row) for row in session.execute(query))
    return sorted(found, key=lambda entry: entry_id_order(entry.entry_id))


def version_diff(session: Session, slug: str, number: int) -> ImportResult:
    """What one version of a list added, removed and changed, read back from the rows."""
    watch_list = _get_list(session, slug)
    version = session.scalars(
        select(ListVersion).where(
            ListVersion.list_id == watch_list.id, ListVersion.number == number
        )
    ).one_or_none()
    if version is None:
        raise NotFoundError("list version", f"{slug} v{number}")
    rows = session.execute(
        select(ListEntryRecord.entry_id, ListEntryRecord.added_in).where(
            ListEntryRecord.list_id == watch_list.id,
            (ListEntryRecord.added_in == number) | (ListEntryRecord.removed_in == number),
        )
    )
    came: set[str] = set()
    went: set[str] = set()
    for entry_id, added_in in rows:
        (came if added_in == number else went).add(entry_id)
    return ImportResult(
        _summary(version, watch_list.slug, watch_list.kind),
        added=_sorted_ids(came - went),
        removed=_sorted_ids(went - came),
        changed=_sorted_ids(came & went),
    )
