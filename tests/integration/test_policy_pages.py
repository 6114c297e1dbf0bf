"""The public policy pages and API over real HTTP, on SQLite and PostgreSQL: the current
policy and every past version with an anchor per clause, the versions and the changelog, the
diff between any two versions, and no sign-in, no personal data and no 500 on bad input."""

from __future__ import annotations

import copy
from typing import Any
from urllib.parse import urlsplit

import httpx
import lxml.html

from adwarden.domain.enums import Role
from adwarden.enforcement.models import Decision
from adwarden.enforcement.services import statement_for
from adwarden.policy.loader import load_policy, policy_from_document
from adwarden.policy.services import publish_policy
from adwarden.store.engine import Database
from adwarden.web.views import PUBLIC_CACHE
from support import DEFAULT_POLICY, api_client, make_decision, make_tenant, staff_actor

FIRST_CHANGELOG = "The first version: sanctions, directives, state media, crypto offerings."
SECOND_CHANGELOG = "Directive decisions are looked at every three months; clause 7.1 is new."
RAW_HTML = "Plain words, then <script>alert('x')</script> and <b>bold</b>, and **strong**.\n"
ADVERTISER_CLAUSES = ["2.1", "3.1", "3.2", "5.1", "6.1"]
SECOND_CLAUSES = ["2.1", "3.1", "5.1", "6.1", "7.1"]


def second_document() -> dict[str, Any]:
    """The default policy with clause 3.1's text changed, 3.2 removed and 7.1 added."""
    document = copy.deepcopy(load_policy(DEFAULT_POLICY).document)
    clauses = {clause["id"]: clause for clause in document["clauses"]}
    assert "every six months" in clauses["3.1"]["text"]
    clauses["3.1"]["text"] = clauses["3.1"]["text"].replace(
        "every six months", "every three months"
    )
    del clauses["3.2"]
    clauses["7.1"] = copy.deepcopy(clauses["2.1"]) | {
        "id": "7.1",
        "title": "Raw <em>HTML</em> stays text",
        "text": RAW_HTML,
    }
    document["clauses"] = list(clauses.values())
    return document


def publish_two_versions(db: Database) -> None:
    """Version 1 (the default policy), then version 2, by a policy admin."""
    admin = staff_actor(db, Role.policy_admin)
    with db.transaction() as session:
        publish_policy(session, admin, load_policy(DEFAULT_POLICY), FIRST_CHANGELOG)
    with db.transaction() as session:
        second = policy_from_document(second_document(), "test")
        publish_policy(session, admin, second, SECOND_CHANGELOG)


def tree(answer: httpx.Response) -> Any:
    assert answer.headers["content-type"].startswith("text/html")
    return lxml.html.fromstring(answer.text)


def clause_anchors(answer: httpx.Response) -> list[str]:
    return [str(v) for v in tree(answer).xpath("//section[starts-with(@id, 'clause-')]/@id")]


def section_text(answer: httpx.Response, section_id: str) -> str:
    [section] = tree(answer).xpath(f"//section[@id='{section_id}']")
    return " ".join(section.text_content().split())


def ids_in(answer: httpx.Response, prefix: str) -> list[str]:
    found = tree(answer).xpath(f"//*[starts-with(@id, '{prefix}')]/@id")
    return [str(v).removeprefix(prefix) for v in found if not str(v).endswith(("-title", "-text"))]


def test_with_no_policy_published_the_pages_say_so(db: Database) -> None:
    with api_client(db) as client:
        page = client.get("/policy")
        assert page.status_code == 200
        assert "No policy is published yet" in page.text
        assert page.headers["cache-control"] == PUBLIC_CACHE
        for path in ("/policy/versions", "/policy/changelog", "/policy/diff"):
            answer = client.get(path)
            assert answer.status_code == 200, path
            assert "No policy is published yet" in answer.text, path
        assert client.get("/policy/v1").status_code == 404
        assert client.get("/policy/diff?from=1&to=2").status_code == 404
        assert client.get("/api/v1/public/policy").status_code == 404
        assert client.get("/api/v1/public/policy").json() == {
            "detail": "no policy is published yet"
        }
        versions = client.get("/api/v1/public/policy/versions")
        assert (versions.status_code, versions.json()) == (200, [])


