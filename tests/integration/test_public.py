"""The transparency center over real HTTP: the ads repository and the decisions database, their
searches and filters, the bulk exports, and what public answers leave out."""

from __future__ import annotations

import csv
import io
import json
from pathlib import Path
from typing import Any

import httpx
import pytest
from lxml import html
from sqlalchemy import select, update

from adwarden.auth.models import User
from adwarden.domain.enums import CampaignStatus, NameKind, Role
from adwarden.enforcement.models import Decision
from adwarden.enforcement.services import lift
from adwarden.registry.inputs import NameIn
from adwarden.registry.models import Account
from adwarden.registry.services import add_advertiser_name
from adwarden.serving.ledger import count_event
from adwarden.serving.models import Campaign, PromotedPost
from adwarden.store.base import utcnow
from adwarden.store.engine import Database
from adwarden.transparency.check import check_log
from adwarden.transparency.exports import DECISION_COLUMNS
from support import (
    SYSTEM,
    UPHELD_ANSWER,
    api_client,
    impression_claims,
    make_decision,
    make_tenant,
    off_board,
    publish_default_policy,
    running_ad,
    sole_trader,
    staff_actor,
    upheld_appeal,
)

PUBLIC = "/api/v1/public"
ANSWER = UPHELD_ANSWER
POINT = "The clause reads the directive as evidence about the vendor; it stands."


@pytest.fixture
def center(db: Database, tmp_path: Path) -> dict[str, int]:
    """A small public record: a rejected crypto post, an off-boarded advertiser with a
    Cyrillic name whose appeal was answered, and a running ad that drew impressions."""
    publish_default_policy(db)
    crypto = make_tenant(db, "Coinly")
    rejected = make_decision(db, crypto)
    vendor, off_boarded = off_board(db, tmp_path, "Petrov")
    with db.engine.begin() as connection:  # its campaign ran once (a draft is never listed)
        connection.execute(
            update(Campaign)
            .where(Campaign.id == vendor.campaign_id)
            .values(status=CampaignStatus.ended)
        )
    with db.transaction() as session:
        add_advertiser_name(
            session, SYSTEM, vendor.advertiser_id, NameIn(name="Петров", kind=NameKind.alias)
        )
    upheld_appeal(db, vendor, off_boarded, "The directive is not about ads.", POINT)
    gardener = make_tenant(db, "Gardenia")
    ad = running_ad(db, gardener, payer="Gardenia Cooperative eG", text="Spring open days")
    with db.sessions() as session:
        post = session.get(PromotedPost, ad)
        crypto_ad = session.get(Decision, rejected).subject_id  # type: ignore[union-attr]
        assert post is not None
        claims = impression_claims(post.campaign_id, gardener.advertiser_id, ad, 4_000, 3)
    for claim in claims:
        assert count_event(db, claim, utcnow()).counted
    return {
        "rejected": rejected,
        "off_boarded": off_boarded,
        "vendor": vendor.advertiser_id,
        "ad": ad,
        "crypto_ad": crypto_ad,
    }


def get_json(client: httpx.Client, path: str, **params: object) -> dict[str, object]:
    response = client.get(path, params=params)
    assert response.status_code == 200, response.text
    assert response.headers["cache-control"] == "public, max-age=60"
    found: dict[str, object] = response.json()
    return found


def ids(page: dict[str, object]) -> list[int]:
    return [int(item["id"]) for item in page["items"]]  # type: ignore[attr-defined,index]


def test_a_name_in_any_script_finds_the_decision_and_the_ads(
    db: Database, center: dict[str, int]
) -> None:
    with api_client(db) as client:
        for query in ("Петров", "petrov", "PETROV LTD", "Petr"):
            found = get_json(client, f"{PUBLIC}/decisions", advertiser=query)
            assert ids(found) == [center["off_boarded"]], query
        assert ids(get_json(client, f"{PUBLIC}/decisions", advertiser="Иванов")) == []
        assert ids(get_json(client, f"{PUBLIC}/decisions", advertiser="!!!")) == []
        ads = get_json(client, f"{PUBLIC}/ads", advertiser="Петров")["items"]
    [ad] = ads  # type: ignore[misc]
    assert ad["status"] == "restricted"
    assert ad["content"] == {"text": "Petrov sale", "landing_url": None}  # off-boarding: shown
    assert [d["id"] for d in ad["decisions"]] == [center["off_boarded"]]


