"""The public transparency center in a real browser, as a member of the public sees it.

No one signs in. On the 2018 demo: search the decisions and the ads in any script, filter the
decisions by a link, read a statement of reasons down to its clause, its evidence and the
answer to its appeal, read a chart beside the table of its numbers, download the bulk
exports, and do the searches on a phone with JavaScript turned off.
"""

from __future__ import annotations

import csv
import json
import re
from collections.abc import Iterator
from pathlib import Path
from urllib.parse import urlsplit

import pytest
from playwright.sync_api import Browser, Download, Locator, Page, ViewportSize, expect

from adwarden.cli import DEFAULT_SCENARIO
from adwarden.scenario.loader import build_scenario, read_scenario
from adwarden.scenario.schema import ScenarioAppeal
from adwarden.store.engine import Database
from adwarden.web.app import create_app
from browser_support import Screens
from support import live_server

ADVERTISER_FIELD = "Advertiser name, in any script"
DIRECTIVE_SOURCE = (
    "https://www.cisa.gov/news-events/directives/bod-17-01-removal-kaspersky-branded-products"
)
PHONE: ViewportSize = {"width": 390, "height": 844}


@pytest.fixture
def site(db: Database) -> Iterator[str]:
    """The 2018 demo as `adwarden demo` builds it, served over real HTTP; yields the base URL."""
    with db.transaction() as session:
        build_scenario(session, read_scenario(DEFAULT_SCENARIO))
    with live_server(create_app(db)) as base:
        yield base


@pytest.fixture
def visitor(browser: Browser, site: str) -> Iterator[Page]:
    """A member of the public on a desktop browser: no sign-in, no cookies."""
    context = browser.new_context(base_url=site, accept_downloads=True)
    yield context.new_page()
    context.close()


def kaspersky_appeal() -> ScenarioAppeal:
    """The demo's appeal of the Kaspersky Lab decision, as enforcement.yaml states it."""
    enforcement = read_scenario(DEFAULT_SCENARIO).enforcement
    assert enforcement is not None
    appeals = [a for a in enforcement.appeals if a.advertiser == "kaspersky-lab"]
    assert len(appeals) == 1, "the 2018 demo should hold Kaspersky Lab's appeal"
    assert appeals[0].answer is not None, "the demo's appeal should be answered"
    return appeals[0]


def search(page: Page, form: str) -> None:
    page.get_by_role("search", name=form).get_by_role("button", name="Search").click()


def decision_rows(page: Page) -> Locator:
    return page.get_by_role("table", name="Decisions, newest first").locator("tbody tr")


def ad_cards(page: Page) -> Locator:
    return page.locator("main").get_by_role("article")


def listed_total(page: Page, what: str) -> int:
    """The total the pager states: 31 when it says 25 of 31 ads are shown."""
    text = page.get_by_role("navigation", name="Pages").first.inner_text()
    found = re.search(rf"of (\d+) {what}", text)
    assert found, f"no total in the pager: {text!r}"
    return int(found.group(1))


def downloaded(page: Page, link: Locator) -> tuple[Download, str]:
    expect(link).to_have_attribute("download", "")
    with page.expect_download() as info:
        link.click()
    download = info.value
    assert download.failure() is None
    return download, Path(download.path()).read_text(encoding="utf-8")


