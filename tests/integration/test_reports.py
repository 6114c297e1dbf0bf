"""The transparency center's reports, on SQLite and PostgreSQL: a small known set of decisions
and appeals, counted by month, clause, outcome and country through the service, the JSON API,
the CSV download and the pages; the period filter; errors; and an empty database."""

from __future__ import annotations

import csv
import io
from datetime import UTC, date, datetime, timedelta
from pathlib import Path
from typing import Any

import httpx
import lxml.html
import pytest
from sqlalchemy import func, select, update

from adwarden.appeals.services import AppealAnswer, decide_appeal
from adwarden.domain.enums import AppealOutcome
from adwarden.domain.errors import NotFoundError
from adwarden.enforcement.models import Decision
from adwarden.registry.models import Advertiser
from adwarden.store.base import utcnow
from adwarden.store.engine import Database
from adwarden.transparency.reports import (
    Dimension,
    Report,
    ReportRow,
    build_report,
    dimension_of,
    report_csv,
)
from support import (
    api_client,
    appeal_as,
    make_decision,
    make_tenant,
    off_board,
    publish_default_policy,
    staff_actor,
)

ARGUMENTS = ["The post announced a charity raffle for a school, not a token sale of any kind."]
REVERSAL = (
    "We read the post again with the raffle rules you sent. The tickets buy a chance at a "
    "donated bicycle and nothing is issued on a blockchain, so clause 5.1 does not apply and "
    "we reverse the rejection."
)
UPHOLDING = (
    "The post invites readers to join the presale whitelist before the public round opens; that "
    "is the offering clause 5.1 describes, whatever the proceeds are for, so the rejection stays."
)
POINTS = ["The raffle rules were checked against the wording of clause 5.1 line by line."]
APRIL = datetime(2018, 4, 10, 9, 30, tzinfo=UTC)
JUNE = datetime(2018, 6, 30, 23, 59, tzinfo=UTC)  # still June in UTC, whatever the server's zone

