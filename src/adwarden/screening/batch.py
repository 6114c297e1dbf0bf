"""Screening files of names: many queries against one index, or pairs against each other.

Batches run in worker processes forked from the one that built the index, so
the index is shared copy-on-write instead of being rebuilt per worker.
"""

from __future__ import annotations

import csv
import multiprocessing
import os
import re
from collections.abc import Callable, Collection, Iterator, Sequence
from dataclasses import dataclass
from datetime import date
from pathlib import Path
from typing import Any

from rigour.territories import lookup_territory

from adwarden.domain.enums import EntityType
from adwarden.domain.errors import InvalidInputError
from adwarden.screening.compare import compare_names
from adwarden.screening.matcher import Match, Matcher, Query
from adwarden.screening.scoring import DEFAULT_THRESHOLD

_TYPES = {
    "": EntityType.unknown,
    "person": EntityType.person,
    "individual": EntityType.person,
    "organization": EntityType.organization,
    "organisation": EntityType.organization,
    "company": EntityType.organization,
    "entity": EntityType.organization,
    "legalentity": EntityType.organization,
    "vessel": EntityType.vessel,
    "aircraft": EntityType.aircraft,
    "airplane": EntityType.aircraft,
}
# FollowTheMoney schema names, as in the pairs format
_SCHEMATA = {"person": EntityType.person, "company": EntityType.organization,
             "organization": EntityType.organization, "legalentity": EntityType.organization,
             "vessel": EntityType.vessel, "airplane": EntityType.aircraft}  # fmt: skip


def entity_type(value: str, where: str) -> EntityType:
    found = _TYPES.get(value.strip().lower())
    if found is None:
        raise InvalidInputError(f"{where}: type {value!r} is not person or organization", "type")
    return found


@dataclass(frozen=True)
class BatchRow:
    """A row to screen, or (with `error` set and no query) one that cannot be screened."""

    id: str
    query: Query | None
    warnings: tuple[str, ...] = ()
    error: str | None = None


def _rows(path: Path, required: Sequence[str]) -> Iterator[tuple[int, dict[str, str]]]:
    try:
        handle = path.open(encoding="utf-8-sig", newline="")
    except OSError as error:
        raise InvalidInputError(f"{path}: cannot read: {error.strerror}", "input") from error
    with handle:
        reader = csv.DictReader(handle)
        try:
            header = [name.strip() for name in reader.fieldnames or []]
            missing = [column for column in required if column not in header]
            if missing:
                raise InvalidInputError(
                    f"{path}:1: missing column {', '.join(missing)} (needs {', '.join(required)})",
                    "input",
                )
            reader.fieldnames = header
            line = reader.line_num
            for row in reader:
                yield line + 1, {key: (value or "").strip() for key, value in row.items() if key}
                line = reader.line_num
        except UnicodeDecodeError as error:
            raise InvalidInputError(f"{path}: not UTF-8 text ({error.reason})", "input") from error
        except csv.Error as error:
            raise InvalidInputError(f"{path}:{reader.line_num}: {error}", "input") from error


def read_batch(path: Path) -> list[BatchRow]:
    """Rows of `id,name,type[,country][,birth_date]`; other columns are ignored.

    Only a file that cannot be read as a whole raises. A row without an id or a
    name becomes an error row; a type, country or date that cannot be read is
    left out of the query with a warning, and the row is screened without it.
    """
    rows: list[BatchRow] = []
    for line, row in _rows(path, ("id", "name", "type")):
        if not row["id"] or not row["name"]:
            empty = " and ".join(key for key in ("id", "name") if not row[key])
            rows.append(BatchRow(row["id"], None, error=f"line {line}: {empty} is empty"))
            continue
        warnings: list[str] = []
        kind = _TYPES.get(row["type"].lower())
        if kind is None:
            warnings.append(
                f"type {row['type']!r} is not person or organization; screened as either"
            )
            kind = EntityType.unknown
        country = None
        if written := row.get("country"):
            country = country_code(written)
            if country is None:
                warnings.append(f"country {written!r} is not a known country; left out")
        birth = None
        if written := row.get("birth_date"):
            birth, note = birth_date(written)
            if note:
                warnings.append(note)
        rows.append(BatchRow(row["id"], Query(row["name"], kind, country, birth), tuple(warnings)))
    return rows


def country_code(value: str) -> str | None:
    """ISO 3166 alpha-2 (upper case) for a code or a country's name in any language.

    Regions (Crimea) and blocs (EU) are not countries a person belongs to; a
    part of a country (England) stands for the country.
    """
    territory = lookup_territory(value.strip())
    if territory is None or territory.ftm_country is None:
        return None
    code = territory.ftm_country
    if len(code) != 2 or territory.region == "Supranational":
        return None
    return code.upper()


