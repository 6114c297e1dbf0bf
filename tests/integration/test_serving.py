"""Serving over real HTTP on both engines: decisions, signed event URLs counted once, the
enforcement gate (even for a decision handed out before the off-boarding), and budgets."""

from __future__ import annotations

import json
from datetime import timedelta
from decimal import Decimal
from pathlib import Path
from urllib.parse import urlsplit

import httpx
from sqlalchemy import func, select, update
from test_cli import run

from adwarden.domain.enums import CampaignStatus, ListKind, Role, SubjectLevel
from adwarden.enforcement.services import decide, lift, notice_of
from adwarden.serving.auction import FREQUENCY_CAP
from adwarden.serving.inputs import CampaignIn, PromotedPostIn
from adwarden.serving.ledger import count_event
from adwarden.serving.models import Campaign, DailySpend, LedgerEvent, PostDelivery
from adwarden.serving.services import create_campaign, create_placement, create_promoted_post
from adwarden.serving.tokens import EventClaim
from adwarden.store.base import utcnow
from adwarden.store.engine import Database
from adwarden.web.app import create_app
from support import (
    PASSWORD,
    SYSTEM,
    Tenant,
    api_client,
    impression_claims,
    listed,
    live_server,
    make_staff,
    make_tenant,
    off_board,
    publish_default_policy,
    staff_actor,
)


def placement(db: Database, key: str = "feed", reserve_cents: int = 100) -> None:
    with db.transaction() as session:
        create_placement(session, staff_actor(db, Role.admin), key, reserve_cents)


def running_campaign(
    db: Database,
    tenant: Tenant,
    *,
    bid: str = "5.00",
    daily: str = "100.00",
    lifetime: str = "1000.00",
    landing: str | None = "https://shop.example/offer",
) -> int:
    with db.transaction() as session:
        campaign = create_campaign(
            session,
            SYSTEM,
            tenant.advertiser_id,
            CampaignIn(
                name="Running",
                daily_budget=Decimal(daily),
                lifetime_budget=Decimal(lifetime),
                bid_cpm=Decimal(bid),
                keywords=["security"],
                status=CampaignStatus.active,
            ),
        )
        create_promoted_post(
            session,
            SYSTEM,
            campaign.id,
            PromotedPostIn(account_id=tenant.account_id, text="Our offer", landing_url=landing),
        )
        return campaign.id


def serve(client: httpx.Client, count: int = 3, user: str = "u1") -> list[dict[str, object]]:
    answer = client.post(
        "/api/v1/serve",
        json={"placement": "feed", "count": count, "user_key": user, "keywords": ["security"]},
    )
    assert answer.status_code == 200, answer.text
    decisions: list[dict[str, object]] = answer.json()["decisions"]
    return decisions


def hit(client: httpx.Client, url: object) -> httpx.Response:
    return client.get(urlsplit(str(url)).path)


def test_decisions_and_events_counted_once(db: Database) -> None:
    placement(db)
    first, second = make_tenant(db, "First"), make_tenant(db, "Second")
    running_campaign(db, first, bid="5.00")
    running_campaign(db, second, bid="3.00")
    with api_client(db) as client:
        decisions = serve(client, count=2)
        assert [d["advertiser_id"] for d in decisions] == [
            first.advertiser_id,
            second.advertiser_id,
        ]
        assert [d["price"] for d in decisions] == ["0.003", "0.001"]  # second price, then reserve
        top = decisions[0]
        assert client.get(urlsplit(str(top["click_url"])).path).json() == {
            "counted": False,
            "reason": "no impression was counted for this decision",
        }
        assert hit(client, top["impression_url"]).json() == {"counted": True, "reason": None}
        assert hit(client, top["impression_url"]).json() == {
            "counted": False,
            "reason": "this impression was already counted",
        }
        click = hit(client, top["click_url"])
        assert click.status_code == 302
        assert click.headers["location"] == "https://shop.example/offer"
        path = urlsplit(str(top["impression_url"])).path
        forged = path[:-3] + ("AAA" if not path.endswith("AAA") else "BBB")
        refused = client.get(forged)
        assert refused.status_code == 403
        assert "signature does not match" in refused.json()["detail"]
        unknown = client.post(
            "/api/v1/serve", json={"placement": "nowhere", "user_key": "u1", "keywords": []}
        )
        assert unknown.status_code == 422
    with db.sessions() as session:
        events = session.execute(select(LedgerEvent.kind, LedgerEvent.price_micros)).all()
        assert sorted((kind.value, price) for kind, price in events) == [
            ("click", 0),
            ("impression", 3000),
        ]
        spend = session.scalars(select(DailySpend)).one()
        assert (spend.impressions, spend.clicks, spend.spent_micros) == (1, 1, 3000)