# (key, decisions, automated, share automated, appeals filed, decided, upheld, reversed,
#  modified, median hours to decide)
Row = tuple[str, int, int, float | None, int, int, int, int, int, float | None]
CLAUSE_3_1: Row = ("3.1", 1, 0, 0.0, 1, 0, 0, 0, 0, None)
CLAUSE_5_1: Row = ("5.1", 3, 3, 1.0, 2, 2, 1, 1, 0, 20.0)
EXPECTED: dict[str, list[Row]] = {
    "month": [
        ("2018-04", *CLAUSE_3_1[1:]),
        ("2018-05", 0, 0, None, 0, 0, 0, 0, 0, None),  # no decisions, still a month
        ("2018-06", *CLAUSE_5_1[1:]),
    ],
    "clause": [CLAUSE_3_1, CLAUSE_5_1],
    "outcome": [("off_board", *CLAUSE_3_1[1:]), ("reject_post", *CLAUSE_5_1[1:])],
    "country": [
        ("DE", 2, 2, 1.0, 1, 1, 0, 1, 0, 10.0),
        ("FR", 1, 1, 1.0, 1, 1, 1, 0, 0, 30.0),
        ("unknown", 1, 0, 0.0, 1, 0, 0, 0, 0, None),
    ],
}
TOTAL: Row = ("total", 4, 3, 0.75, 3, 2, 1, 1, 0, 20.0)
API_FIELDS = (
    "key",
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
CACHE = "public, max-age=60"


def known_set(db: Database, tmp_path: Path) -> None:
    """Four decisions of three advertisers (DE, FR, no country): three automatic rejections
    under 5.1 in June 2018 and one off-boarding by a reviewer under 3.1 in April 2018. One
    appeal is reversed after 10 hours, one upheld after 30, one still open."""
    publish_default_policy(db)
    alpha = make_tenant(db, "Alpha")
    beta = make_tenant(db, "Beta")
    gamma, off_boarded = off_board(db, tmp_path, "Gamma")
    reversed_decision = make_decision(db, alpha)
    make_decision(db, alpha)
    upheld_decision = make_decision(db, beta)
    start = utcnow()
    to_reverse = appeal_as(db, alpha, reversed_decision, ARGUMENTS, now=start)
    to_uphold = appeal_as(db, beta, upheld_decision, ARGUMENTS, now=start)
    appeal_as(db, gamma, off_boarded, ARGUMENTS, now=start)
    for appeal_id, outcome, answer, hours in (
        (to_reverse, AppealOutcome.reversed, REVERSAL, 10),
        (to_uphold, AppealOutcome.upheld, UPHOLDING, 30),
    ):
        with db.transaction() as session:
            decide_appeal(
                session,
                staff_actor(db),
                appeal_id,
                AppealAnswer(outcome, answer, POINTS),
                now=start + timedelta(hours=hours),
            )
    # Core statements: the dates and countries the scenario needs, without an audit trail
    with db.engine.begin() as connection:
        connection.execute(
            update(Advertiser).where(Advertiser.id == beta.advertiser_id).values(country="FR")
        )
        connection.execute(
            update(Advertiser).where(Advertiser.id == gamma.advertiser_id).values(country=None)
        )
        connection.execute(
            update(Decision).where(Decision.id != off_boarded).values(starts_at=JUNE)
        )
        connection.execute(
            update(Decision).where(Decision.id == off_boarded).values(starts_at=APRIL)
        )
    with db.sessions() as session:
        assert session.scalar(select(func.count()).select_from(Decision)) == 4


def as_tuple(row: ReportRow) -> Row:
    return (
        row.key,
        row.decisions,
        row.automated,
        row.share_automated,
        row.appeals_filed,
        row.appeals_decided,
        row.upheld,
        row.reversed,
        row.modified,
        row.median_hours_to_decide,
    )


def report(db: Database, dimension: Dimension, **dates: date) -> Report:
    with db.sessions() as session:
        return build_report(session, dimension, **dates)


def csv_rows(text: str) -> list[list[str]]:
    return list(csv.reader(io.StringIO(text)))


def csv_of(row: Row) -> list[str]:
    return ["" if value is None else str(value) for value in row]


def tables(page: str) -> list[list[list[str]]]:
    """Each <table> of the page as rows of cell texts, header row and footer included."""
    tree = lxml.html.fromstring(page)
    return [
        [[cell.text_content().strip() for cell in tr.xpath("./th|./td")] for tr in t.iter("tr")]
        for t in tree.iter("table")
    ]


def test_every_report_counts_the_known_set(db: Database, tmp_path: Path) -> None:
    known_set(db, tmp_path)
    for name, rows in EXPECTED.items():
        figures = report(db, Dimension(name))
        assert [as_tuple(row) for row in figures.rows] == rows, name
        assert as_tuple(figures.total) == TOTAL, name
        assert not figures.empty
        lines = csv_rows(report_csv(figures))
        assert lines[0] == [name, *API_FIELDS[1:]]
        assert lines[1:] == [csv_of(row) for row in [*rows, TOTAL]]


def test_the_period_narrows_every_report(db: Database, tmp_path: Path) -> None:
    known_set(db, tmp_path)
    june = report(db, Dimension.month, date_from=date(2018, 6, 1))
    assert [as_tuple(row) for row in june.rows] == [EXPECTED["month"][2]]
    assert as_tuple(june.total) == ("total", *CLAUSE_5_1[1:])
    # `to` takes in the whole day: the June decisions start at 23:59 on the 30th
    last_day = report(db, Dimension.country, date_from=date(2018, 6, 30), date_to=date(2018, 6, 30))
    assert [row.key for row in last_day.rows] == ["DE", "FR"]
    assert last_day.total.decisions == 3
    april = report(db, Dimension.outcome, date_to=date(2018, 4, 30))
    assert [as_tuple(row) for row in april.rows] == [EXPECTED["outcome"][0]]
    assert as_tuple(april.total) == ("total", *CLAUSE_3_1[1:])
    may = report(db, Dimension.clause, date_from=date(2018, 5, 1), date_to=date(2018, 5, 31))
    assert may.rows == []
    assert may.empty
    assert (may.total.decisions, may.total.share_automated) == (0, None)
    # the widest dates there are
    widest = report(db, Dimension.clause, date_from=date.min, date_to=date.max)
    assert as_tuple(widest.total) == TOTAL


def test_an_unknown_dimension_is_not_found() -> None:
    assert dimension_of("country") is Dimension.country
    with pytest.raises(NotFoundError, match="report advertiser not found"):
        dimension_of("advertiser")


def api_rows(body: dict[str, Any]) -> list[Row]:
    return [tuple(row[f] for f in API_FIELDS) for row in body["rows"]]  # type: ignore[misc]


def test_the_api_csv_and_pages_show_the_same_numbers(db: Database, tmp_path: Path) -> None:
    known_set(db, tmp_path)
    with api_client(db) as client:
        for name, rows in EXPECTED.items():
            answer = client.get(f"/api/v1/public/reports/{name}")
            assert answer.status_code == 200, answer.text
            assert answer.headers["cache-control"] == CACHE
            body = answer.json()
            assert (body["dimension"], body["date_from"], body["date_to"]) == (name, None, None)
            assert api_rows(body) == rows
            assert tuple(body["totals"][f] for f in API_FIELDS) == TOTAL

            download = client.get(f"/reports/{name}.csv")
            assert download.status_code == 200
            assert download.headers["content-type"] == "text/csv; charset=utf-8"
            assert download.headers["cache-control"] == CACHE
            assert download.headers["content-disposition"] == (
                f'attachment; filename="adwarden-decisions-by-{name}.csv"'
            )
            assert csv_rows(download.text)[1:] == [csv_of(row) for row in [*rows, TOTAL]]

            page = client.get(f"/reports/{name}")
            assert page.status_code == 200
            assert page.headers["cache-control"] == CACHE
            assert page.text.count("<svg") == 2  # decisions, and appeals
            assert 'role="img"' in page.text
            assert f'href="/reports/{name}.csv"' in page.text
            decisions, appeals = tables(page.text)
            # header, one row per group, the totals
            assert len(decisions) == len(appeals) == len(rows) + 2
            for cells, row in zip(decisions[1:-1], rows, strict=True):
                assert [int(c) for c in (cells[1], cells[2], cells[5], cells[6])] == [
                    row[1],
                    row[2],
                    row[7],
                    row[8],
                ]
            for cells, row in zip(appeals[1:-1], rows, strict=True):
                assert [int(c) for c in cells[1:7]] == [
                    row[4],
                    row[5],
                    row[6],
                    row[7],
                    row[8],
                    row[4] - row[5],
                ]

        country = tables(client.get("/reports/country").text)
        assert country[0] == [
            [
                "Advertiser's country",
                "Decisions",
                "Decided automatically",
                "Share automated",
                "Standing",
                "Reversed on appeal",
                "Modified on appeal",
            ],
            ["DE", "2", "2", "100.0%", "1", "1", "0"],
            ["FR", "1", "1", "100.0%", "1", "0", "0"],
            ["Not recorded", "1", "0", "0.0%", "1", "0", "0"],
            ["All", "4", "3", "75.0%", "3", "1", "0"],
        ]
        assert [row[0:3] + row[-1:] for row in country[1]] == [
            ["Advertiser's country", "Filed", "Decided", "Median hours to decide"],
            ["DE", "1", "1", "10.0"],
            ["FR", "1", "1", "30.0"],
            ["Not recorded", "1", "0", "n/a"],
            ["All", "3", "2", "20.0"],
        ]
        months = tables(client.get("/reports/month").text)[0]
        assert [row[0] for row in months[1:]] == ["2018-04", "2018-05", "2018-06", "All"]
        assert months[2][1:4] == ["0", "0", "n/a"]  # May: no decisions, nothing to share

        overview = client.get("/reports")
        assert overview.status_code == 200
        assert overview.headers["cache-control"] == CACHE
        facts = lxml.html.fromstring(overview.text).xpath("//dl[1]")[0]
        pairs = dict(
            zip(
                [dt.text_content() for dt in facts.iter("dt")],
                [dd.text_content() for dd in facts.iter("dd")],
                strict=True,
            )
        )
        assert pairs == {
            "Decisions": "4",
            "Decided automatically": "3 (75.0%)",
            "Appeals filed": "3",
            "Appeals decided": "2",
            "Decisions reversed on appeal": "1",
            "Decisions modified on appeal": "0",
            "Median time to decide an appeal": "20.0 hours",
        }
        for name in EXPECTED:
            assert f'href="/reports/{name}"' in overview.text

        # aggregates only: no advertiser's name, no user's email, no staff label
        for path in ("/reports", "/reports/country", "/reports/clause.csv"):
            text = client.get(path).text
            for private in ("Alpha", "Beta", "Gamma", "@", "reviewer"):
                assert private not in text, (path, private)
        assert "Alpha" not in client.get("/api/v1/public/reports/country").text


def test_the_period_over_http(db: Database, tmp_path: Path) -> None:
    known_set(db, tmp_path)
    june = {"from": "2018-06-01", "to": "2018-06-30"}
    with api_client(db) as client:
        body = client.get("/api/v1/public/reports/clause", params=june).json()
        assert (body["date_from"], body["date_to"]) == ("2018-06-01", "2018-06-30")
        assert api_rows(body) == [CLAUSE_5_1]
        download = client.get("/reports/clause.csv", params=june)
        assert download.headers["content-disposition"] == (
            'attachment; filename="adwarden-decisions-by-clause-from-2018-06-01-to-2018-06-30.csv"'
        )
        assert csv_rows(download.text)[1:] == [
            csv_of(CLAUSE_5_1),
            csv_of(("total", *CLAUSE_5_1[1:])),
        ]
        page = client.get("/reports/clause", params={"from": "", "to": "2018-04-30"})
        assert page.status_code == 200  # a date field left blank is no limit
        decisions = tables(page.text)[0]
        assert [row[0] for row in decisions[1:]] == ["Clause 3.1", "All"]
        assert 'href="/reports/month?to=2018-04-30"' in page.text  # the period carries over
        overview = client.get("/reports", params={"from": "2018-06-01"})
        assert "<dt>Decisions</dt><dd>3</dd>" in overview.text


def test_unknown_reports_and_bad_dates(db: Database) -> None:
    with api_client(db) as client:
        missing = client.get("/api/v1/public/reports/advertiser")
        assert missing.status_code == 404
        assert missing.json() == {"detail": "report advertiser not found"}
        for path in ("/reports/advertiser", "/reports/advertiser.csv", "/reports/month.json"):
            page = client.get(path)
            assert page.status_code == 404, path
            assert page.headers["content-type"].startswith("text/html")

        bad = client.get("/api/v1/public/reports/month", params={"from": "2018-13-01"})
        assert bad.status_code == 422
        assert [error["loc"] for error in bad.json()["detail"]] == [["query", "from"]]
        backwards = client.get(
            "/api/v1/public/reports/month", params={"from": "2018-06-01", "to": "2018-05-01"}
        )
        assert backwards.status_code == 422
        assert [error["loc"] for error in backwards.json()["detail"]] == [["query", "to"]]
        for path in ("/reports", "/reports/month", "/reports/month.csv"):
            page = client.get(path, params={"from": "next tuesday"})
            assert page.status_code == 422, path
            assert "query.from" in page.text
            page = client.get(path, params={"from": "2018-06-01", "to": "2018-05-01"})
            assert page.status_code == 422, path
            assert "query.to" in page.text

        spec = client.get("/api/v1/openapi.json").json()
        operation = spec["paths"]["/api/v1/public/reports/{dimension}"]["get"]
        assert {"200", "404", "422"} <= set(operation["responses"])
        assert {p["name"] for p in operation["parameters"]} == {"dimension", "from", "to"}
        assert not any(path.startswith("/reports") for path in spec["paths"])


def test_an_empty_database(db: Database) -> None:
    for dimension in Dimension:
        figures = report(db, dimension)
        assert figures.rows == []
        assert figures.empty
        assert as_tuple(figures.total) == ("total", 0, 0, None, 0, 0, 0, 0, 0, None)
        assert csv_rows(report_csv(figures)) == [
            [dimension.value, *API_FIELDS[1:]],
            ["total", "0", "0", "", "0", "0", "0", "0", "0", ""],
        ]
    with api_client(db) as client:
        for dimension in Dimension:
            body = client.get(f"/api/v1/public/reports/{dimension.value}").json()
            assert body["rows"] == []
            assert body["totals"]["decisions"] == 0
            assert body["totals"]["median_hours_to_decide"] is None
            page = client.get(f"/reports/{dimension.value}")
            assert page.status_code == 200
            assert page.headers["cache-control"] == CACHE
            assert "<svg" not in page.text
            assert "There are no decisions in this period" in page.text
            decisions, appeals = tables(page.text)
            assert decisions[1] == ["No decisions."]
            assert appeals[1] == ["No appeals."]
            download = client.get(f"/reports/{dimension.value}.csv")
            assert download.status_code == 200
            assert len(csv_rows(download.text)) == 2
        overview = client.get("/reports")
        assert overview.status_code == 200
        assert "There are no decisions in this period" in overview.text
        assert "n/a (no appeal decided)" in overview.text


def test_responses_are_cacheable_by_anyone(db: Database) -> None:
    with api_client(db) as client:
        for path in ("/reports", "/reports/outcome", "/reports/outcome.csv"):
            response: httpx.Response = client.get(path, params={"from": "2018-01-01"})
            assert response.status_code == 200
            assert response.headers["cache-control"] == CACHE
            assert "set-cookie" not in response.headers
        api = client.get("/api/v1/public/reports/outcome", params={"to": "2030-01-01"})
        assert api.headers["cache-control"] == CACHE