def test_the_current_and_past_versions_show_every_clause_at_its_anchor(db: Database) -> None:
    admin = staff_actor(db, Role.policy_admin)
    with db.transaction() as session:
        publish_policy(session, admin, load_policy(DEFAULT_POLICY), FIRST_CHANGELOG)
    decision_id = make_decision(db, make_tenant(db, "Tokens"))
    with db.transaction() as session:
        publish_policy(session, admin, policy_from_document(second_document(), "t"), "Second.")
        decision = session.get(Decision, decision_id)
        assert decision is not None
        clause_url = urlsplit(statement_for(session, decision)["decision_ground_reference_url"])
    assert (clause_url.path, clause_url.fragment) == ("/policy/v1", "clause-5.1")
    with api_client(db) as client:
        current = client.get("/policy")
        assert current.status_code == 200
        assert current.headers["cache-control"] == PUBLIC_CACHE
        assert clause_anchors(current) == [f"clause-{i}" for i in SECOND_CLAUSES]
        facts = " ".join(tree(current).xpath("//dl[1]")[0].text_content().split())
        assert "Version 2 (current)" in facts
        assert "not the current policy" not in current.text

        first = client.get("/policy/v1")
        assert first.status_code == 200
        assert first.headers["cache-control"] == PUBLIC_CACHE
        assert clause_anchors(first) == [f"clause-{i}" for i in ADVERTISER_CLAUSES]
        [note] = tree(first).xpath("//*[@role='note']")
        assert "This is version 1, not the current policy." in note.text_content()
        assert note.xpath(".//a[@href='/policy']")
        assert note.xpath(".//a[@href='/policy/diff?from=1&to=2']")
        assert "every six months" in section_text(first, "clause-3.1")
        assert "every three months" in section_text(current, "clause-3.1")

        second = client.get("/policy/v2")
        assert clause_anchors(second) == clause_anchors(current)
        assert "not the current policy" not in second.text

        # the link in a decision's statement of reasons leads to its clause, in its version
        linked = client.get(clause_url.path)
        assert linked.status_code == 200
        [section] = tree(linked).xpath(f"//section[@id='{clause_url.fragment}']")
        assert "Cryptocurrency offerings" in section.text_content()


def test_a_clause_shows_its_rules_and_its_text_safely(db: Database) -> None:
    publish_two_versions(db)
    with api_client(db) as client:
        page = client.get("/policy")
        # raw HTML in a clause's text and title is shown as text, and Markdown still works
        assert "<script>" not in page.text
        assert "&lt;script&gt;alert(" in page.text
        assert "&lt;b&gt;bold&lt;/b&gt;" in page.text
        assert "<strong>strong</strong>" in page.text
        assert "Raw &lt;em&gt;HTML&lt;/em&gt; stays text" in page.text
        sanctions = section_text(page, "clause-2.1")
        for words in (
            "Applies to an advertiser (advertiser)",
            "the advertiser is off-boarded from ads (off_board)",
            "The law: US sanctions law administered by OFAC",
            "Risk for public security (STATEMENT_CATEGORY_RISK_FOR_PUBLIC_SECURITY)",
            "Applied automatically",
            "No fixed duration",
            "until the entry leaves the list",
            "every 90 days",
            "appeal for 183 days",
            "within 7 days",
            "size(hits.sanctions) > 0",
        ):
            assert words in sanctions, words
        [reference] = tree(page).xpath("//section[@id='clause-2.1']//a[@rel='external noopener']")
        assert reference.get("href") == "https://ofac.treasury.gov/"
        [condition] = tree(page).xpath("//section[@id='clause-2.1']//pre/code")
        assert condition.text == "size(hits.sanctions) > 0"
        directive = section_text(page, "clause-3.1")
        assert "Our terms of service." in directive
        assert "a reviewer decides every case" in directive