def test_search_in_any_script_and_a_statement_of_reasons(visitor: Page, screens: Screens) -> None:
    page = visitor
    appeal = kaspersky_appeal()
    assert appeal.answer is not None

    # the decisions database, searched in Cyrillic, finds exactly Kaspersky Lab's decision
    page.goto("/decisions")
    expect(page.get_by_role("heading", level=1)).to_have_text("Decisions")
    page.get_by_label(ADVERTISER_FIELD).fill("Касперский")
    search(page, "Search decisions")
    expect(page).to_have_url(re.compile(r"/decisions\?advertiser=%D0%9A"))
    expect(page.get_by_label(ADVERTISER_FIELD)).to_have_value("Касперский")
    rows = decision_rows(page)
    expect(rows).to_have_count(1)
    expect(rows).to_contain_text("Kaspersky Lab")
    expect(rows).to_contain_text("off board")
    expect(rows.get_by_role("link", name="3.1", exact=True)).to_have_attribute(
        "href", "/policy/v1#clause-3.1"
    )
    screens(page, "decisions-found-in-cyrillic")
    decision_link = rows.get_by_role("link", name=re.compile(r"^Decision \d+$"))
    decision_path = decision_link.get_attribute("href")
    assert decision_path is not None
    assert re.fullmatch(r"/decisions/\d+", decision_path)
    decision_name = decision_link.inner_text()

    # the ads repository, searched the same way, shows its ads as restricted, with the decision
    page.goto("/ads")
    page.get_by_label(ADVERTISER_FIELD).fill("Касперский")
    search(page, "Search ads")
    expect(page).to_have_url(re.compile(r"/ads\?advertiser=%D0%9A"))
    cards = ad_cards(page)
    expect(cards.first).to_be_visible()
    for card in cards.all():
        expect(card.get_by_role("heading", level=2)).to_contain_text("by Kaspersky Lab")
        expect(card.locator(".badge")).to_have_text("restricted")
        expect(card.get_by_role("link", name=decision_name, exact=True)).to_have_attribute(
            "href", decision_path
        )
        expect(card).to_contain_text("off board under clause 3.1")
    screens(page, "ads-found-in-cyrillic")

    # words in a fictional advertiser's running ad find it; withheld words find nothing
    page.get_by_label(ADVERTISER_FIELD).fill("")
    page.get_by_label("Words in the ad").fill("house blend")
    search(page, "Search ads")
    cards = ad_cards(page)
    expect(cards).to_have_count(1)
    expect(cards.get_by_role("heading", level=2)).to_contain_text("by Rösterei Ammerwinkel")
    expect(cards.locator(".badge")).to_have_text("running")
    expect(cards).to_contain_text("The Ammerwinkel house blend, every day of the year.")
    screens(page, "ads-found-by-text")
    page.get_by_label("Words in the ad").fill("token")  # only in ExampleCoin's withheld ads
    search(page, "Search ads")
    expect(page.locator("main")).to_contain_text("No ads match.")
    expect(ad_cards(page)).to_have_count(0)

    # the statement of reasons, opened from the results, names clause 3.1 and links to it
    page.goto("/decisions?advertiser=Касперский")
    decision_rows(page).get_by_role("link", name=decision_name, exact=True).click()
    expect(page).to_have_url(re.compile(re.escape(decision_path) + "$"))
    expect(page.get_by_role("heading", level=1)).to_have_text(
        f"{decision_name}: off board, Kaspersky Lab"
    )
    why = page.get_by_role("region", name="Why")
    clause_link = why.get_by_role("link", name=re.compile(r"^3\.1 Products barred"))
    expect(clause_link).to_have_attribute("href", "/policy/v1#clause-3.1")
    expect(why).to_contain_text("as it stood in policy version 1")
    screens(page, "statement-of-reasons")
    clause_link.click()
    expect(page).to_have_url(re.compile(r"/policy/v1#clause-3\.1$"))
    clause = page.locator('[id="clause-3.1"]')
    expect(clause).to_be_visible()
    expect(clause).to_be_in_viewport()
    expect(clause).to_contain_text("Products barred by a national government security directive")
    screens(page, "policy-clause-3.1")
    page.go_back()
    expect(page).to_have_url(re.compile(re.escape(decision_path) + "$"))

    # the facts, the evidence and its source
    why = page.get_by_role("region", name="Why")
    expect(why).to_contain_text("Binding Operational Directive 17-01")
    expect(why).to_contain_text("bod-17-01")
    evidence = page.get_by_role("region", name="Evidence")
    expect(evidence).to_contain_text("BOD 17-01")
    expect(evidence.get_by_role("link", name=DIRECTIVE_SOURCE)).to_have_attribute(
        "href", DIRECTIVE_SOURCE
    )

    # the appeal and its answer, point by point
    appeals = page.get_by_role("region", name="Appeals").get_by_role("article")
    expect(appeals).to_have_count(1)
    expect(appeals.get_by_role("heading", level=3)).to_contain_text(appeal.answer.outcome)
    expect(appeals).to_contain_text(appeal.answer.answer)
    points = appeals.locator("ol.points > li")
    expect(points).to_have_count(len(appeal.arguments))
    for point, argument, answer in zip(
        points.all(), appeal.arguments, appeal.answer.points, strict=True
    ):
        expect(point).to_contain_text(f"The advertiser argued: {argument}")
        expect(point).to_contain_text(f"Answer: {answer}")
    screens(page, "statement-appeal-answered")

    # the DSA Transparency Database fields, behind a disclosure
    record = page.get_by_role("region", name="The public record")
    fields = record.locator("details dl")
    expect(fields).to_be_hidden()
    record.get_by_text("DSA Transparency Database fields").click()
    expect(fields).to_be_visible()
    expect(fields).to_contain_text("DECISION_GROUND_INCOMPATIBLE_CONTENT")
    expect(fields).to_contain_text("STATEMENT_CATEGORY_RISK_FOR_PUBLIC_SECURITY")
    expect(fields).to_contain_text("/policy/v1#clause-3.1")
    screens(page, "statement-dsa-fields")


