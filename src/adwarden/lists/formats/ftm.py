"""FollowTheMoney entities as JSON lines (`id`, `schema`, `properties`), as OpenSanctions publishes.

Only things with names a person could screen against become entries: people,
legal entities, vessels and aircraft. Sanctions, addresses, ownerships and the
like are read past.
"""

from __future__ import annotations

import json
from pathlib import Path

from followthemoney import model
from followthemoney.schema import Schema

from adwarden.domain.enums import EntityType
from adwarden.lists.entries import ListEntry, ListFormatError
from adwarden.lists.formats._common import (
    country_from_code,
    date_prefix,
    ensure_unique_ids,
    read_text,
    unique,
)

Properties = dict[str, list[str]]

_COUNTRY_PROPS = ("country", "nationality", "citizenship", "jurisdiction")
_ALIAS_PROPS = ("alias", "previousName", "weakAlias")


def entity_type(schema: Schema) -> EntityType | None:
    """What an entity of this schema is on a list, or None when it is no list entry."""
    # Person is itself a LegalEntity, so it is asked first
    for name, kind in (
        ("Person", EntityType.person),
        ("Vessel", EntityType.vessel),
        ("Airplane", EntityType.aircraft),
        ("LegalEntity", EntityType.organization),
    ):
        if schema.is_a(name):
            return kind
    return None


def _parse(path: Path, line: int, text: str) -> tuple[str, Schema, Properties]:
    try:
        data = json.loads(text)
    except json.JSONDecodeError as exc:
        raise ListFormatError(path, line, f"is not valid JSON: {exc.msg}") from exc
    if not isinstance(data, dict):
        raise ListFormatError(path, line, "is not a JSON object")
    entity_id, schema_name, properties = (data.get(k) for k in ("id", "schema", "properties"))
    if not isinstance(entity_id, str) or not entity_id.strip():
        raise ListFormatError(path, line, "has no id")
    if not isinstance(schema_name, str):
        raise ListFormatError(path, line, f"entity {entity_id} has no schema")
    schema = model.get(schema_name)
    if schema is None:
        raise ListFormatError(path, line, f"entity {entity_id} has unknown schema {schema_name!r}")
    if properties is None:
        properties = {}
    if not isinstance(properties, dict) or not all(
        isinstance(values, list) and all(isinstance(value, str) for value in values)
        for values in properties.values()
    ):
        raise ListFormatError(
            path, line, f"entity {entity_id}: properties must map names to lists of strings"
        )
    return entity_id.strip(), schema, properties


def _values(properties: Properties, *names: str) -> list[str]:
    return [value.strip() for name in names for value in properties.get(name, []) if value.strip()]


def _entry(line: int, entity_id: str, kind: EntityType, props: Properties) -> ListEntry | None:
    names = _values(props, "name")
    if not names:
        return None
    countries = (country_from_code(value) for value in _values(props, *_COUNTRY_PROPS))
    birth_dates = (date_prefix(value[:10]) for value in _values(props, "birthDate"))
    notes = _values(props, "notes")
    source_urls = _values(props, "sourceUrl")
    return ListEntry(
        entry_id=entity_id,
        entity_type=kind,
        name=names[0],
        # FtM merges several sources, so the same name often recurs across properties
        aliases=unique([*names[1:], *_values(props, *_ALIAS_PROPS)], besides=names[0]),
        countries=unique(code for code in countries if code),
        birth_dates=unique(value for value in birth_dates if value),
        programs=unique(_values(props, "programId") or _values(props, "topics")),
        source_url=source_urls[0] if source_urls else None,
        notes="\n".join(unique(notes)) or None,
        line=line,
    )


def read(path: Path) -> list[ListEntry]:
    entries: list[ListEntry] = []
    # split on newlines only: JSON strings may hold other line separators (U+2028)
    for line, text in enumerate(read_text(path).split("\n"), 1):
        if not text.strip():
            continue
        entity_id, schema, properties = _parse(path, line, text)
        kind = entity_type(schema)
        if kind is not None and (entry := _entry(line, entity_id, kind, properties)):
            entries.append(entry)
    ensure_unique_ids(path, entries)
    return entries