def test_versions_and_changelog_list_every_version_newest_first(db: Database) -> None:
    publish_two_versions(db)
    with api_client(db) as client:
        listing = client.get("/policy/versions")
        assert listing.status_code == 200
        assert listing.headers["cache-control"] == PUBLIC_CACHE
        rows = tree(listing).xpath("//table/tbody/tr")
        assert [row.get("id") for row in rows] == ["v2", "v1"]
        assert tree(listing).xpath("//table/caption")
        newest, oldest = (" ".join(row.text_content().split()) for row in rows)
        assert SECOND_CHANGELOG in newest
        assert FIRST_CHANGELOG in oldest
        assert "Version 2 (current)" in newest
        assert rows[0].xpath(".//a[@href='/policy/v2']")
        assert rows[0].xpath(".//a[@href='/policy/diff?from=1&to=2']")
        assert rows[1].xpath(".//a[@href='/policy/v1']")
        assert not rows[1].xpath(".//a[starts-with(@href, '/policy/diff')]")
        api = client.get("/api/v1/public/policy/versions").json()
        for row, version in zip(rows, api, strict=True):
            # the full hash is there, split only by <wbr> break hints
            assert version["content_hash"] in row.text_content().replace(" ", "")

        log = client.get("/policy/changelog")
        assert log.status_code == 200
        assert log.headers["cache-control"] == PUBLIC_CACHE
        assert [s.get("id") for s in tree(log).xpath("//section")] == ["v2", "v1"]
        assert SECOND_CHANGELOG in section_text(log, "v2")
        assert FIRST_CHANGELOG in section_text(log, "v1")


def test_the_diff_page_shows_exactly_what_changed(db: Database) -> None:
    publish_two_versions(db)
    with api_client(db) as client:
        diff = client.get("/policy/diff", params={"from": 1, "to": 2})
        assert diff.status_code == 200
        assert diff.headers["cache-control"] == PUBLIC_CACHE
        assert ids_in(diff, "added-") == ["7.1"]
        assert ids_in(diff, "removed-") == ["3.2"]
        assert ids_in(diff, "changed-") == ["3.1"]
        changed = tree(diff).xpath("//section[@id='changed-3.1']")[0]
        assert [d.text for d in changed.xpath(".//blockquote//del")] == ["six"]
        assert [i.text for i in changed.xpath(".//blockquote//ins")] == ["three"]
        assert "every three months" not in changed.xpath(".//blockquote")[0].text_content()
        # only the text changed, so there is no table of other fields
        assert not changed.xpath(".//table")
        links = tree(diff).xpath("//section[@aria-labelledby='added']//a/@href")
        assert links == ["/policy/v2#clause-7.1"]
        assert tree(diff).xpath("//section[@aria-labelledby='removed']//a/@href") == [
            "/policy/v1#clause-3.2"
        ]

        # the form: two labelled selects, sent with GET, the compared versions chosen
        [form] = tree(diff).xpath("//form[@action='/policy/diff']")
        assert form.get("method") == "get"
        for name, chosen in (("from", "1"), ("to", "2")):
            [select] = form.xpath(f".//select[@name='{name}']")
            assert form.xpath(f".//label[@for='{select.get('id')}']")
            assert select.xpath(".//option[@selected]/@value") == [chosen]

        backwards = client.get("/policy/diff", params={"from": 2, "to": 1})
        assert ids_in(backwards, "added-") == ["3.2"]
        assert ids_in(backwards, "removed-") == ["7.1"]

        same = client.get("/policy/diff", params={"from": 2, "to": 2})
        assert same.status_code == 200
        assert "These are the same version" in same.text
        assert not ids_in(same, "changed-")