def test_filters_are_links_and_bad_dates_are_marked(visitor: Page, screens: Screens) -> None:
    page = visitor
    page.goto("/decisions")
    page.get_by_label("Outcome", exact=True).select_option(label="reject post")
    page.get_by_label("Decided", exact=True).select_option(label="automated")
    search(page, "Search decisions")
    expect(page).to_have_url(re.compile(r"[?&]outcome=reject_post(&|$)"))
    expect(page).to_have_url(re.compile(r"[?&]automated=yes(&|$)"))
    rows = decision_rows(page)
    expect(rows).to_have_count(3)  # ExampleCoin's three token-sale posts
    for row in rows.all():
        cells = row.get_by_role("cell")
        expect(cells.nth(0)).to_have_text("ExampleCoin Foundation")
        expect(cells.nth(1)).to_contain_text("@examplecoin_ico (post)")
        expect(cells.nth(2)).to_have_text("reject post")
        expect(cells.nth(3)).to_contain_text("5.1 Cryptocurrency offerings")
        expect(cells.nth(4)).to_have_text("automated")
    expect(page.get_by_role("table", name="Decisions, newest first")).not_to_contain_text(
        "Kaspersky Lab"
    )
    expect(page.get_by_label("Outcome", exact=True)).to_have_value("reject_post")
    expect(page.get_by_label("Decided", exact=True)).to_have_value("yes")
    screens(page, "decisions-filtered")

    # the filtered URL is a link: opened afresh, it shows the same rows
    shown = rows.all_inner_texts()
    fresh = page.context.new_page()
    fresh.goto(page.url)
    expect(decision_rows(fresh)).to_have_text(shown, use_inner_text=True)
    fresh.close()

    # a date that is not a date: the field says so, and the answer is a 422
    since = page.get_by_label("Decided on or after")
    since.evaluate("input => { input.type = 'text'; }")
    since.fill("notadate")
    with page.expect_response(lambda response: "/decisions?" in response.url) as answer:
        search(page, "Search decisions")
    assert answer.value.status == 422
    since = page.get_by_label("Decided on or after")
    expect(since).to_have_attribute("aria-invalid", "true")
    expect(since).to_have_attribute("aria-describedby", re.compile(r"\bsince-error\b"))
    # the page echoes what was typed; a date input shows it empty, as browsers sanitize it
    expect(since).to_have_attribute("value", "notadate")
    expect(page.locator("#since-error")).to_have_text("a date as YYYY-MM-DD")
    expect(page.get_by_role("alert")).to_contain_text("fix the fields marked above")
    expect(page.get_by_label("Decided on or before")).not_to_have_attribute("aria-invalid", "true")
    expect(page.get_by_role("table")).to_have_count(0)
    screens(page, "decisions-bad-date")
    response = page.goto("/decisions?since=notadate")
    assert response is not None
    assert response.status == 422
    expect(page.get_by_label("Decided on or after")).to_have_attribute("aria-invalid", "true")