def test_decision_filters(db: Database, center: dict[str, int]) -> None:
    rejected, off_boarded = center["rejected"], center["off_boarded"]
    cases = {
        (("clause", "5.1"),): [rejected],
        (("clause", "3.1"),): [off_boarded],
        (("outcome", "off_board"),): [off_boarded],
        (("level", "post"),): [rejected],
        (("ground", "terms"),): [off_boarded, rejected],
        (("ground", "legal"),): [],
        (("automated", "true"),): [rejected],
        (("automated", "false"),): [off_boarded],
        (("status", "active"),): [off_boarded, rejected],
        (("status", "reversed"),): [],
        (("since", "2000-01-01"), ("until", "2000-12-31")): [],
        (("order", "oldest"),): [rejected, off_boarded],
        (("until", "9999-12-31"),): [off_boarded, rejected],
    }
    with api_client(db) as client:
        # the day they were made, as they say it (not today's date: a run may cross midnight)
        first_day = str(get_json(client, f"{PUBLIC}/decisions/{rejected}")["starts_at"])[:10]
        cases[(("since", first_day),)] = [off_boarded, rejected]
        for params, expected in cases.items():
            assert ids(get_json(client, f"{PUBLIC}/decisions", **dict(params))) == expected, params
        bad = client.get(
            f"{PUBLIC}/decisions", params={"since": "2020-02-02", "until": "2020-01-01"}
        )
        assert bad.status_code == 422
        assert "since must not be after until" in bad.text
        assert client.get(f"{PUBLIC}/decisions", params={"since": "soon"}).status_code == 422


def test_a_decision_shows_its_clause_appeal_and_a_reversal(
    db: Database, center: dict[str, int]
) -> None:
    off_boarded = center["off_boarded"]
    with api_client(db) as client:
        shown = get_json(client, f"{PUBLIC}/decisions/{off_boarded}")
        assert shown["clause"]["url"].endswith("/policy/v1#clause-3.1")  # type: ignore[index]
        [appeal] = shown["appeals"]  # type: ignore[misc]
        assert appeal["outcome"] == "upheld"
        assert appeal["answer"] == ANSWER
        assert appeal["points"] == [
            {"argument": "The directive is not about ads.", "answer": POINT}
        ]
        page = client.get(f"/decisions/{off_boarded}")
        assert page.status_code == 200
        assert page.headers["cache-control"] == "public, max-age=60"
        tree = html.fromstring(page.text)
        assert tree.xpath("//a[@href='/policy/v1#clause-3.1']")
        assert ANSWER in page.text
        assert "In force" in page.text
        # reversed on review: still public, shown as reversed, with the reason
        with db.transaction() as session:
            lift(session, staff_actor(db), center["rejected"], "It was a raffle.", reversed_=True)
        reversed_ = client.get(f"/decisions/{center['rejected']}").text
        assert "Reversed." in reversed_
        assert "It was a raffle." in reversed_
        assert get_json(client, f"{PUBLIC}/decisions/{center['rejected']}")["status"] == "reversed"
        assert client.get("/decisions/999999").status_code == 404
        assert client.get(f"{PUBLIC}/decisions/999999").status_code == 404


