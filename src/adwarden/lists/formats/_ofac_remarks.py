"""Facts OFAC only states in its free-text Remarks: dates of birth and nationalities.

Remarks are `;`-separated phrases such as `DOB 12 Mar 1960`, `alt. DOB circa 1960`,
`DOB 01 Jan 1961 to 31 Dec 1963`, `nationality Russia`, `citizen Mexico` or, for
vessels, `Nationality of Registration Russia`.
"""

from __future__ import annotations

import re
from collections.abc import Iterator

from adwarden.lists.formats._common import country_from_name, date_prefix, year_range

_DOB = re.compile(r"(?:alt\.\s+)?DOB\s+(?:circa\s+)?(?P<value>.+?)\.?", re.IGNORECASE)
# "citizen's Card Number" and "citizenship" are other phrases: a space must follow
_NATIONALITY = re.compile(
    r"(?:alt\.\s+)?(?:nationality|citizen)(?:\s+of\s+registration)?\s*:?\s+"
    r"(?:possibly\s+)?(?P<country>.+?)\.?",
    re.IGNORECASE,
)
_POINT = re.compile(r"(?:(?:(?P<day>\d{1,2})\s+)?(?P<month>[A-Za-z]{3,9})\.?\s+)?(?P<year>\d{4})")
_RANGE = re.compile(r"\s+to\s+|\s*-\s*")
_MONTHS = (
    "january",
    "february",
    "march",
    "april",
    "may",
    "june",
    "july",
    "august",
    "september",
    "october",
    "november",
    "december",
)

Point = tuple[int, int | None, int | None]  # year, month, day


def _phrases(remarks: str) -> Iterator[str]:
    for phrase in remarks.split(";"):
        if phrase.strip():
            yield phrase.strip()


def _month(word: str) -> int | None:
    word = word.lower()
    for number, name in enumerate(_MONTHS, 1):
        if len(word) >= 3 and name.startswith(word):
            return number
    return None


def _point(text: str) -> Point | None:
    match = _POINT.fullmatch(text.strip())
    if match is None:
        return None
    year = int(match["year"])
    if match["month"] is None:
        return (year, None, None)
    month = _month(match["month"])
    if month is None:
        return None
    return (year, month, int(match["day"]) if match["day"] else None)


def _render(point: Point) -> str | None:
    year, month, day = point
    text = f"{year:04d}"
    if month is not None:
        text += f"-{month:02d}"
        if day is not None:
            text += f"-{day:02d}"
    return date_prefix(text)


def _dates(value: str) -> tuple[str, ...]:
    ends = _RANGE.split(value.strip())
    if len(ends) == 1:
        point = _point(ends[0])
        rendered = _render(point) if point else None
        return (rendered,) if rendered else ()
    if len(ends) != 2:
        return ()
    first, last = _point(ends[0]), _point(ends[1])
    if first is None or last is None:
        return ()
    # "01 Feb 1960 to 29 Feb 1960" says February 1960, not just 1960
    if first[:2] == last[:2] and first[1] is not None:
        rendered = _render(first if first == last else (first[0], first[1], None))
        return (rendered,) if rendered else ()
    return year_range(first[0], last[0])


def birth_dates(remarks: str) -> list[str]:
    found: list[str] = []
    for phrase in _phrases(remarks):
        match = _DOB.fullmatch(phrase)
        if match:
            found.extend(_dates(match["value"]))
    return found


def countries(remarks: str) -> list[str]:
    found: list[str] = []
    for phrase in _phrases(remarks):
        match = _NATIONALITY.fullmatch(phrase)
        if match:
            code = country_from_name(match["country"])
            if code:
                found.append(code)
    return found
