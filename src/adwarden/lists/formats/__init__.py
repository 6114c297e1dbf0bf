"""Readers for list files, one module per published format, all giving `ListEntry` rows.

Every reader returns entries in file order, refuses a list that uses an entry id
twice, and reports any problem as a `ListFormatError` naming the file and line.
"""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

from adwarden.domain.enums import ListFormat
from adwarden.lists.entries import ListEntry
from adwarden.lists.formats import csl, ftm, ofac, simple_csv, un

READERS: dict[ListFormat, Callable[[Path], list[ListEntry]]] = {
    ListFormat.ofac_csv: ofac.read,
    ListFormat.un_xml: un.read,
    ListFormat.ftm: ftm.read,
    ListFormat.csl_csv: csl.read,
    ListFormat.csv: simple_csv.read,
}


def read_list(path: Path, fmt: ListFormat) -> list[ListEntry]:
    """Read a list file (a folder for `ofac-csv`) in the given format."""
    return READERS[fmt](path)


__all__ = ["READERS", "read_list"]
