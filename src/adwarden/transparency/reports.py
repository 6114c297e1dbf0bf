"""The public reports of the transparency center: decisions and their appeals, counted by the
month a decision took effect, by clause, by outcome and by the advertiser's country.

Counts come from SQL GROUP BY queries; the median time to decide an appeal is computed here,
from the decided appeals' durations only, so both engines give the same figure. An appeal
belongs to its decision's group (by month: the month of the decision, not of the appeal).
Nothing here names a person or an advertiser: only aggregates leave this module.
"""

from __future__ import annotations

import csv
import io
import re
from collections.abc import Iterable
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, time, timedelta
from enum import StrEnum
from statistics import median
from typing import Any

from sqlalchemy import Select, SQLColumnExpression, case, func, literal_column, select
from sqlalchemy.orm import Session

from adwarden.appeals.models import Appeal
from adwarden.domain.enums import AppealOutcome, AppealStatus
from adwarden.domain.errors import NotFoundError
from adwarden.enforcement.models import Decision
from adwarden.registry.models import Advertiser

UNKNOWN_COUNTRY = "unknown"
TOTAL = "total"
_MONTH = re.compile(r"\d{4}-\d{2}")


class Dimension(StrEnum):
    """What a report groups decisions by."""

    month = "month"  # the UTC month of the decision's starts_at, as "2018-04"
    clause = "clause"
    outcome = "outcome"
    country = "country"  # the advertiser's ISO code, or "unknown"


def dimension_of(name: str) -> Dimension:
    """The dimension called `name`; any other name is a report that does not exist."""
    try:
        return Dimension(name)
    except ValueError:
        raise NotFoundError("report", name) from None


@dataclass(frozen=True)
class ReportRow:
    """One group's figures; `key` is the month, clause id, outcome or country code."""

    key: str
    decisions: int = 0
    automated: int = 0  # decisions made without a human (automated_decision)
    appeals_filed: int = 0
    appeals_decided: int = 0
    reversed: int = 0  # appeals decided `reversed`
    modified: int = 0  # appeals decided `modified`
    median_hours_to_decide: float | None = None  # over decided appeals; None if none

    @property
    def share_automated(self) -> float | None:
        return round(self.automated / self.decisions, 4) if self.decisions else None

    @property
    def upheld(self) -> int:
        return self.appeals_decided - self.reversed - self.modified

    @property
    def appeals_open(self) -> int:
        return self.appeals_filed - self.appeals_decided

    @property
    def standing(self) -> int:
        """Decisions neither reversed nor modified on appeal (unappealed, or upheld)."""
        return max(0, self.decisions - self.reversed - self.modified)


@dataclass(frozen=True)
class Report:
    dimension: Dimension
    rows: list[ReportRow]
    total: ReportRow
    date_from: date | None = None
    date_to: date | None = None

    @property
    def empty(self) -> bool:
        return self.total.decisions == 0


@dataclass
class _Tally:
    decisions: int = 0
    automated: int = 0
    filed: int = 0
    decided: int = 0
    reversed: int = 0
    modified: int = 0
    hours: list[float] = field(default_factory=list)

    def row(self, key: str) -> ReportRow:
        return ReportRow(
            key,
            self.decisions,
            self.automated,
            self.filed,
            self.decided,
            self.reversed,
            self.modified,
            _median(self.hours),
        )


def _median(hours: list[float]) -> float | None:
    return round(median(hours), 2) if hours else None


def _key_column(session: Session, dimension: Dimension) -> SQLColumnExpression[Any]:
    """The SQL expression a report groups by. Literals are inlined, not bound, so the
    expression in SELECT and in GROUP BY is the same text on PostgreSQL."""
    if dimension is Dimension.month:
        if session.get_bind().dialect.name == "postgresql":
            utc = func.timezone(literal_column("'UTC'"), Decision.starts_at)
            return func.to_char(utc, literal_column("'YYYY-MM'"))
        # SQLite keeps UTCDateTime values as naive UTC text
        return func.strftime(literal_column("'%Y-%m'"), Decision.starts_at)
    if dimension is Dimension.clause:
        return Decision.clause_id
    if dimension is Dimension.outcome:
        return Decision.outcome
    return Advertiser.country


def _key_text(value: object) -> str:
    if value is None:
        return UNKNOWN_COUNTRY
    return value.value if isinstance(value, StrEnum) else str(value)


def _within(
    query: Select[Any], dimension: Dimension, date_from: date | None, date_to: date | None
) -> Select[Any]:
    if dimension is Dimension.country:
        query = query.join(Advertiser, Advertiser.id == Decision.advertiser_id)
    if date_from is not None:
        query = query.where(Decision.starts_at >= datetime.combine(date_from, time(), UTC))
    if date_to is not None and date_to < date.max:  # `to` is inclusive: the whole day
        end = datetime.combine(date_to + timedelta(days=1), time(), UTC)
        query = query.where(Decision.starts_at < end)
    return query


