"""The US Consolidated Screening List (trade.gov) as CSV with a header row.

Newer downloads carry an `_id` (or `id`) column. Older ones, like our sample,
have none: then only SDN and SSI rows have an `entity_number`, so an entry's
id is the source list's short name plus that number, or plus a digest of the
row where the source gives no number.
"""

from __future__ import annotations

import hashlib
import re
from pathlib import Path

from adwarden.domain.enums import EntityType
from adwarden.lists.entries import ListEntry, ListFormatError
from adwarden.lists.formats._common import (
    country_from_code,
    country_from_name,
    csv_rows,
    date_prefix,
    ensure_unique_ids,
    iso_date,
    read_text,
    split_list,
    unique,
)

_TYPES = {
    "individual": EntityType.person,
    "entity": EntityType.organization,
    "vessel": EntityType.vessel,
    "aircraft": EntityType.aircraft,
    # the BIS and State Department lists say nothing about what a party is
    "": EntityType.unknown,
}
_ID_COLUMNS = ("_id", "id")
_SOURCE_SHORT_NAME = re.compile(r"\(([A-Z]+)\)")

Row = dict[str, str]


def _country(value: str) -> str | None:
    return country_from_code(value) if len(value) == 2 else country_from_name(value)


def _address_countries(addresses: str) -> list[str]:
    # each address ends with its ISO code when it has a country: "..., Moscow, 117997, RU";
    # a US address may end in a ZIP code instead, and is then left out
    found: list[str] = []
    for address in split_list(addresses):
        last = address.rsplit(",", 1)[-1].strip()
        if len(last) == 2 and last.isupper() and (code := country_from_code(last)):
            found.append(code)
    return found


def _entry_id(row: Row, id_column: str | None) -> str:
    if id_column is not None:
        return row[id_column].strip()
    short = _SOURCE_SHORT_NAME.search(row.get("source", ""))
    prefix = short[1] if short else "CSL"
    number = row.get("entity_number", "").strip()
    if number:
        return f"{prefix}-{number}"
    digest = hashlib.sha256("\x1f".join(row.values()).encode()).hexdigest()
    return f"{prefix}-{digest[:16]}"


def _entry(path: Path, line: int, row: Row, id_column: str | None) -> ListEntry:
    entry_id = _entry_id(row, id_column)
    if not entry_id:
        raise ListFormatError(path, line, f"{id_column} is empty")
    name = row["name"].strip()
    if not name:
        raise ListFormatError(path, line, "name is empty")
    kind = row.get("type", "").strip()
    if kind.lower() not in _TYPES:
        raise ListFormatError(
            path, line, f"type {kind!r} is not one of Individual, Entity, Vessel, Aircraft"
        )
    named = [
        value
        for column in ("nationalities", "citizenships", "vessel_flag")
        for value in split_list(row.get(column, ""))
    ]
    countries = [*map(_country, named), *_address_countries(row.get("addresses", ""))]
    birth_dates = (date_prefix(value) for value in split_list(row.get("dates_of_birth", "")))
    source_url = row.get("source_list_url", "").strip() or row.get("source_information_url", "")
    return ListEntry(
        entry_id=entry_id,
        entity_type=_TYPES[kind.lower()],
        name=name,
        aliases=tuple(split_list(row.get("alt_names", ""))),
        countries=unique(code for code in countries if code),
        birth_dates=unique(value for value in birth_dates if value),
        programs=tuple(split_list(row.get("programs", ""))),
        source_url=source_url.strip() or None,
        listed_on=iso_date(row.get("start_date", "")),
        notes=row.get("remarks", "").strip() or None,
        line=line,
    )


def read(path: Path) -> list[ListEntry]:
    rows = csv_rows(path, read_text(path))
    header_line, header = next(rows, (1, []))
    columns = [column.strip() for column in header]
    if "name" not in columns:
        raise ListFormatError(path, header_line, "header has no name column")
    id_column = next((column for column in _ID_COLUMNS if column in columns), None)
    entries: list[ListEntry] = []
    for line, cells in rows:
        if len(cells) != len(columns):
            raise ListFormatError(
                path, line, f"has {len(cells)} columns, the header has {len(columns)}"
            )
        entries.append(_entry(path, line, dict(zip(columns, cells, strict=True)), id_column))
    ensure_unique_ids(path, entries)
    return entries