def test_a_chart_and_the_downloads_agree_with_the_pages(visitor: Page, screens: Screens) -> None:
    page = visitor

    # the report by clause: a chart with a caption, and a table of the same numbers
    page.goto("/reports")
    page.get_by_role("link", name="Decisions and appeals by clause", exact=True).click()
    expect(page).to_have_url(re.compile(r"/reports/clause$"))
    chart = page.get_by_role("figure", name=re.compile(r"^Decisions by clause"))
    expect(chart.locator("figcaption")).to_contain_text("The numbers are in the table below")
    svg = chart.locator("svg")
    expect(svg).to_be_visible()
    expect(chart.get_by_role("img", name="Decisions by clause")).to_be_visible()
    table = page.get_by_role("table", name="Decisions by clause", exact=True)
    expected = {"Clause 3.1": "1", "Clause 3.2": "2", "Clause 5.1": "3", "All": "6"}
    for group, decisions in expected.items():
        row = table.get_by_role("row").filter(
            has=page.get_by_role("rowheader", name=group, exact=True)
        )
        expect(row.get_by_role("cell").first).to_have_text(decisions)
        if group != "All":
            expect(svg.locator("text").filter(has_text=group)).to_have_count(1)
    appeals_table = page.get_by_role("table", name="Appeals by the clause of the decision appealed")
    upheld = appeals_table.get_by_role("row").filter(
        has=page.get_by_role("rowheader", name="Clause 3.1", exact=True)
    )
    expect(upheld.get_by_role("cell").nth(0)).to_have_text("1")  # filed
    expect(upheld.get_by_role("cell").nth(2)).to_have_text("1")  # upheld
    screens(page, "report-by-clause")
    _, text = downloaded(page, page.get_by_role("link", name="Download as CSV"))
    by_clause = {row["clause"]: row for row in csv.DictReader(text.splitlines())}
    assert by_clause["5.1"]["decisions"] == "3"
    assert by_clause["total"]["decisions"] == "6"

    # what the decisions page lists
    page.goto("/decisions")
    listed = {
        int(name.removeprefix("Decision "))
        for name in decision_rows(page)
        .get_by_role("link", name=re.compile(r"^Decision \d+$"))
        .all_inner_texts()
    }
    assert len(listed) == listed_total(page, "decisions")
    page.goto("/ads")
    ads_total = listed_total(page, "ads")

    # the data page: the log's tree head as the API states it
    page.goto("/data")
    log_section = page.get_by_role("region", name="The verifiable log")
    head = page.request.get("/api/v1/public/log/tree-head")
    assert head.ok
    tree_head = head.json()
    facts = log_section.locator("dl.facts")
    expect(facts.locator("dt:has-text('Entries') + dd")).to_have_text(str(tree_head["tree_size"]))
    expect(facts.locator("dt:has-text('Root hash') + dd")).to_have_text(tree_head["root_hash"])
    assert re.fullmatch(r"[0-9a-f]{64}", tree_head["root_hash"])
    screens(page, "data")

    # the decisions as CSV: a header and one row per listed decision
    exports = page.get_by_role("table", name="Bulk exports")
    decisions_row = exports.get_by_role("row").filter(
        has=page.get_by_role("rowheader", name="Decisions (statements of reasons)")
    )
    download, text = downloaded(page, decisions_row.get_by_role("link", name="CSV", exact=True))
    assert download.suggested_filename.endswith(".csv")
    reader = csv.DictReader(text.splitlines())
    rows = list(reader)
    assert reader.fieldnames is not None
    assert {"id", "advertiser", "outcome", "clause", "status"} <= set(reader.fieldnames)
    assert {int(row["id"]) for row in rows} == listed
    assert len(rows) == len(listed)
    kaspersky = [row for row in rows if row["advertiser"] == "Kaspersky Lab"]
    assert len(kaspersky) == 1
    assert kaspersky[0]["clause"] == "3.1"
    assert kaspersky[0]["outcome"] == "off_board"
    assert kaspersky[0]["appeal_outcomes"] == "upheld"

    # the ads as JSON Lines: every line parses; ExampleCoin's crypto ads are withheld
    ads_row = exports.get_by_role("row").filter(
        has=page.get_by_role("rowheader", name="Ads repository")
    )
    download, text = downloaded(page, ads_row.get_by_role("link", name="JSON Lines"))
    assert download.suggested_filename.endswith(".jsonl")
    ads = [json.loads(line) for line in text.splitlines()]
    assert len(ads) == ads_total
    withheld = [ad for ad in ads if ad["withheld"] is not None]
    assert len(withheld) == 3, "the three ExampleCoin token-sale ads should be withheld"
    for ad in withheld:  # Article 39(3): no content, no advertiser, no payer
        assert ad["content"] is None
        assert ad["advertiser"] is None
        assert ad["paid_by"] is None
        assert "5.1" in ad["withheld"]["reason"]
        assert ad["withheld"]["decision_id"] in listed
    shown = [ad for ad in ads if ad["withheld"] is None]
    assert all(ad["content"]["text"] and ad["advertiser"]["name"] for ad in shown)