def test_the_ads_repository(db: Database, center: dict[str, int]) -> None:
    with api_client(db) as client:
        ad = get_json(client, f"{PUBLIC}/ads/{center['ad']}")
        assert ad["status"] == "running"
        assert ad["paid_by"] == "Gardenia Cooperative eG"
        assert ad["content"] == {"text": "Spring open days", "landing_url": "https://x.example/"}
        assert ad["impressions"] == {"lower": 1, "upper": 1_000}
        assert ad["spend"] == {"currency": "USD", "lower": 0, "upper": 1}  # 12,000 micros
        assert ad["first_shown"] is not None
        assert ad["targeting"]["countries"] == ["AT", "DE"]  # type: ignore[index]
        shown = html.fromstring(client.get(f"/ads/{center['ad']}").text)
        facts = dict(zip(shown.xpath("//dl/dt/text()"), shown.xpath("//dl/dd"), strict=True))
        assert facts["Impressions"].text_content() == "1 to 999"
        assert facts["Spend"].text_content() == "less than USD 1"
        assert facts["Paid by"].text_content() == "Gardenia Cooperative eG"
        # the rejected crypto post stays listed, its content withheld, the statement linked
        crypto = get_json(client, f"{PUBLIC}/ads/{center['crypto_ad']}")
        assert crypto["status"] == "restricted"
        assert crypto["content"] is None
        assert crypto["withheld"]["decision_id"] == center["rejected"]  # type: ignore[index]
        page = client.get(f"/ads/{center['crypto_ad']}").text
        assert "token sale" not in page
        assert f'href="/decisions/{center["rejected"]}"' in page
        # searches: text (a withheld text finds nothing), country, status, sort
        assert ids(get_json(client, f"{PUBLIC}/ads", text="spring open")) == [center["ad"]]
        assert ids(get_json(client, f"{PUBLIC}/ads", text="token")) == []
        assert center["ad"] in ids(get_json(client, f"{PUBLIC}/ads", country="de"))
        assert center["ad"] not in ids(get_json(client, f"{PUBLIC}/ads", country="FR"))
        running = ids(get_json(client, f"{PUBLIC}/ads", status="running"))
        assert center["ad"] in running
        assert center["crypto_ad"] not in running
        assert ids(get_json(client, f"{PUBLIC}/ads", sort="spend", limit=1)) == [center["ad"]]
        shown_on = str(ad["first_shown"])[:10]
        assert ids(get_json(client, f"{PUBLIC}/ads", since=shown_on)) == [center["ad"]]
        assert client.get(f"{PUBLIC}/ads", params={"country": "Germany"}).status_code == 422
        assert client.get(f"{PUBLIC}/ads/999999").status_code == 404
        assert client.get(f"{PUBLIC}/ads", params={"until": "9999-12-31"}).status_code == 200
        assert client.get("/ads", params={"until": "9999-12-31"}).status_code == 200
        form = client.get("/ads", params={"country": "Germany"})
        assert form.status_code == 422
        assert 'aria-invalid="true"' in form.text
        assert "a two-letter country code" in form.text


def test_text_search_folds_case_in_any_script_and_csv_cells_cannot_run(db: Database) -> None:
    tenant = make_tenant(db, "Vesna")
    ad = running_ad(
        db, tenant, payer='=HYPERLINK("https://x.example")', text="Весенние ДНИ 50%_off"
    )
    with api_client(db) as client:
        for words in ("весенние", "дни", "ВЕСЕННИЕ дни"):
            assert ids(get_json(client, f"{PUBLIC}/ads", text=words)) == [ad], words
        assert ids(get_json(client, f"{PUBLIC}/ads", text="осенние")) == []
        rows = list(csv.DictReader(io.StringIO(client.get(f"{PUBLIC}/exports/ads.csv").text)))
    [row] = [row for row in rows if int(row["id"]) == ad]
    assert row["paid_by"] == '\'=HYPERLINK("https://x.example")'


def test_exports_stream_resume_and_speak_the_dsa_format(
    db: Database, center: dict[str, int]
) -> None:
    with api_client(db) as client:
        full = client.get(f"{PUBLIC}/exports/decisions.csv")
        assert full.status_code == 200
        assert full.headers["content-type"].startswith("text/csv")
        assert "attachment" in full.headers["content-disposition"]
        rows = list(csv.DictReader(io.StringIO(full.text)))
        assert list(rows[0]) == DECISION_COLUMNS
        assert [int(row["id"]) for row in rows] == [center["rejected"], center["off_boarded"]]
        assert rows[1]["appeal_outcomes"] == "upheld"
        lines = client.get(f"{PUBLIC}/exports/decisions.jsonl", params={"limit": 1}).text
        first = [json.loads(line) for line in lines.splitlines()]
        assert [item["id"] for item in first] == [center["rejected"]]
        rest = client.get(f"{PUBLIC}/exports/decisions.jsonl", params={"after": first[0]["id"]})
        assert [json.loads(line)["id"] for line in rest.text.splitlines()] == [
            center["off_boarded"]
        ]
        tdb = [
            json.loads(line)
            for line in client.get(f"{PUBLIC}/exports/decisions.tdb").text.splitlines()
        ]
        assert tdb[1]["puid"] == f"adwarden-decision-{center['off_boarded']}"
        assert tdb[1]["decision_provision"] == "DECISION_PROVISION_PARTIAL_SUSPENSION"
        assert "redress" not in tdb[1]  # ours, not a DSA field
        ads = [
            json.loads(line) for line in client.get(f"{PUBLIC}/exports/ads.jsonl").text.splitlines()
        ]
        assert {ad["id"] for ad in ads} >= {center["ad"], center["crypto_ad"]}
        ads_csv = list(csv.DictReader(io.StringIO(client.get(f"{PUBLIC}/exports/ads.csv").text)))
        assert len(ads_csv) == len(ads)
        assert client.get(f"{PUBLIC}/exports/ads.tdb").status_code == 422
        assert client.get(f"{PUBLIC}/exports/ads.xml").status_code == 422


