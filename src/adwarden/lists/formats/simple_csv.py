"""Our own list format: CSV with the header `id,name,type,aliases,country,program,source_url,listed_on,notes`.

Only `id` and `name` are required; every value is checked, and a column we do
not know is an error, so a typo in a header cannot silently drop data.
"""

from __future__ import annotations

import csv
from collections.abc import Iterable
from pathlib import Path
from urllib.parse import urlsplit

from adwarden.domain.enums import EntityType
from adwarden.lists.entries import ListEntry, ListFormatError
from adwarden.lists.formats._common import (
    csv_rows,
    ensure_unique_ids,
    is_country_code,
    iso_date,
    read_text,
    split_list,
)

COLUMNS = (
    "id",
    "name",
    "type",
    "aliases",
    "country",
    "program",
    "source_url",
    "listed_on",
    "notes",
)
REQUIRED = ("id", "name")
SEPARATOR = ";"
TYPES = (EntityType.person, EntityType.organization, EntityType.vessel, EntityType.aircraft)


def _header(path: Path, line: int, cells: list[str]) -> list[str]:
    columns = [cell.strip().lower() for cell in cells]
    unknown = [column for column in columns if column not in COLUMNS]
    if unknown:
        raise ListFormatError(
            path,
            line,
            f"unknown column(s) {', '.join(map(repr, unknown))}; the columns are {', '.join(COLUMNS)}",
        )
    missing = [column for column in REQUIRED if column not in columns]
    if missing:
        raise ListFormatError(path, line, f"header lacks the column(s) {', '.join(missing)}")
    repeated = sorted({column for column in columns if columns.count(column) > 1})
    if repeated:
        raise ListFormatError(path, line, f"column(s) {', '.join(repeated)} appear twice")
    return columns


def _type(path: Path, line: int, value: str) -> EntityType:
    if not value:
        return EntityType.organization
    for kind in TYPES:
        if value.lower() == kind.value:
            return kind
    allowed = ", ".join(kind.value for kind in TYPES)
    raise ListFormatError(path, line, f"type {value!r} is not one of {allowed}")


def _countries(path: Path, line: int, value: str) -> tuple[str, ...]:
    codes = split_list(value, SEPARATOR)
    for code in codes:
        if not is_country_code(code):
            raise ListFormatError(
                path, line, f"country {code!r} is not an ISO 3166-1 alpha-2 country code"
            )
    return tuple(code.upper() for code in codes)


def _url(path: Path, line: int, value: str) -> str | None:
    if not value:
        return None
    parts = urlsplit(value)
    if parts.scheme not in ("http", "https") or not parts.netloc or " " in value:
        raise ListFormatError(path, line, f"source_url {value!r} is not an http(s) URL")
    return value


def _date(path: Path, line: int, value: str) -> str | None:
    if not value:
        return None
    if iso_date(value) is None:
        raise ListFormatError(path, line, f"listed_on {value!r} is not a date (YYYY-MM-DD)")
    return value


def _entry(path: Path, line: int, row: dict[str, str]) -> ListEntry:
    for column in REQUIRED:
        if not row[column]:
            raise ListFormatError(path, line, f"{column} is empty")
    return ListEntry(
        entry_id=row["id"],
        entity_type=_type(path, line, row["type"]),
        name=row["name"],
        aliases=tuple(split_list(row["aliases"], SEPARATOR)),
        countries=_countries(path, line, row["country"]),
        programs=tuple(split_list(row["program"], SEPARATOR)),
        source_url=_url(path, line, row["source_url"]),
        listed_on=_date(path, line, row["listed_on"]),
        notes=row["notes"] or None,
        line=line,
    )


def read(path: Path) -> list[ListEntry]:
    rows = csv_rows(path, read_text(path))
    first = next(rows, None)
    if first is None:
        raise ListFormatError(
            path, None, f"is empty; the first line must be the header {','.join(COLUMNS)}"
        )
    columns = _header(path, *first)
    entries: list[ListEntry] = []
    for line, cells in rows:
        if len(cells) != len(columns):
            raise ListFormatError(
                path, line, f"has {len(cells)} columns, the header has {len(columns)}"
            )
        row = dict.fromkeys(COLUMNS, "")
        row.update((column, cell.strip()) for column, cell in zip(columns, cells, strict=True))
        entries.append(_entry(path, line, row))
    ensure_unique_ids(path, entries)
    return entries


def _cell(kind: str, values: Iterable[str], entry: ListEntry) -> str:
    values = list(values)
    if any(SEPARATOR in value for value in values):
        raise ValueError(f"entry {entry.entry_id}: {kind} {values!r} would split on {SEPARATOR!r}")
    return SEPARATOR.join(values)


def write(path: Path, entries: Iterable[ListEntry]) -> None:
    """Write entries in this format; refuses what it could not read back as written."""
    with path.open("w", encoding="utf-8", newline="") as handle:
        writer = csv.writer(handle)
        writer.writerow(COLUMNS)
        for entry in entries:
            if entry.entity_type not in TYPES:
                raise ValueError(
                    f"entry {entry.entry_id}: type {entry.entity_type} has no column value"
                )
            if entry.birth_dates:
                raise ValueError(f"entry {entry.entry_id}: the csv format has no birth dates")
            writer.writerow(
                [
                    entry.entry_id,
                    entry.name,
                    entry.entity_type.value,
                    _cell("aliases", entry.aliases, entry),
                    _cell("countries", entry.countries, entry),
                    _cell("programs", entry.programs, entry),
                    entry.source_url or "",
                    entry.listed_on or "",
                    entry.notes or "",
                ]
            )
