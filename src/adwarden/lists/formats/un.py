"""The UN Security Council consolidated list, as the XML the UN publishes.

`CONSOLIDATED_LIST` holds `INDIVIDUALS/INDIVIDUAL` and `ENTITIES/ENTITY`; each has a
`DATAID`, name parts, aliases and, for individuals, dates of birth and nationalities.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

from lxml import etree  # type: ignore[import-untyped]

from adwarden.domain.enums import EntityType
from adwarden.lists.entries import ListEntry, ListFormatError
from adwarden.lists.formats._common import (
    country_from_name,
    date_prefix,
    ensure_unique_ids,
    iso_date,
    read_bytes,
    unique,
    year_range,
)

# lxml ships no type information; elements are handled through the helpers below
Element = Any

_KINDS = {"INDIVIDUAL": EntityType.person, "ENTITY": EntityType.organization}
_NAME_PARTS = ("FIRST_NAME", "SECOND_NAME", "THIRD_NAME", "FOURTH_NAME")


def _parser() -> Any:
    # no entity expansion, no network, no unbounded trees: the file comes from outside
    return etree.XMLParser(resolve_entities=False, no_network=True, huge_tree=False)


def _text(element: Element) -> str:
    text: str | None = element.text if element is not None else None
    return (text or "").strip()


def _child(element: Element, path: str) -> str:
    return _text(element.find(path))


def _children(element: Element, path: str) -> list[str]:
    return [text for child in element.iterfind(path) if (text := _text(child))]


def _line(element: Element) -> int:
    line: int | None = element.sourceline
    return line or 0


def _birth_dates(item: Element) -> list[str]:
    found: list[str] = []
    for birth in item.iterfind("INDIVIDUAL_DATE_OF_BIRTH"):
        # DATE may carry a time-zone suffix ("1960-03-12-04:00"); the day is enough
        if full := iso_date(_child(birth, "DATE")[:10]):
            found.append(full)
        if year := date_prefix(_child(birth, "YEAR")):
            found.append(year)
        first, last = _child(birth, "FROM_YEAR"), _child(birth, "TO_YEAR")
        if first.isdigit() and last.isdigit():
            found.extend(year_range(int(first), int(last)))
    return found


def _countries(item: Element, kind: str) -> list[str]:
    names = [
        *_children(item, "NATIONALITY/VALUE"),
        *_children(item, f"{kind}_ADDRESS/COUNTRY"),
    ]
    return [code for name in names if (code := country_from_name(name))]


def _entry(path: Path, item: Element, kind: str) -> ListEntry:
    line = _line(item)
    entry_id = _child(item, "DATAID")
    if not entry_id:
        raise ListFormatError(path, line, f"{kind} has no DATAID")
    parts = _NAME_PARTS if kind == "INDIVIDUAL" else _NAME_PARTS[:1]
    name = " ".join(part for tag in parts if (part := _child(item, tag)))
    if not name:
        raise ListFormatError(path, line, f"{kind} {entry_id} has no FIRST_NAME")
    program = _child(item, "UN_LIST_TYPE")
    return ListEntry(
        entry_id=entry_id,
        entity_type=_KINDS[kind],
        name=name,
        aliases=(
            *_children(item, "NAME_ORIGINAL_SCRIPT"),
            *_children(item, f"{kind}_ALIAS/ALIAS_NAME"),
        ),
        countries=unique(_countries(item, kind)),
        birth_dates=unique(_birth_dates(item)),
        programs=(program,) if program else (),
        listed_on=iso_date(_child(item, "LISTED_ON")[:10]),
        notes=_child(item, "COMMENTS1") or None,
        line=line,
    )


def read(path: Path) -> list[ListEntry]:
    data = read_bytes(path)
    try:
        root = etree.fromstring(data, _parser())
    except etree.XMLSyntaxError as exc:
        raise ListFormatError(path, exc.lineno, f"is not well-formed XML: {exc.msg}") from exc
    if root.tag != "CONSOLIDATED_LIST":
        raise ListFormatError(
            path, _line(root), f"root element is <{root.tag}>, expected <CONSOLIDATED_LIST>"
        )
    # walk the sections as they come so entries keep file order
    entries = [
        _entry(path, item, item.tag)
        for section in root.iterfind("*")
        for item in section.iterfind("*")
        if item.tag in _KINDS
    ]
    ensure_unique_ids(path, entries)
    return entries