# 1969-7-16, 1969/07/16, 1969.7.16, 1969-07, 1969
_YEAR_FIRST = re.compile(r"(\d{4})(?:[-/.](\d{1,2})(?:[-/.](\d{1,2}))?)?")
# 16.7.1969, 16-07-1969, 16/7/1969 (or 7/16/1969 where the numbers tell)
_YEAR_LAST = re.compile(r"(\d{1,2})([-/.])(\d{1,2})\2(\d{4})")
_DATE_FORMS = "YYYY, YYYY-MM, YYYY-MM-DD or DD.MM.YYYY"


def birth_date(value: str) -> tuple[str | None, str | None]:
    """The date as precise as it is written (YYYY, YYYY-MM or YYYY-MM-DD), and a warning.

    A value that is not a date gives no date and says so. `3/4/1969` could be
    either month first or day first; only its year is kept, with a warning.
    """
    value = value.strip()
    month: int | None
    day: int | None
    if found := _YEAR_FIRST.fullmatch(value):
        year, month, day = (int(part) if part else None for part in found.groups())
    elif found := _YEAR_LAST.fullmatch(value):
        day, month, year = int(found[1]), int(found[3]), int(found[4])
        if found[2] == "/" and day != month and day <= 12 and month <= 12:
            return f"{year:04d}", f"birth_date {value!r} could be day or month first; year kept"
        if found[2] == "/" and month > 12 >= day:
            day, month = month, day
    else:
        return None, f"birth_date {value!r} is not a date ({_DATE_FORMS}); left out"
    assert year is not None
    try:
        date(year, month or 1, day or 1)
    except ValueError:
        return None, f"birth_date {value!r} is not a real date; left out"
    parts = [f"{year:04d}"] + [f"{part:02d}" for part in (month, day) if part is not None]
    return "-".join(parts), None


def match_record(match: Match) -> dict[str, Any]:
    return {
        "list": match.list_id,
        "entry_id": match.entry_id,
        "name": match.name,
        "score": match.score,
        "explanation": match.explanation,
    }


# set in the parent before forking; workers inherit it
_job: tuple[Matcher, float, frozenset[str] | None] | None = None


def _screen_chunk(chunk: list[BatchRow]) -> list[dict[str, Any]]:
    assert _job is not None
    matcher, threshold, lists = _job
    return [_screen_row(matcher, row, threshold, lists) for row in chunk]


def _screen_row(
    matcher: Matcher, row: BatchRow, threshold: float, lists: frozenset[str] | None
) -> dict[str, Any]:
    if row.query is None:
        return {"id": row.id, "error": row.error}
    result: dict[str, Any] = {
        "id": row.id,
        "matches": [match_record(m) for m in matcher.match(row.query, threshold, lists)],
    }
    if row.warnings:
        result["warnings"] = list(row.warnings)
    return result


def screen_batch(
    matcher: Matcher,
    rows: Sequence[BatchRow],
    *,
    threshold: float = DEFAULT_THRESHOLD,
    lists: Collection[str] | None = None,
    workers: int | None = None,
    progress: Callable[[int], None] | None = None,
) -> Iterator[dict[str, Any]]:
    """One result per row, in input order, matches best first.

    A good row gives `{"id", "matches"}` (and `"warnings"` when something in it
    was left out); a row that cannot be screened gives `{"id", "error"}`.
    """
    global _job
    _job = (matcher, threshold, frozenset(lists) if lists is not None else None)
    chunks = [list(rows[start : start + 200]) for start in range(0, len(rows), 200)]
    count = workers or os.cpu_count() or 1
    if count <= 1 or len(rows) < 1000:
        results: Iterator[list[dict[str, Any]]] = map(_screen_chunk, chunks)
        yield from _reported(results, progress)
        return
    with multiprocessing.get_context("fork").Pool(count) as pool:
        yield from _reported(pool.imap(_screen_chunk, chunks), progress)


def _reported(
    results: Iterator[list[dict[str, Any]]], progress: Callable[[int], None] | None
) -> Iterator[dict[str, Any]]:
    for chunk in results:
        yield from chunk
        if progress is not None:
            progress(len(chunk))


@dataclass(frozen=True)
class PairRow:
    id: str
    name1: str
    name2: str
    entity_type: EntityType


def read_pairs(path: Path) -> list[PairRow]:
    """Rows of `id,name1,name2[,schema]` with schema Person, Company, Organization or LegalEntity."""
    rows: list[PairRow] = []
    for line, row in _rows(path, ("id", "name1", "name2")):
        schema = row.get("schema", "")
        kind = _SCHEMATA.get(schema.lower(), EntityType.unknown)
        if schema and schema.lower() not in _SCHEMATA:
            raise InvalidInputError(
                f"{path}:{line}: schema {schema!r} is not Person, Company, Organization or LegalEntity",
                "schema",
            )
        rows.append(PairRow(row["id"], row["name1"], row["name2"], kind))
    return rows


def score_pairs(
    rows: Sequence[PairRow], threshold: float = DEFAULT_THRESHOLD
) -> Iterator[dict[str, Any]]:
    for row in rows:
        score = compare_names(row.name1, row.name2, row.entity_type).score
        yield {"id": row.id, "score": score, "match": score >= threshold}
