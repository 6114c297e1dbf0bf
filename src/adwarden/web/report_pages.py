"""The transparency center's reports as pages: an overview, and per dimension a chart drawn
on the server beside a table of the same numbers, and the numbers as CSV."""

from __future__ import annotations

from datetime import date
from typing import Annotated
from urllib.parse import urlencode

from fastapi import APIRouter, Depends, Query, Request
from fastapi.exceptions import RequestValidationError
from fastapi.responses import HTMLResponse, Response
from markupsafe import Markup

from adwarden.domain.enums import Outcome
from adwarden.transparency.reports import (
    UNKNOWN_COUNTRY,
    Dimension,
    Report,
    build_report,
    dimension_of,
    report_csv,
)
from adwarden.web.charts import stacked_bars
from adwarden.web.deps import DbSession
from adwarden.web.views import PUBLIC_CACHE, public_page

router = APIRouter(include_in_schema=False)

TITLES = {
    Dimension.month: "Decisions and appeals by month",
    Dimension.clause: "Decisions and appeals by clause",
    Dimension.outcome: "Decisions and appeals by outcome",
    Dimension.country: "Decisions and appeals by country",
}
HEADINGS = {
    Dimension.month: "Month (UTC)",
    Dimension.clause: "Clause",
    Dimension.outcome: "Outcome",
    Dimension.country: "Advertiser's country",
}
OUTCOMES = {
    Outcome.reject_post: "Post rejected",
    Outcome.pause_campaign: "Campaign paused",
    Outcome.account_ineligible: "Account made ineligible",
    Outcome.off_board: "Advertiser off-boarded",
    Outcome.review_required: "Sent for review",
    Outcome.label: "Labelled",
}


def _day(name: str, value: str | None) -> date | None:
    """A date query parameter; empty (a date field left blank) means none."""
    if value is None or not value.strip():
        return None
    try:
        return date.fromisoformat(value.strip())
    except ValueError:
        error = {
            "type": "date_parsing",
            "loc": ("query", name),
            "msg": "Enter a date as YYYY-MM-DD",
            "input": value,
        }
        raise RequestValidationError([error]) from None


def _dates(
    date_from: Annotated[str | None, Query(alias="from", max_length=40)] = None,
    date_to: Annotated[str | None, Query(alias="to", max_length=40)] = None,
) -> tuple[date | None, date | None]:
    first, last = _day("from", date_from), _day("to", date_to)
    if first is not None and last is not None and last < first:
        error = {
            "type": "value_error",
            "loc": ("query", "to"),
            "msg": f"the end ({last}) is before the start ({first})",
            "input": date_to,
        }
        raise RequestValidationError([error])
    return first, last


Dates = Annotated[tuple[date | None, date | None], Depends(_dates)]


def _query(report: Report) -> str:
    params = {"from": report.date_from, "to": report.date_to}
    chosen = {name: day.isoformat() for name, day in params.items() if day is not None}
    return f"?{urlencode(chosen)}" if chosen else ""


def label(dimension: Dimension, key: str) -> str:
    """A group's name for people; the CSV and the API keep the key itself."""
    if dimension is Dimension.outcome:
        try:
            return OUTCOMES[Outcome(key)]
        except (ValueError, KeyError):
            return key
    if dimension is Dimension.clause:
        return f"Clause {key}"
    if dimension is Dimension.country and key == UNKNOWN_COUNTRY:
        return "Not recorded"
    return key


def _series(values: dict[str, list[float]]) -> dict[str, list[float]]:
    """Leave out a series that is zero throughout (its column in the table says so), but
    always keep the first, so a chart has something to draw."""
    names = list(values)
    return {name: v for name, v in values.items() if name == names[0] or any(v)}


def _charts(report: Report) -> tuple[Markup | None, Markup | None]:
    if report.empty:
        return None, None
    groups = [label(report.dimension, row.key) for row in report.rows]
    decisions = stacked_bars(
        f"Decisions by {report.dimension.value}",
        groups,
        _series(
            {
                "Standing (not appealed, or upheld)": [float(r.standing) for r in report.rows],
                "Reversed on appeal": [float(r.reversed) for r in report.rows],
                "Modified on appeal": [float(r.modified) for r in report.rows],
            }
        ),
        "decisions",
    )
    if not report.total.appeals_filed:
        return decisions, None
    appeals = stacked_bars(
        f"Appeals by {report.dimension.value} of the decision",
        groups,
        _series(
            {
                "Upheld": [float(r.upheld) for r in report.rows],
                "Reversed": [float(r.reversed) for r in report.rows],
                "Modified": [float(r.modified) for r in report.rows],
                "Not yet decided": [float(r.appeals_open) for r in report.rows],
            }
        ),
        "appeals",
    )
    return decisions, appeals


def _share(value: float | None) -> str:
    return "n/a" if value is None else f"{value:.1%}"


def _hours(value: float | None) -> str:
    return "n/a" if value is None else f"{value:,.1f}"


FORMATS = {"share": _share, "hours": _hours}


@router.get("/reports", response_class=HTMLResponse)
def reports_overview(request: Request, session: DbSession, dates: Dates) -> Response:
    first, last = dates
    # the totals are the same whatever the grouping; by outcome needs no join
    report = build_report(session, Dimension.outcome, date_from=first, date_to=last)
    context = {
        "report": report,
        "total": report.total,
        "titles": TITLES,
        "query": _query(report),
        **FORMATS,
    }
    return public_page(request, "public/reports.html", context)


# before /reports/{dimension}, which would take "month.csv" for a dimension
@router.get("/reports/{dimension}.csv")
def report_download(dimension: str, session: DbSession, dates: Dates) -> Response:
    first, last = dates
    report = build_report(session, dimension_of(dimension), date_from=first, date_to=last)
    span = "".join(
        f"-{name}-{day.isoformat()}" for name, day in (("from", first), ("to", last)) if day
    )
    filename = f"adwarden-decisions-by-{report.dimension.value}{span}.csv"
    return Response(
        report_csv(report),
        media_type="text/csv; charset=utf-8",
        headers={
            "Content-Disposition": f'attachment; filename="{filename}"',
            "Cache-Control": PUBLIC_CACHE,
        },
    )


@router.get("/reports/{dimension}", response_class=HTMLResponse)
def report_page(request: Request, dimension: str, session: DbSession, dates: Dates) -> Response:
    first, last = dates
    report = build_report(session, dimension_of(dimension), date_from=first, date_to=last)
    decisions_chart, appeals_chart = _charts(report)
    context = {
        "report": report,
        "title": TITLES[report.dimension],
        "heading": HEADINGS[report.dimension],
        "titles": TITLES,
        "label": lambda key: label(report.dimension, key),
        "decisions_chart": decisions_chart,
        "appeals_chart": appeals_chart,
        "query": _query(report),
        **FORMATS,
    }
    return public_page(request, "public/report.html", context)