def test_an_off_boarding_stops_ads_at_once_even_for_decisions_handed_out_before(
    db: Database, tmp_path: Path
) -> None:
    placement(db)
    publish_default_policy(db)
    tenant, first_decision = off_board(db, tmp_path, "Gated")
    reviewer = staff_actor(db)
    with db.transaction() as session:  # reversed: the tenant may serve again
        lift(session, reviewer, first_decision, "reversed to test the gate", reversed_=True)
    running_campaign(db, tenant)
    with api_client(db) as client:
        [before] = serve(client, count=1)
        assert before["advertiser_id"] == tenant.advertiser_id
        # a reviewer off-boards the advertiser again after that decision id was handed out
        with db.transaction() as session:
            again = decide(
                session,
                reviewer,
                SubjectLevel.advertiser,
                tenant.advertiser_id,
                "3.1",
                "Gated Ltd makes the products a national security directive names; confirmed.",
            )
        assert hit(client, before["impression_url"]).json() == {
            "counted": False,
            "reason": "the campaign is held by an enforcement decision",
        }
        assert serve(client, count=1, user="u2") == []  # and nothing more is handed out
        with db.transaction() as session:  # a reversal restores serving just as fast
            lift(session, reviewer, again.id, "reversed again", reversed_=True)
        [after] = serve(client, count=1, user="u3")
        assert after["advertiser_id"] == tenant.advertiser_id
        assert hit(client, after["impression_url"]).json()["counted"] is True
    with db.sessions() as session:
        assert session.scalar(select(func.count()).select_from(LedgerEvent)) == 1


def running(db: Database, tenant: Tenant, **budgets: str) -> tuple[Campaign, int]:
    """A running campaign of the tenant, and the id of its one promoted post."""
    campaign_id = running_campaign(db, tenant, **budgets)
    with db.sessions() as session:
        campaign = session.get(Campaign, campaign_id)
        assert campaign is not None
        return campaign, campaign.promoted_posts[0].id


def claims(campaign: Campaign, post_id: int, price: int, n: int) -> list[EventClaim]:
    return impression_claims(campaign.id, campaign.advertiser_id, post_id, price, n)


def test_budgets_are_never_overspent_by_more_than_one_impression(db: Database) -> None:
    tenant = make_tenant(db, "Thrifty")
    # a daily budget of 0.02 is 20,000 micros; at 6,000 an impression the fourth one is
    # the last counted (18,000 spent before it), whatever was handed out
    campaign, post_id = running(db, tenant, daily="0.02", lifetime="1.00")
    campaign_id = campaign.id
    results = [count_event(db, claim, utcnow()) for claim in claims(campaign, post_id, 6_000, 10)]
    assert [r.counted for r in results] == [True] * 4 + [False] * 6
    assert results[-1].reason == "the campaign's daily budget is spent"
    with db.sessions() as session:
        spent = session.get(Campaign, campaign_id).spent_micros  # type: ignore[union-attr]
    assert 20_000 <= spent <= 20_000 + 6_000
    assert spent == 24_000


def test_the_counters_can_be_rebuilt_from_the_ledger(db_url: str) -> None:
    db = Database(db_url)
    try:
        tenant = make_tenant(db, "Counted")
        campaign_id = running_campaign(db, tenant)
        with db.sessions() as session:
            campaign = session.get(Campaign, campaign_id)
            assert campaign is not None
            post_id = campaign.promoted_posts[0].id
        for claim in claims(campaign, post_id, 5_000, 3):
            assert count_event(db, claim, utcnow()).counted
        agreed = run("--db", db_url, "ledger", "rebuild")
        assert agreed.returncode == 0, agreed.stderr
        assert agreed.stdout.strip() == "the counters agree with the ledger (3 events)"
        with db.transaction() as session:  # a counter changed behind the ledger's back
            session.execute(
                update(DailySpend)
                .where(DailySpend.campaign_id == campaign_id)
                .values(spent_micros=DailySpend.spent_micros + 1)
            )
        differs = run("--db", db_url, "ledger", "rebuild", "--json")
        assert differs.returncode == 1
        [mismatch] = json.loads(differs.stdout)["mismatches"]
        assert mismatch["campaign_id"] == campaign_id
        assert mismatch["counter"] == [3, 0, 15_001]
        assert mismatch["ledger"] == [3, 0, 15_000]
        assert json.loads(differs.stdout)["delivery_mismatches"] == []
        with db.transaction() as session:  # the public repository's counter, too
            session.execute(
                update(PostDelivery)
                .where(PostDelivery.promoted_post_id == post_id)
                .values(impressions=PostDelivery.impressions - 1)
            )
        both = json.loads(run("--db", db_url, "ledger", "rebuild", "--json").stdout)
        assert both["delivery_mismatches"] == [
            {"promoted_post_id": post_id, "counter": [2, 0, 15_000], "ledger": [3, 0, 15_000]}
        ]
    finally:
        db.dispose()


