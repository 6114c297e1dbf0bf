from __future__ import annotations

from adwarden.store.engine import Database
from support import api_client, make_staff, make_tenant


def test_advertiser_reads_own_campaign(db: Database) -> None:
    tenant = make_tenant(db, "Acme")
    with api_client(db, tenant.user_email) as client:
        response = client.get(f"/api/v1/campaigns/{tenant.campaign_id}")
    assert response.status_code == 200, response.text
    assert response.json()["lifetime_budget"] == "100.00"


def test_staff_lists_advertisers(db: Database) -> None:
    make_tenant(db, "Acme")
    with api_client(db, make_staff(db)) as client:
        response = client.get("/api/v1/advertisers")
    assert response.status_code == 200, response.text
    assert response.json()["total"] == 1