def test_public_answers_name_no_staff_and_no_natural_person(
    db: Database, center: dict[str, int]
) -> None:
    with db.sessions() as session:
        staff = session.scalars(select(User).where(User.role != Role.advertiser)).all()
        secrets = {user.email for user in staff} | {user.name for user in staff}
    # a hit on a natural person (an owner on a list) keeps its list entry but not the name
    with db.engine.begin() as connection:
        connection.execute(
            update(Decision)
            .where(Decision.id == center["off_boarded"])
            .values(
                evidence=[
                    {"subject_type": "person", "subject_name": "Ivan Petrov", "entry_name": "Ivan Petrov",
                     "list": "scrutiny", "entry_id": "s-1", "score": 0.97, "status": "confirmed",
                     "explanation": "Ivan Petrov vs Ivan Petrov", "notes": "born 1961 in Omsk"}
                ],
                facts_summary="Petrov Ltd's owner Ivan Petrov is on the scrutiny list.",
            )
        )  # fmt: skip
    with api_client(db) as client:
        answers = [
            client.get(f"{PUBLIC}/decisions").text,
            client.get(f"{PUBLIC}/decisions/{center['off_boarded']}").text,
            client.get(f"/decisions/{center['off_boarded']}").text,
            client.get(f"{PUBLIC}/exports/decisions.jsonl").text,
            client.get(f"{PUBLIC}/exports/decisions.csv").text,
            client.get(f"{PUBLIC}/ads").text,
            client.get(f"{PUBLIC}/log/entries").text,
        ]
    for text in answers:
        for secret in secrets:
            assert secret not in text
        assert "Ivan Petrov" not in text
        assert "Omsk" not in text
    assert "(a natural person: name withheld) is on the scrutiny list" in answers[1]


def test_a_natural_person_advertiser_is_not_named_in_the_decisions_database(
    db: Database,
) -> None:
    tenant = sole_trader(db, "Novak", "Jana Novak")
    decision_id = make_decision(db, tenant)
    with api_client(db) as client:
        answers = [
            client.get(f"{PUBLIC}/decisions/{decision_id}").text,
            client.get(f"/decisions/{decision_id}").text,
            client.get(f"{PUBLIC}/exports/decisions.tdb").text,
            client.get(f"{PUBLIC}/log/entries").text,
        ]
        shown = get_json(client, f"{PUBLIC}/decisions/{decision_id}")
    assert shown["advertiser"]["name"] == "(a natural person: name withheld)"  # type: ignore[index]
    for text in answers:
        assert "novak" not in text.lower()
    with db.sessions() as session:
        assert check_log(session) == []


def test_a_status_search_tells_restricted_ads_by_post_campaign_or_account(db: Database) -> None:
    """Restricted: the post rejected, its campaign held, or its account barred from ads (each
    looked up its own way); stopped: none of those, and not running; running: the rest."""
    tenant, other = make_tenant(db, "Statusly"), make_tenant(db, "Barredly")
    ads = {
        kind: running_ad(db, other if kind == "barred" else tenant, text=f"{kind} offer")
        for kind in ("running", "rejected", "held", "barred", "paused")
    }
    with db.engine.begin() as connection:
        post, campaign = PromotedPost.__table__, Campaign.__table__
        connection.execute(
            update(post).where(post.c.id == ads["rejected"]).values(status="rejected")
        )

        def campaign_of(ad: int) -> Any:
            return select(post.c.campaign_id).where(post.c.id == ad).scalar_subquery()

        connection.execute(
            update(campaign).where(campaign.c.id == campaign_of(ads["held"])).values(held=True)
        )
        connection.execute(
            update(campaign)
            .where(campaign.c.id == campaign_of(ads["paused"]))
            .values(status=CampaignStatus.paused)
        )
        connection.execute(
            update(Account.__table__)
            .where(Account.__table__.c.id == other.account_id)
            .values(ads_eligible=False)
        )
    with api_client(db) as client:

        def found(status: str) -> set[int]:
            return set(ids(get_json(client, f"{PUBLIC}/ads", status=status)))

        assert found("restricted") == {ads["rejected"], ads["held"], ads["barred"]}
        assert found("stopped") == {ads["paused"]}
        assert found("running") == {ads["running"]}
        page = client.get("/ads", params={"status": "restricted"}).text
        assert all(f'href="/ads/{ads[kind]}"' in page for kind in ("rejected", "held", "barred"))
        assert f'href="/ads/{ads["running"]}"' not in page