def test_an_off_boarding_states_the_unspent_budget(db: Database, tmp_path: Path) -> None:
    publish_default_policy(db)
    tenant = make_tenant(db, "Prepaid")
    campaign, post_id = running(db, tenant, lifetime="1000.00")
    for claim in claims(campaign, post_id, 5_000, 2):  # 0.01 spent
        assert count_event(db, claim, utcnow()).counted
    listed(db, tmp_path, "Prepaid Ltd", ListKind.directive)
    reviewer = staff_actor(db)
    with db.transaction() as session:
        decision = decide(
            session,
            reviewer,
            SubjectLevel.advertiser,
            tenant.advertiser_id,
            "3.1",
            "Prepaid Ltd makes the products a national security directive names; confirmed.",
        )
        decision_id = decision.id
    with db.sessions() as session:
        notice = notice_of(session, decision_id).body_text
    assert "Your unspent budget:" in notice
    assert "campaign “Running”: 999.99 USD prepaid and not spent when it paused" in notice
    shown = "Campaign “Running”: 999.99 USD prepaid and not spent when it paused."
    with live_server(create_app(db)) as base:
        for email, page in (
            (make_staff(db), f"/staff/decisions/{decision_id}"),
            (tenant.user_email, f"/my/decisions/{decision_id}"),
        ):
            with httpx.Client(base_url=base) as client:
                client.post("/login", data={"email": email, "password": PASSWORD})
                assert shown in client.get(page).text, page


def test_the_advertiser_reads_its_results_as_a_chart_a_table_and_a_csv(db: Database) -> None:
    tenant = make_tenant(db, "Reported")
    campaign, post_id = running(db, tenant)
    campaign_id = campaign.id
    for claim in claims(campaign, post_id, 5_000, 3):
        assert count_event(db, claim, utcnow()).counted
    today = utcnow().date().isoformat()
    with api_client(db, tenant.user_email) as client:
        rows = client.get(f"/api/v1/advertisers/{tenant.advertiser_id}/report").json()
        assert rows == [
            {
                "day": today,
                "campaign_id": campaign_id,
                "campaign": "Running",
                "impressions": 3,
                "clicks": 0,
                "spend": "0.015",
                "currency": "USD",
            }
        ]
        csv_text = client.get(
            f"/api/v1/advertisers/{tenant.advertiser_id}/report", params={"format": "csv"}
        ).text
        assert csv_text.splitlines() == [
            "day,campaign_id,campaign,impressions,clicks,spend,currency",
            f"{today},{campaign_id},Running,3,0,0.015000,USD",
        ]
    with live_server(create_app(db)) as base, httpx.Client(base_url=base) as browser:
        browser.post("/login", data={"email": tenant.user_email, "password": PASSWORD})
        page = browser.get("/my/report").text
        assert '<svg role="img" aria-label="Spend by day and campaign"' in page
        assert "<script" not in page
        assert "0.02 USD" in page  # 0.015 to the cent (half to even), in the table
        assert browser.get("/my/report.csv").text == csv_text


def test_the_frequency_cap_holds_where_impressions_count(db: Database) -> None:
    tenant = make_tenant(db, "Capped")
    campaign, post_id = running(db, tenant)
    campaign_id = campaign.id
    same_viewer = impression_claims(
        campaign_id, tenant.advertiser_id, post_id, 5_000, FREQUENCY_CAP + 1, viewer="one-person"
    )
    results = [count_event(db, claim, utcnow()) for claim in same_viewer]
    assert [r.counted for r in results] == [True] * FREQUENCY_CAP + [False]
    assert (
        results[-1].reason
        == f"this viewer has seen the campaign {FREQUENCY_CAP} times today, its cap"
    )
    other = claims(campaign, post_id, 5_000, 1)[0]  # someone else still counts
    assert count_event(db, other, utcnow()).counted


def test_the_lifetime_budget_holds_as_the_daily_one_does(db: Database) -> None:
    tenant = make_tenant(db, "Lifetime")
    # 0.02 a day, 0.03 in all, 6,000 micros an impression
    campaign, post_id = running(db, tenant, daily="0.02", lifetime="0.03")
    yesterday = utcnow() - timedelta(days=1)
    first = [count_event(db, c, yesterday) for c in claims(campaign, post_id, 6_000, 5)]
    assert [r.counted for r in first] == [True] * 4 + [False]  # the daily budget: 24,000
    today = [count_event(db, c, utcnow()) for c in claims(campaign, post_id, 6_000, 3)]
    assert [r.counted for r in today] == [True, False, False]  # 30,000 in all
    assert today[-1].reason == "the campaign's lifetime budget is spent"