@pytest.fixture
def phones(browser: Browser, site: str) -> Iterator[tuple[Page, Page]]:
    """Two phones (390x844, mobile, touch): one with JavaScript off, for the searches, and
    one with it on, to measure the pages' width."""
    contexts = [
        browser.new_context(
            base_url=site, viewport=PHONE, is_mobile=True, has_touch=True, java_script_enabled=on
        )
        for on in (False, True)
    ]
    yield contexts[0].new_page(), contexts[1].new_page()
    for context in contexts:
        context.close()


def test_searches_work_on_a_phone_without_javascript(
    phones: tuple[Page, Page], screens: Screens
) -> None:
    page, measuring = phones
    visited: list[str] = []

    # the decisions search, submitted by the form itself
    page.goto("/decisions")
    page.get_by_label(ADVERTISER_FIELD).fill("Касперский")
    search(page, "Search decisions")
    expect(decision_rows(page)).to_have_count(1)
    expect(decision_rows(page)).to_contain_text("Kaspersky Lab")
    screens(page, "phone-decisions-found")
    visited.append(page.url)
    decision_rows(page).get_by_role("link", name=re.compile(r"^Decision \d+$")).click()
    expect(page.get_by_role("region", name="Appeals").get_by_role("article")).to_have_count(1)
    screens(page, "phone-statement-of-reasons")
    visited.append(page.url)

    # the ads search
    page.goto("/ads")
    page.get_by_label("Status", exact=True).select_option(label="restricted")
    search(page, "Search ads")
    expect(page).to_have_url(re.compile(r"[?&]status=restricted(&|$)"))
    cards = ad_cards(page)
    expect(cards.first).to_be_visible()
    expect(page.locator(".withheld").first).to_contain_text("Removed under clause 5.1")
    screens(page, "phone-ads-found")
    visited.append(page.url)

    # no page scrolls sideways on the phone, with its disclosures open. On a mobile
    # viewport Chromium widens window.innerWidth to fit content that overflows, so compare
    # with the layout viewport's width, which stays the phone's.
    visited.extend(["/ads", "/reports", "/reports/clause", "/data", "/policy/v1"])
    wide: list[str] = []
    for url in visited:
        measuring.goto(url)
        measuring.evaluate("document.querySelectorAll('details').forEach(d => { d.open = true; })")
        scroll_width, viewport_width = measuring.evaluate(
            "[document.documentElement.scrollWidth, document.documentElement.clientWidth]"
        )
        assert viewport_width == PHONE["width"]
        if scroll_width > viewport_width:
            path = urlsplit(measuring.url).path
            wide.append(f"{path}: {scroll_width}px wide in a {viewport_width}px viewport")
            screens(measuring, "phone-too-wide" + path.replace("/", "-"))
    assert not wide, "pages scroll sideways on a phone:\n" + "\n".join(wide)
