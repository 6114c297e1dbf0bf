"""The transparency center's reports as JSON: no sign-in, aggregates only, cacheable."""

from __future__ import annotations

from datetime import date
from typing import Annotated, Any

from fastapi import APIRouter, Path, Query, Response
from fastapi.exceptions import RequestValidationError
from pydantic import BaseModel, Field

from adwarden.transparency.reports import Dimension, Report, ReportRow, build_report, dimension_of
from adwarden.web.api.schemas import ErrorOut
from adwarden.web.deps import DbSession, IsoDate
from adwarden.web.views import PUBLIC_CACHE

router = APIRouter(prefix="/public", tags=["public"])

DateFrom = Annotated[
    IsoDate | None,
    Query(alias="from", description="only decisions that took effect on or after this day (UTC)"),
]
DateTo = Annotated[
    IsoDate | None,
    Query(alias="to", description="only decisions that took effect on or before this day (UTC)"),
]


def date_range(
    date_from: DateFrom = None, date_to: DateTo = None
) -> tuple[date | None, date | None]:
    """The `from` and `to` query parameters; `to` before `from` is refused, naming `to`."""
    if date_from is not None and date_to is not None and date_to < date_from:
        error = {
            "type": "value_error",
            "loc": ("query", "to"),
            "msg": f"Value error, `to` ({date_to}) is before `from` ({date_from})",
            "input": date_to.isoformat(),
        }
        raise RequestValidationError([error])
    return date_from, date_to


class ReportRowOut(BaseModel):
    key: str = Field(
        description="the group: a month (2018-04, UTC), a clause id, an outcome, or an ISO "
        "country code (`unknown` when the advertiser has none); `total` for the totals"
    )
    decisions: int
    automated_decisions: int = Field(description="decisions made without a human")
    share_automated: float | None = Field(description="automated / decisions; null if none")
    appeals_filed: int = Field(description="appeals of this group's decisions")
    appeals_decided: int
    upheld: int
    reversed: int = Field(description="appeals decided `reversed`")
    modified: int = Field(description="appeals decided `modified`")
    median_hours_to_decide: float | None = Field(
        description="median hours from filing to decision, over decided appeals; null if none"
    )

    @classmethod
    def of(cls, row: ReportRow) -> ReportRowOut:
        return cls(
            key=row.key,
            decisions=row.decisions,
            automated_decisions=row.automated,
            share_automated=row.share_automated,
            appeals_filed=row.appeals_filed,
            appeals_decided=row.appeals_decided,
            upheld=row.upheld,
            reversed=row.reversed,
            modified=row.modified,
            median_hours_to_decide=row.median_hours_to_decide,
        )


class ReportOut(BaseModel):
    dimension: Dimension
    date_from: date | None = Field(description="the `from` asked for, if any")
    date_to: date | None = Field(description="the `to` asked for, if any")
    rows: list[ReportRowOut] = Field(description="one per group; by month, every month between")
    totals: ReportRowOut

    @classmethod
    def of(cls, report: Report) -> ReportOut:
        return cls(
            dimension=report.dimension,
            date_from=report.date_from,
            date_to=report.date_to,
            rows=[ReportRowOut.of(row) for row in report.rows],
            totals=ReportRowOut.of(report.total),
        )


NOT_FOUND: dict[int | str, dict[str, Any]] = {
    404: {"model": ErrorOut, "description": "no such report: month, clause, outcome or country"},
}


@router.get("/reports/{dimension}", response_model=ReportOut, responses=NOT_FOUND)
def read_report(
    dimension: Annotated[str, Path(description="month, clause, outcome or country")],
    session: DbSession,
    response: Response,
    date_from: DateFrom = None,
    date_to: DateTo = None,
) -> ReportOut:
    """Decisions and their appeals grouped by `dimension` (month, clause, outcome or country):
    counts, reversals, the median time to decide an appeal, and the share decided
    automatically. Invalid dates, or `to` before `from`, answer 422."""
    first, last = date_range(date_from, date_to)
    report = build_report(session, dimension_of(dimension), date_from=first, date_to=last)
    response.headers["Cache-Control"] = PUBLIC_CACHE
    return ReportOut.of(report)
