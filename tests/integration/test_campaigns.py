"""Campaigns and promoted posts: owned accounts only, budgets consistent, ended stays ended."""

from __future__ import annotations

from adwarden.store.engine import Database
from support import api_client, make_staff, make_tenant


def test_advertiser_manages_its_campaigns_and_posts(db: Database) -> None:
    tenant = make_tenant(db, "Owner")
    with api_client(db, tenant.user_email) as client:
        created = client.post(
            f"/api/v1/advertisers/{tenant.advertiser_id}/campaigns",
            json={
                "name": "Summer",
                "daily_budget": "25.50",
                "lifetime_budget": "500",
                "bid_cpm": "3.20",
                "starts_at": "2018-06-01T00:00:00Z",
                "ends_at": "2018-08-31T23:59:59+02:00",
                "keywords": ["Coffee", "coffee", "beans"],
                "countries": ["de", "AT", "DE"],
                "status": "active",
            },
        )
        assert created.status_code == 201, created.text
        campaign = created.json()
        assert campaign["lifetime_budget"] == "500.00"
        assert campaign["keywords"] == ["coffee", "beans"]
        assert campaign["countries"] == ["AT", "DE"]
        assert campaign["ends_at"] == "2018-08-31T21:59:59Z"
        post = client.post(
            f"/api/v1/campaigns/{campaign['id']}/promoted-posts",
            json={
                "account_id": tenant.account_id,
                "text": "Cold brew is back",
                "landing_url": "https://owner.example/cold-brew",
            },
        )
        assert post.status_code == 201, post.text
        withdrawn = client.patch(
            f"/api/v1/promoted-posts/{post.json()['id']}", json={"status": "withdrawn"}
        )
        assert withdrawn.json()["status"] == "withdrawn"


def test_promoting_from_another_advertisers_account_is_refused(db: Database) -> None:
    own, other = make_tenant(db, "Own"), make_tenant(db, "Other")
    with api_client(db, own.user_email) as client:
        answer = client.post(
            f"/api/v1/campaigns/{own.campaign_id}/promoted-posts",
            json={"account_id": other.account_id, "text": "Borrowed voice"},
        )
    assert answer.status_code == 422
    [problem] = answer.json()["detail"]
    assert problem["loc"] == ["body", "account_id"]
    assert "not owned by advertiser" in problem["msg"]


def test_budget_and_schedule_rules_name_the_field(db: Database) -> None:
    tenant = make_tenant(db, "Rules")
    base = f"/api/v1/advertisers/{tenant.advertiser_id}/campaigns"
    with api_client(db, tenant.user_email) as client:
        over = client.post(
            base,
            json={"name": "X", "daily_budget": "20", "lifetime_budget": "10", "bid_cpm": "1"},
        )
        assert over.status_code == 422
        assert "daily_budget must not exceed lifetime_budget" in over.text
        cents = client.post(
            base,
            json={"name": "X", "daily_budget": "1.001", "lifetime_budget": "10", "bid_cpm": "1"},
        )
        assert cents.status_code == 422
        assert cents.json()["detail"][0]["loc"] == ["body", "daily_budget"]
        patch_over = client.patch(
            f"/api/v1/campaigns/{tenant.campaign_id}", json={"daily_budget": "101.00"}
        )
        assert patch_over.status_code == 422
        assert patch_over.json()["detail"][0]["loc"] == ["body", "daily_budget"]


def test_ended_campaign_cannot_restart(db: Database) -> None:
    tenant = make_tenant(db, "Ender")
    url = f"/api/v1/campaigns/{tenant.campaign_id}"
    with api_client(db, tenant.user_email) as client:
        assert client.patch(url, json={"status": "ended"}).status_code == 200
        restart = client.patch(url, json={"status": "active"})
    assert restart.status_code == 409
    assert "has ended" in restart.json()["detail"]


def test_staff_read_but_do_not_write_campaigns(db: Database) -> None:
    tenant = make_tenant(db, "Watched")
    with api_client(db, make_staff(db)) as client:
        assert client.get(f"/api/v1/campaigns/{tenant.campaign_id}").status_code == 200
        write = client.patch(f"/api/v1/campaigns/{tenant.campaign_id}", json={"name": "Staff"})
    assert write.status_code == 403
