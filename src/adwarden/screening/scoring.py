"""From a name score to a match score: what dates of birth, countries and types add.

Scores are in [0, 1]. On the labelled name pairs in shared/data/eval, names
scoring at or above `DEFAULT_THRESHOLD` were the same entity 94% of the time
(docs/screening.md has the table by score band). Dates of birth and countries
only count when both sides give them.
"""

from __future__ import annotations

from collections.abc import Sequence

from adwarden.domain.enums import EntityType

DEFAULT_THRESHOLD = 0.85

TYPE_MISMATCH = 0.8  # a person's name on an organisation's entry
BIRTH_YEAR_CLOSE = 0.93  # one year apart: a common recording error
BIRTH_DATE_DIFFERS = 0.7  # born years apart: a namesake, not the entry
COUNTRY_DIFFERS = 0.92
SAME_BIRTH_DATE = 0.05
SAME_BIRTH_YEAR = 0.02
SAME_COUNTRY = 0.02


def _compatible(kind: EntityType, other: EntityType) -> bool:
    return EntityType.unknown in (kind, other) or kind is other


def _year(date: str) -> int | None:
    head = date[:4]
    return int(head) if head.isdigit() else None


def adjust(
    name_score: float,
    query_type: EntityType,
    entry_type: EntityType,
    query_birth_date: str | None,
    entry_birth_dates: Sequence[str],
    query_country: str | None,
    entry_countries: Sequence[str],
) -> tuple[float, list[str]]:
    """The match score, and one note for each thing that moved it."""
    score = name_score
    notes: list[str] = []
    if not _compatible(query_type, entry_type):
        score *= TYPE_MISMATCH
        notes.append(f"type differs: {query_type.value} vs {entry_type.value}")
    if query_birth_date and entry_birth_dates:
        score, note = _birth_dates(score, query_birth_date, entry_birth_dates)
        notes.append(note)
    if query_country and entry_countries:
        if query_country.upper() in entry_countries:
            score += SAME_COUNTRY
            notes.append(f"country {query_country.upper()} on both")
        else:
            score *= COUNTRY_DIFFERS
            notes.append(
                f"country differs: {query_country.upper()} vs {', '.join(entry_countries)}"
            )
    return round(min(max(score, 0.0), 1.0), 4), notes


def _birth_dates(score: float, query: str, listed: Sequence[str]) -> tuple[float, str]:
    if any(date == query for date in listed) and len(query) == 10:
        return score + SAME_BIRTH_DATE, f"date of birth {query} on both"
    year = _year(query)
    years = [y for y in (_year(date) for date in listed) if y is not None]
    if year is None or not years:
        return score, "date of birth not comparable"
    gap = min(abs(year - other) for other in years)
    if gap == 0:
        return score + SAME_BIRTH_YEAR, f"born {year} on both"
    if gap == 1:
        return score * BIRTH_YEAR_CLOSE, f"born a year apart: {query} vs {', '.join(listed)}"
    return score * BIRTH_DATE_DIFFERS, f"date of birth differs: {query} vs {', '.join(listed)}"