def test_a_changed_field_shows_its_old_and_new_value(db: Database) -> None:
    admin = staff_actor(db, Role.policy_admin)
    first = load_policy(DEFAULT_POLICY)
    document = copy.deepcopy(first.document)
    document["clauses"][0]["rereview_days"] = 60
    with db.transaction() as session:
        publish_policy(session, admin, first, "One.")
    with db.transaction() as session:
        publish_policy(session, admin, policy_from_document(document, "t"), "Two.")
    with api_client(db) as client:
        diff = client.get("/policy/diff?from=1&to=2")
        assert ids_in(diff, "changed-") == ["2.1"]
        [row] = tree(diff).xpath("//section[@id='changed-2.1']//table/tbody/tr")
        assert row.xpath("./th[@scope='row']")[0].text == "Re-review every (days)"
        assert [cell.text_content() for cell in row.xpath("./td")] == ["90", "60"]
        assert row.xpath("./td/del")[0].text == "90"
        assert row.xpath("./td/ins")[0].text == "60"


BAD_PAGES = [
    ("/policy/v3", 404, "policy version 3 not found"),
    ("/policy/v0", 404, "policy version 0 not found"),
    ("/policy/vabc", 404, "policy version abc not found"),
    ("/policy/v-1", 404, "not found"),
    ("/policy/v1.5", 404, "not found"),
    ("/policy/v99999999999999999999", 404, "not found"),
    ("/policy/diff?from=1", 422, "“to” is missing"),
    ("/policy/diff?to=2", 422, "“from” is missing"),
    ("/policy/diff?from=&to=", 422, "“from” is missing"),
    ("/policy/diff?from=abc&to=2", 422, "“abc” is not a version number"),
    ("/policy/diff?from=1&to=-2", 422, "“-2” is not a version number"),
    ("/policy/diff?from=1&to=99999999999999", 422, "is not a version number"),
    ("/policy/diff?from=1&to=9", 404, "There is no policy version 9"),
    ("/policy/diff?from=9&to=abc", 422, "“abc” is not a version number"),
    ("/policy/diff?from=%3Cb%3Ebold&to=2", 422, "“<b>bold” is not a version number"),
    ("/policy/diff?from=1&to=" + "9" * 500, 422, "“" + "9" * 39 + "…” is not"),
    ("/policy/v%3Cb%3E1", 404, "policy version <b>1 not found"),
]


def test_bad_addresses_get_a_page_naming_the_problem(db: Database) -> None:
    publish_two_versions(db)
    with api_client(db) as client:
        for path, status, words in BAD_PAGES:
            answer = client.get(path)
            assert answer.status_code == status, (path, answer.text)
            assert answer.headers["content-type"].startswith("text/html"), path
            assert words in " ".join(tree(answer).text_content().split()), path
            assert "<b>" not in answer.text, path  # what was typed is quoted back escaped


