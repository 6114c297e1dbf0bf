"""The public self-check, over real HTTP: anyone sees which clauses would apply and why;
a signed-in advertiser sees its own standing."""

from __future__ import annotations

from pathlib import Path

import httpx

from adwarden.domain.enums import ListFormat, ListKind
from adwarden.screening.services import import_and_screen
from adwarden.store.engine import Database
from adwarden.web.app import create_app
from support import (
    SYSTEM,
    api_client,
    live_server,
    make_decision,
    make_tenant,
    publish_default_policy,
)

DIRECTIVE = "id,name,type,aliases\nbod-1,AO Kaspersky Lab,organization,Лаборатория Касперского\n"
SCRUTINY = "id,name,type\nkr-1,Eugene Kaspersky,person\n"


def lists(db: Database, tmp_path: Path) -> None:
    for name, text, kind in (
        ("directive.csv", DIRECTIVE, ListKind.directive),
        ("scrutiny.csv", SCRUTINY, ListKind.scrutiny),
    ):
        path = tmp_path / name
        path.write_text(text, encoding="utf-8")
        with db.transaction() as session:
            import_and_screen(session, SYSTEM, path, ListFormat.csv, name[:-4], kind)


def test_anyone_checks_an_advertiser_without_signing_in(db: Database, tmp_path: Path) -> None:
    publish_default_policy(db)
    lists(db, tmp_path)
    with api_client(db) as client:
        answer = client.post(
            "/api/v1/public/self-check",
            json={
                "names": ["Лаборатория Касперского"],
                "country": "RU",
                "owners": [{"name": "Yevgeny Kaspersky", "role": "founder"}],
            },
        )
        assert answer.status_code == 200, answer.text
        body = answer.json()
        assert body["policy_version"] == 1
        clauses = {c["id"]: c for c in body["clauses"]}
        assert set(clauses) == {"3.1", "6.1"}
        assert clauses["3.1"]["wins"]
        assert clauses["3.1"]["decides"] == "a reviewer decides"
        assert clauses["3.1"]["facts"]["hits"]["directive"] == ["bod-1"]
        assert clauses["6.1"]["outcome"] == "review_required"
        assert {m["entry_id"] for m in body["matches"]} == {"bod-1", "kr-1"}
        assert "treated as confirmed" in body["assumption"]

        clean = client.post("/api/v1/public/self-check", json={"names": ["Harbour Bakery"]})
        assert clean.json()["clauses"] == []
        empty = client.post("/api/v1/public/self-check", json={"names": []})
        assert empty.status_code == 422


def test_the_self_check_page_works_without_javascript(db: Database, tmp_path: Path) -> None:
    publish_default_policy(db)
    lists(db, tmp_path)
    with live_server(create_app(db)) as base, httpx.Client(base_url=base, timeout=60) as client:
        form = client.get("/self-check")
        assert form.status_code == 200
        assert 'label for="names"' in form.text
        shown = client.post("/self-check", data={"names": "Kaspersky Lab\n", "country": "ru"})
        assert shown.status_code == 200
        assert (
            "Clause 3.1, Products barred by a national government security directive" in shown.text
        )
        assert "directive entry bod-1" in shown.text
        bad = client.post("/self-check", data={"names": " ", "country": "Russia"})
        assert bad.status_code == 400
        assert "Enter at least one name." in bad.text
        assert "two-letter ISO country code" in bad.text


def test_an_advertiser_sees_its_own_standing(db: Database) -> None:
    tenant = make_tenant(db, "Coin")
    decision_id = make_decision(db, tenant)
    with api_client(db, tenant.user_email) as client:
        standing = client.get("/api/v1/me/standing").json()
    assert [d["id"] for d in standing["decisions_in_force"]] == [decision_id]
    assert standing["decisions_in_force"][0]["clause"] == "5.1"
    assert standing["open_reviews"] == 0
    assert standing["clauses_your_facts_meet"] == []