def _months(first: str, last: str) -> list[str]:
    """Every month from `first` to `last` ("2018-04"), so a month without decisions shows."""
    year, month = (int(part) for part in first.split("-"))
    end = tuple(int(part) for part in last.split("-"))
    months = []
    while (year, month) <= end:
        months.append(f"{year:04d}-{month:02d}")
        year, month = (year + 1, 1) if month == 12 else (year, month + 1)
    return months


def _clause_order(key: str) -> tuple[tuple[int, ...], str]:
    parts = key.split(".")
    numbers = tuple(int(part) for part in parts) if all(p.isdigit() for p in parts) else ()
    return (numbers or (1 << 31,), key)


def _ordered(dimension: Dimension, keys: Iterable[str]) -> list[str]:
    keys = set(keys)
    if dimension is Dimension.month:
        months = sorted(key for key in keys if _MONTH.fullmatch(key))
        odd = sorted(keys.difference(months))  # none, unless a stored time is malformed
        return (_months(months[0], months[-1]) if months else []) + odd
    if dimension is Dimension.clause:
        return sorted(keys, key=_clause_order)
    if dimension is Dimension.country:
        return sorted(keys, key=lambda key: (key == UNKNOWN_COUNTRY, key))
    return sorted(keys)


def build_report(
    session: Session,
    dimension: Dimension,
    *,
    date_from: date | None = None,
    date_to: date | None = None,
) -> Report:
    """The figures for `dimension`, over decisions whose starts_at falls between `date_from`
    and `date_to` (both inclusive, either may be left out)."""
    key = _key_column(session, dimension)
    tallies: dict[str, _Tally] = {}
    total = _Tally()

    decisions = select(
        key,
        func.count(Decision.id),
        func.sum(case((Decision.automated_decision, 1), else_=0)),
    ).select_from(Decision)
    decisions = _within(decisions, dimension, date_from, date_to).group_by(key)
    for value, count, automated in session.execute(decisions):
        tally = tallies.setdefault(_key_text(value), _Tally())
        tally.decisions += int(count)
        tally.automated += int(automated or 0)

    decided = Appeal.status == AppealStatus.decided
    appeals = (
        select(
            key,
            func.count(Appeal.id),
            func.sum(case((decided, 1), else_=0)),
            func.sum(case((decided & (Appeal.outcome == AppealOutcome.reversed), 1), else_=0)),
            func.sum(case((decided & (Appeal.outcome == AppealOutcome.modified), 1), else_=0)),
        )
        .select_from(Appeal)
        .join(Decision, Decision.id == Appeal.decision_id)
    )
    appeals = _within(appeals, dimension, date_from, date_to).group_by(key)
    for value, filed, decided_count, reversed_count, modified_count in session.execute(appeals):
        tally = tallies.setdefault(_key_text(value), _Tally())
        tally.filed += int(filed)
        tally.decided += int(decided_count or 0)
        tally.reversed += int(reversed_count or 0)
        tally.modified += int(modified_count or 0)

    # few rows: only decided appeals, and only the two times each
    durations = (
        select(key, Appeal.filed_at, Appeal.decided_at)
        .select_from(Appeal)
        .join(Decision, Decision.id == Appeal.decision_id)
        .where(decided, Appeal.decided_at.is_not(None))
    )
    durations = _within(durations, dimension, date_from, date_to)
    for value, filed_at, decided_at in session.execute(durations):
        hours = (decided_at - filed_at).total_seconds() / 3600
        tallies.setdefault(_key_text(value), _Tally()).hours.append(hours)
        total.hours.append(hours)

    for tally in tallies.values():
        total.decisions += tally.decisions
        total.automated += tally.automated
        total.filed += tally.filed
        total.decided += tally.decided
        total.reversed += tally.reversed
        total.modified += tally.modified
    rows = [tallies.get(k, _Tally()).row(k) for k in _ordered(dimension, tallies)]
    return Report(dimension, rows, total.row(TOTAL), date_from, date_to)


CSV_COLUMNS = (
    "decisions",
    "automated_decisions",
    "share_automated",
    "appeals_filed",
    "appeals_decided",
    "upheld",
    "reversed",
    "modified",
    "median_hours_to_decide",
)


def _csv_values(row: ReportRow) -> tuple[object, ...]:
    def blank(value: float | None) -> object:
        return "" if value is None else value

    return (
        row.key,
        row.decisions,
        row.automated,
        blank(row.share_automated),
        row.appeals_filed,
        row.appeals_decided,
        row.upheld,
        row.reversed,
        row.modified,
        blank(row.median_hours_to_decide),
    )


def report_csv(report: Report) -> str:
    """The report as CSV: a header row, one row per group, and a last row keyed "total".
    A share or median with nothing to measure is left empty."""
    out = io.StringIO()
    writer = csv.writer(out, lineterminator="\n")
    writer.writerow((report.dimension.value, *CSV_COLUMNS))
    for row in [*report.rows, report.total]:
        writer.writerow(_csv_values(row))
    return out.getvalue()