def test_the_api_serves_the_policy_versions_and_diff(db: Database) -> None:
    publish_two_versions(db)
    with api_client(db) as client:
        current = client.get("/api/v1/public/policy")
        assert current.status_code == 200
        assert current.headers["cache-control"] == PUBLIC_CACHE
        body = current.json()
        assert (body["number"], body["current"]) == (2, True)
        assert [c["id"] for c in body["clauses"]] == SECOND_CLAUSES
        added = body["clauses"][-1]
        assert added["text"] == RAW_HTML.strip()
        assert added["url"].endswith("/policy/v2#clause-7.1")
        assert added["ground"]["law"].startswith("US sanctions law")

        listing = client.get("/api/v1/public/policy/versions")
        assert listing.headers["cache-control"] == PUBLIC_CACHE
        assert [v["number"] for v in listing.json()] == [2, 1]
        assert set(listing.json()[0]) == {
            "number",
            "title",
            "content_hash",
            "published_at",
            "changelog",
            "url",
        }
        assert listing.json()[1]["changelog"] == FIRST_CHANGELOG

        first = client.get("/api/v1/public/policy/versions/1")
        assert first.headers["cache-control"] == PUBLIC_CACHE
        assert (first.json()["number"], first.json()["current"]) == (1, False)
        assert [c["id"] for c in first.json()["clauses"]] == ADVERTISER_CLAUSES
        assert first.json()["content_hash"] == load_policy(DEFAULT_POLICY).content_hash

        diff = client.get("/api/v1/public/policy/diff", params={"from": 1, "to": 2})
        assert diff.status_code == 200
        assert diff.headers["cache-control"] == PUBLIC_CACHE
        found = diff.json()
        assert [c["id"] for c in found["added"]] == ["7.1"]
        assert [c["id"] for c in found["removed"]] == ["3.2"]
        assert found["removed"][0]["url"].endswith("/policy/v1#clause-3.2")
        assert [c["id"] for c in found["changed"]] == ["3.1"]
        [text] = found["changed"][0]["changes"]
        assert text["field"] == "text"
        assert {"kind": "del", "text": "six"} in text["segments"]
        assert {"kind": "ins", "text": "three"} in text["segments"]
        assert "".join(s["text"] for s in text["segments"] if s["kind"] != "ins") == text["old"]
        assert "".join(s["text"] for s in text["segments"] if s["kind"] != "del") == text["new"]
        assert found["unchanged"] == ["2.1", "5.1", "6.1"]
        assert (found["same_version"], found["identical"]) == (False, False)
        same = client.get("/api/v1/public/policy/diff?from=1&to=1").json()
        assert (same["same_version"], same["identical"], same["changed"]) == (True, True, [])

        # no personal data: not who published (the admin's user name holds the role)
        for answer in (current, listing, first, diff):
            assert "published_by" not in answer.text
            assert "policy_admin" not in answer.text


BAD_API_CALLS = [
    ("/api/v1/public/policy/versions/3", 404),
    ("/api/v1/public/policy/versions/0", 422),
    ("/api/v1/public/policy/versions/abc", 422),
    ("/api/v1/public/policy/versions/99999999999999999999", 422),
    ("/api/v1/public/policy/diff", 422),
    ("/api/v1/public/policy/diff?from=1", 422),
    ("/api/v1/public/policy/diff?from=abc&to=1", 422),
    ("/api/v1/public/policy/diff?from=1&to=99999999999", 422),
    ("/api/v1/public/policy/diff?from=1&to=3", 404),
    ("/api/v1/public/policy/diff?from=3&to=1", 404),
]


def test_the_api_refuses_bad_input_without_a_500(db: Database) -> None:
    publish_two_versions(db)
    with api_client(db) as client:
        for path, status in BAD_API_CALLS:
            answer = client.get(path)
            assert answer.status_code == status, (path, answer.text)
            assert answer.headers["content-type"] == "application/json", path
            assert "detail" in answer.json(), path


def test_the_openapi_description_documents_the_public_policy_api(db: Database) -> None:
    with api_client(db) as client:
        spec = client.get("/api/v1/openapi.json").json()
    paths = spec["paths"]
    for path in (
        "/api/v1/public/policy",
        "/api/v1/public/policy/versions",
        "/api/v1/public/policy/versions/{number}",
        "/api/v1/public/policy/diff",
    ):
        operation = paths[path]["get"]
        assert "security" not in operation, path
        answers = operation["responses"]
        assert "Cache-Control" in answers["200"]["headers"], path
        assert "application/json" in answers["200"]["content"], path
    assert "404" in paths["/api/v1/public/policy/versions/{number}"]["get"]["responses"]
    assert {"404", "422"} <= set(paths["/api/v1/public/policy/diff"]["get"]["responses"])
    params = {p["name"] for p in paths["/api/v1/public/policy/diff"]["get"]["parameters"]}
    assert params == {"from", "to"}
    assert "published_by" not in str(spec["components"]["schemas"])
