"""The inputs of the screening benchmark, read in place from shared/data.

Every matcher sees the same inputs: the lists are read once with our own
readers (`adwarden.lists.formats.read_list`) and handed to all three, and every
query carries the same fields (name, type, and for the UN and synthetic people
a date of birth and a nationality).
"""

from __future__ import annotations

import csv
import shutil
import tempfile
from collections.abc import Iterator
from dataclasses import dataclass
from itertools import zip_longest
from pathlib import Path

from followthemoney.types import registry

from adwarden.settings import shared_data

DATA = shared_data()
EVAL = DATA / "eval"
LISTS = DATA / "lists"

# name-pairs.csv schema -> our entity type
SCHEMA_TYPES = {
    "Person": "person",
    "Company": "organization",
    "Organization": "organization",
    "LegalEntity": "organization",
    "Vessel": "vessel",
}


@dataclass(frozen=True, slots=True)
class Pair:
    name1: str
    name2: str
    schema: str  # FollowTheMoney schema, as in the file
    entity_type: str  # our EntityType value
    is_match: bool


@dataclass(frozen=True, slots=True)
class QueryRecord:
    name: str
    entity_type: str = "unknown"  # our EntityType value
    country: str | None = None  # ISO 3166-1 alpha-2, upper case
    birth_date: str | None = None  # ISO prefix
    expect: str | None = None  # for alias queries: the SDN ent_num that should come first


@dataclass(frozen=True, slots=True)
class ListRecord:
    """One list entry as every matcher receives it."""

    list_id: str
    entry_id: str
    entity_type: str  # our EntityType value
    names: tuple[str, ...]
    countries: tuple[str, ...]
    birth_dates: tuple[str, ...]


def _csv(path: Path) -> Iterator[dict[str, str]]:
    with path.open(encoding="utf-8", newline="") as handle:
        yield from csv.DictReader(handle)


def read_pairs() -> list[Pair]:
    return [
        Pair(
            row["name1"],
            row["name2"],
            row["schema"],
            SCHEMA_TYPES.get(row["schema"], "unknown"),
            row["is_match"].strip().lower() == "true",
        )
        for row in _csv(EVAL / "name-pairs.csv")
    ]


def read_cross_script() -> list[tuple[str, str]]:
    """(query, expected Latin match); the file's `#` lines are comments."""
    path = EVAL / "cross_script_pairs.csv"
    lines = [
        line
        for line in path.read_text(encoding="utf-8").splitlines()
        if line.strip() and not line.lstrip().startswith("#")
    ]
    return [(row[0].strip(), row[1].strip()) for row in csv.reader(lines)]


def read_alias_queries() -> list[QueryRecord]:
    return [
        QueryRecord(name=row["name"], entity_type=row["type"].strip(), expect=row["expect"].strip())
        for row in _csv(EVAL / "ofac-alias-queries.csv")
    ]


def country_code(value: str) -> str | None:
    """ISO2 (upper case) for a 2-letter code or a country name, as the people files give them."""
    value = value.strip()
    if not value:
        return None
    code = registry.country.clean(value)
    return code.upper() if code else None


def read_people(file_name: str) -> list[QueryRecord]:
    """The UN positives and the synthetic negatives: people with a date of birth and nationality."""
    return [
        QueryRecord(
            name=row["full_name"].strip(),
            entity_type="person",
            country=country_code(row.get("nationality") or ""),
            birth_date=(row.get("date_of_birth") or "").strip() or None,
        )
        for row in _csv(EVAL / file_name)
        if row["full_name"].strip()
    ]


def _records(list_id: str, path: Path, fmt: str) -> list[ListRecord]:
    from adwarden.domain.enums import ListFormat
    from adwarden.lists.formats import read_list

    return [
        ListRecord(
            list_id,
            entry.entry_id,
            entry.entity_type.value,
            entry.names(),
            entry.countries,
            entry.birth_dates,
        )
        for entry in read_list(path, ListFormat(fmt))
    ]


def read_sdn_primary_only() -> list[ListRecord]:
    """`sdn.csv` on its own, without `alt.csv`, as the alias-query protocol asks."""
    with tempfile.TemporaryDirectory(prefix="bench-sdn-") as folder:
        shutil.copy(LISTS / "ofac-sdn" / "sdn.csv", Path(folder) / "sdn.csv")
        return _records("ofac-sdn", Path(folder), "ofac-csv")


def read_lists() -> dict[str, list[ListRecord]]:
    """Every list in shared/data our readers take, by list id."""
    found = {
        "ofac-sdn": _records("ofac-sdn", LISTS / "ofac-sdn", "ofac-csv"),
        "ofac-consolidated": _records("ofac-consolidated", LISTS / "ofac-consolidated", "ofac-csv"),
        "un": _records("un", LISTS / "un" / "UN_consolidated.xml", "un-xml"),
        "us-csl": _records("us-csl", LISTS / "us-csl" / "csl.csv", "csl-csv"),
    }
    for path in sorted((LISTS / "ftm").glob("*.json")):
        list_id = "ftm-" + path.name.split(".")[0]
        found[list_id] = _records(list_id, path, "ftm")
    return found


def speed_queries(people: list[list[QueryRecord]], aliases: list[QueryRecord]) -> list[QueryRecord]:
    """The query names of every eval file, interleaved so any prefix mixes them all.

    Names only (and the type): a batch of names, no dates or countries.
    """
    mixed: list[QueryRecord] = []
    for group in zip_longest(*people, aliases):
        mixed.extend(
            QueryRecord(name=record.name, entity_type=record.entity_type)
            for record in group
            if record is not None
        )
    return mixed
