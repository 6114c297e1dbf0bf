"""Screening files of names: many queries against one index, or pairs against each other.

Batches run in worker processes forked from the one that built the index, so
the index is shared copy-on-write instead of being rebuilt per worker.
"""

from __future__ import annotations

import csv
import multiprocessing
import os
from collections.abc import Callable, Collection, Iterator, Sequence
from dataclasses import dataclass
from datetime import date
from pathlib import Path
from typing import Any

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
    id: str
    query: Query


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
    """Rows of `id,name,type[,country][,birth_date]`; other columns are ignored."""
    rows: list[BatchRow] = []
    for line, row in _rows(path, ("id", "name", "type")):
        where = f"{path}:{line}"
        if not row["id"] or not row["name"]:
            raise InvalidInputError(f"{where}: id and name must not be empty", "input")
        country = row.get("country") or None
        if country is not None and (len(country) != 2 or not country.isalpha()):
            raise InvalidInputError(
                f"{where}: country {country!r} is not an ISO 3166 code", "country"
            )
        birth = row.get("birth_date") or None
        if birth is not None:
            _check_date(birth, where)
        kind = entity_type(row["type"], where)
        rows.append(
            BatchRow(row["id"], Query(row["name"], kind, country and country.upper(), birth))
        )
    return rows


def _check_date(value: str, where: str) -> None:
    try:
        if len(value) == 4:
            int(value)
        elif len(value) == 7:
            date.fromisoformat(value + "-01")
        else:
            date.fromisoformat(value)
    except ValueError as error:
        raise InvalidInputError(
            f"{where}: birth_date {value!r} is not YYYY, YYYY-MM or YYYY-MM-DD", "birth_date"
        ) from error


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
    return [
        {
            "id": row.id,
            "matches": [match_record(m) for m in matcher.match(row.query, threshold, lists)],
        }
        for row in chunk
    ]


def screen_batch(
    matcher: Matcher,
    rows: Sequence[BatchRow],
    *,
    threshold: float = DEFAULT_THRESHOLD,
    lists: Collection[str] | None = None,
    workers: int | None = None,
    progress: Callable[[int], None] | None = None,
) -> Iterator[dict[str, Any]]:
    """One result per row, in input order, matches best first."""
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
