"""The screening API over real HTTP: match a name, read hits, review them (staff only)."""

from __future__ import annotations

from pathlib import Path

from adwarden.domain.enums import AdvertiserKind, ListFormat, ListKind
from adwarden.registry.inputs import AdvertiserIn
from adwarden.registry.services import create_advertiser
from adwarden.screening.services import import_and_screen
from adwarden.store.engine import Database
from support import SYSTEM, api_client, make_staff, make_tenant

DIRECTIVE = (
    "id,name,type,aliases,country\n"
    "bod-1,AO Kaspersky Lab,organization,Лаборатория Касперского,RU\n"
    "fx-1,Quillfeather Probe Agency,organization,,\n"
)


def import_directive(db: Database, tmp_path: Path) -> None:
    path = tmp_path / "bod.csv"
    path.write_text(DIRECTIVE, encoding="utf-8")
    with db.transaction() as session:
        import_and_screen(
            session, SYSTEM, path, ListFormat.csv, "dhs-bod-17-01", ListKind.directive
        )


def test_match_finds_the_entry_with_its_explanation(db: Database, tmp_path: Path) -> None:
    import_directive(db, tmp_path)
    with api_client(db, make_staff(db)) as client:
        found = client.post(
            "/api/v1/screening/match",
            json={"name": "Лаборатория Касперского", "type": "organization", "country": "ru"},
        )
        assert found.status_code == 200, found.text
        [match] = found.json()["matches"]
        assert (match["list"], match["entry_id"], match["name"]) == (
            "dhs-bod-17-01",
            "bod-1",
            "Лаборатория Касперского",  # the entry's own name that matched best
        )
        assert "Russian case ending" in match["explanation"]
        latin = client.post("/api/v1/screening/match", json={"name": "Kaspersky Lab"}).json()
        assert [m["name"] for m in latin["matches"]] == ["AO Kaspersky Lab"]
        assert "legal form AO set aside" in latin["matches"][0]["explanation"]

        nothing = client.post("/api/v1/screening/match", json={"name": "Harbour Bakery"})
        assert nothing.json() == {"matches": []}

        narrowed = client.post(
            "/api/v1/screening/match", json={"name": "Kaspersky Lab", "lists": ["elsewhere"]}
        )
        assert narrowed.json() == {"matches": []}

        bad = client.post("/api/v1/screening/match", json={"name": "X", "birth_date": "1965-13"})
        assert bad.status_code == 422
        assert "birth_date" in bad.text


def test_hits_are_listed_and_reviewed(db: Database, tmp_path: Path) -> None:
    import_directive(db, tmp_path)
    with db.transaction() as session:
        create_advertiser(
            session, SYSTEM, AdvertiserIn(kind=AdvertiserKind.organization, name="Kaspersky Lab")
        )
    with api_client(db, make_staff(db)) as client:
        listed = client.get("/api/v1/screening/hits", params={"status": "open"})
        assert listed.status_code == 200
        body = listed.json()
        assert body["total"] == 1
        [hit] = body["items"]
        assert (hit["subject_type"], hit["entry_id"], hit["status"]) == (
            "advertiser",
            "bod-1",
            "open",
        )

        empty = client.post(
            f"/api/v1/screening/hits/{hit['id']}/review", json={"decision": "dismiss"}
        )
        assert empty.status_code == 422
        assert "reason" in empty.text

        reviewed = client.post(
            f"/api/v1/screening/hits/{hit['id']}/review",
            json={"decision": "dismiss", "reason": "a reseller with a similar name"},
        )
        assert reviewed.status_code == 200, reviewed.text
        assert reviewed.json()["status"] == "dismissed"
        assert reviewed.json()["review_reason"] == "a reseller with a similar name"
        assert reviewed.json()["reviewed_by"] is not None

        again = client.post(
            f"/api/v1/screening/hits/{hit['id']}/review",
            json={"decision": "dismiss", "reason": "twice"},
        )
        assert again.status_code == 409
        assert client.get(f"/api/v1/screening/hits/{hit['id']}").json()["status"] == "dismissed"
        assert client.get("/api/v1/screening/hits/999999").status_code == 404
        assert client.get("/api/v1/screening/hits", params={"status": "open"}).json()["total"] == 0


def test_advertiser_users_cannot_screen(db: Database, tmp_path: Path) -> None:
    import_directive(db, tmp_path)
    tenant = make_tenant(db, "Probe")
    with api_client(db, tenant.user_email) as client:
        refused = client.post("/api/v1/screening/match", json={"name": "Kaspersky Lab"})
        assert refused.status_code == 403
        assert "matches" not in refused.text
        assert client.get("/api/v1/screening/hits").status_code == 403
