"""OFAC's legacy CSV files: the SDN list (`sdn.csv`, ...) or the consolidated list (`cons_*.csv`).

No header; `-0-` stands for an empty value. The primary file holds one row per
entry; the alias, address and comment files refer to it by `ent_num`.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from pathlib import Path

from adwarden.domain.enums import EntityType
from adwarden.lists.entries import ListEntry, ListFormatError
from adwarden.lists.formats import _ofac_remarks
from adwarden.lists.formats._common import (
    country_from_name,
    csv_rows,
    expect_columns,
    read_text,
    unique,
)


@dataclass(frozen=True)
class _Layout:
    primary: str
    aliases: str
    addresses: str
    comments: str


LAYOUTS = (
    _Layout("sdn.csv", "alt.csv", "add.csv", "sdn_comments.csv"),
    _Layout("cons_prim.csv", "cons_alt.csv", "cons_add.csv", "cons_comments.csv"),
)

_TYPES = {
    "individual": EntityType.person,
    "vessel": EntityType.vessel,
    "aircraft": EntityType.aircraft,
    "": EntityType.organization,
}
_ENT_NUM = re.compile(r"[0-9]+")
_PROGRAM_SEPARATOR = re.compile(r"[\[\]]")


@dataclass
class _Draft:
    """An entry while its other files are read into it."""

    line: int
    entry_id: str
    entity_type: EntityType
    name: str
    programs: tuple[str, ...]
    flag: str
    remarks: str
    aliases: list[str] = field(default_factory=list)
    address_countries: list[str] = field(default_factory=list)

    def entry(self) -> ListEntry:
        remarks = self.remarks.strip()
        named = [self.flag, *self.address_countries]
        countries = [
            *_ofac_remarks.countries(remarks),
            *(code for name in named if name and (code := country_from_name(name))),
        ]
        return ListEntry(
            entry_id=self.entry_id,
            entity_type=self.entity_type,
            name=self.name,
            aliases=tuple(self.aliases),
            countries=unique(countries),
            birth_dates=unique(_ofac_remarks.birth_dates(remarks)),
            programs=self.programs,
            notes=remarks or None,
            line=self.line,
        )


def _value(cell: str) -> str:
    cell = cell.strip()
    return "" if cell == "-0-" else cell


def _ent_num(path: Path, line: int, cell: str) -> str:
    value = cell.strip()
    if not _ENT_NUM.fullmatch(value):
        raise ListFormatError(path, line, f"ent_num {value!r} is not a number")
    return value


def _layout(folder: Path) -> _Layout:
    if not folder.exists():
        raise ListFormatError(folder, None, "no such folder")
    if not folder.is_dir():
        raise ListFormatError(folder, None, "is not a folder (ofac-csv reads a folder)")
    found = [layout for layout in LAYOUTS if (folder / layout.primary).is_file()]
    if len(found) != 1:
        first, second = (layout.primary for layout in LAYOUTS)
        problem = (
            f"holds both {first} and {second}" if found else f"holds neither {first} nor {second}"
        )
        raise ListFormatError(folder, None, problem)
    return found[0]


def _read_primary(path: Path) -> dict[str, _Draft]:
    drafts: dict[str, _Draft] = {}
    for line, row in csv_rows(path, read_text(path)):
        expect_columns(path, line, row, 12)
        entry_id = _ent_num(path, line, row[0])
        if entry_id in drafts:
            raise ListFormatError(
                path, line, f"ent_num {entry_id} is already used on line {drafts[entry_id].line}"
            )
        name = _value(row[1])
        if not name:
            raise ListFormatError(path, line, "SDN_Name is empty")
        sdn_type = _value(row[2]).lower()
        if sdn_type not in _TYPES:
            raise ListFormatError(
                path,
                line,
                f"SDN_Type {sdn_type!r} is not one of individual, vessel, aircraft or -0-",
            )
        programs = unique(part.strip() for part in _PROGRAM_SEPARATOR.split(_value(row[3])))
        drafts[entry_id] = _Draft(
            line=line,
            entry_id=entry_id,
            entity_type=_TYPES[sdn_type],
            name=name,
            programs=programs,
            flag=_value(row[9]),
            # unstripped: a comments row may continue it right after a space
            remarks=row[11] if _value(row[11]) else "",
        )
    return drafts


def _related_rows(
    path: Path, columns: int, drafts: dict[str, _Draft], primary: Path, *, strict: bool = True
) -> list[tuple[_Draft, list[str]]]:
    """Rows of a file that refers to the primary file; it is optional.

    With `strict`, a row for an ent_num the primary file lacks is an error.
    """
    if not path.exists():
        return []
    related: list[tuple[_Draft, list[str]]] = []
    for line, row in csv_rows(path, read_text(path)):
        expect_columns(path, line, row, columns)
        entry_id = _ent_num(path, line, row[0])
        if entry_id in drafts:
            related.append((drafts[entry_id], row))
        elif strict:
            raise ListFormatError(path, line, f"ent_num {entry_id} is not in {primary.name}")
    return related


def read(folder: Path) -> list[ListEntry]:
    layout = _layout(folder)
    primary = folder / layout.primary
    drafts = _read_primary(primary)

    for draft, row in _related_rows(folder / layout.aliases, 5, drafts, primary):
        if alias := _value(row[3]):
            draft.aliases.append(alias)
    for draft, row in _related_rows(folder / layout.addresses, 6, drafts, primary):
        if country := _value(row[4]):
            draft.address_countries.append(country)
    # OFAC cuts Remarks at 1,000 characters, mid-word, and carries on here: join as is.
    # Its comments file also carries rows for entries on its other lists (10 of the
    # 13 rows in the 2025-26 sdn_comments.csv), so an unknown ent_num is no error here.
    for draft, row in _related_rows(folder / layout.comments, 2, drafts, primary, strict=False):
        draft.remarks += row[1]

    # ids are unique already: the primary file was checked row by row
    return [draft.entry() for draft in drafts.values()]
