"""What every list reader needs: decoding, CSV rows with their line, countries and dates."""

from __future__ import annotations

import csv
import functools
import io
import re
from collections.abc import Iterable, Iterator, Sequence
from datetime import date
from pathlib import Path

from followthemoney.types import registry
from rigour.territories import get_territory

from adwarden.lists.entries import ListEntry, ListFormatError

# OFAC's files end with a DOS end-of-file mark; it is not data.
_EOF_MARK = "\x1a"

_DATE_PREFIX = re.compile(r"\d{4}(?:-\d{2}(?:-\d{2})?)?")
# A published range wider than this narrows nothing down; we drop it rather than
# expand it into dozens of years.
MAX_YEAR_SPAN = 25


def read_bytes(path: Path) -> bytes:
    if not path.exists():
        raise ListFormatError(path, None, "no such file")
    if not path.is_file():
        raise ListFormatError(path, None, "is not a file")
    try:
        return path.read_bytes()
    except OSError as exc:
        raise ListFormatError(path, None, f"cannot be read: {exc.strerror}") from exc


def read_text(path: Path) -> str:
    """The file as text: UTF-8 with or without a BOM, nothing else."""
    data = read_bytes(path)
    try:
        text = data.decode("utf-8-sig")
    except UnicodeDecodeError as exc:
        line = data[: exc.start].count(b"\n") + 1
        raise ListFormatError(
            path, line, f"is not UTF-8 (byte 0x{data[exc.start]:02x} cannot be decoded)"
        ) from exc
    return text.removesuffix(_EOF_MARK)


def csv_rows(path: Path, text: str) -> Iterator[tuple[int, list[str]]]:
    """Each CSV record with the physical line it starts on; blank lines are skipped.

    `line_num` counts lines read so far, so a record that spans lines (a quoted
    newline) starts one line after where the previous record ended.
    """
    reader = csv.reader(io.StringIO(text, newline=""), strict=True)
    ended = 0
    while True:
        try:
            row = next(reader)
        except StopIteration:
            return
        except csv.Error as exc:
            raise ListFormatError(path, reader.line_num, f"bad CSV: {exc}") from exc
        start, ended = ended + 1, reader.line_num
        if row and any(cell.strip() for cell in row):
            yield start, row


def expect_columns(path: Path, line: int, row: Sequence[str], count: int) -> None:
    if len(row) != count:
        raise ListFormatError(path, line, f"has {len(row)} columns, expected {count}")


def split_list(value: str, separator: str = ";") -> list[str]:
    return [part.strip() for part in value.split(separator) if part.strip()]


def unique(values: Iterable[str], *, besides: str = "") -> tuple[str, ...]:
    """Values in first-seen order without repeats (nor `besides`)."""
    seen = {besides}
    kept: list[str] = []
    for value in values:
        if value and value not in seen:
            seen.add(value)
            kept.append(value)
    return tuple(kept)


def _is_country(code: str | None) -> bool:
    # FtM also knows regions ("ua-cri") and blocs ("eu", "zz"); neither is a
    # country a person or a company belongs to.
    if code is None or len(code) != 2:
        return False
    territory = get_territory(code)
    return territory is not None and territory.region != "Supranational"


@functools.cache
def country_from_name(name: str) -> str | None:
    """ISO alpha-2 (upper case) for a country name such as 'Korea, North', else None."""
    name = name.strip().rstrip(".").strip()
    # a bare two-letter token in a names field is a placeholder ("na"), not a code
    if len(name) <= 2:
        return None
    code = registry.country.clean(name)
    return code.upper() if code is not None and _is_country(code) else None


@functools.cache
def country_from_code(code: str) -> str | None:
    """ISO alpha-2 (upper case) for a code in any case, else None."""
    code = code.strip().lower()
    return code.upper() if _is_country(code) else None


def is_country_code(code: str) -> bool:
    return len(code) == 2 and code.isascii() and _is_country(code.lower())


def date_prefix(value: str) -> str | None:
    """The value if it is a real ISO date or date prefix ("1960", "1960-03", "1960-03-12")."""
    value = value.strip()
    if not _DATE_PREFIX.fullmatch(value):
        return None
    year, month, day = ([int(part) for part in value.split("-")] + [1, 1])[:3]
    try:
        date(year, month, day)
    except ValueError:
        return None
    return value


def iso_date(value: str) -> str | None:
    """The value if it is a full ISO date (YYYY-MM-DD)."""
    value = value.strip()
    return value if len(value) == 10 and date_prefix(value) == value else None


def year_range(first: int, last: int) -> tuple[str, ...]:
    if last < first or last - first > MAX_YEAR_SPAN:
        return ()
    return tuple(f"{year:04d}" for year in range(first, last + 1))


def ensure_unique_ids(path: Path, entries: Sequence[ListEntry]) -> None:
    first_line: dict[str, int] = {}
    for entry in entries:
        if entry.entry_id in first_line:
            raise ListFormatError(
                path,
                entry.line,
                f"id {entry.entry_id!r} is already used on line {first_line[entry.entry_id]}",
            )
        first_line[entry.entry_id] = entry.line
