"""Malformed input gives 422 naming the field, an unknown id 404, and nothing a 500."""

from __future__ import annotations

from adwarden.store.engine import Database
from support import api_client, make_staff


def test_field_level_messages(db: Database) -> None:
    with api_client(db, make_staff(db)) as client:
        answer = client.post(
            "/api/v1/advertisers",
            json={"kind": "charity", "name": "Bad\x00Name", "country": "Russia", "extra": 1},
        )
    assert answer.status_code == 422
    problems = {tuple(p["loc"]): p["msg"] for p in answer.json()["detail"]}
    assert "Input should be 'organization' or 'person'" in problems[("body", "kind")]
    assert "control character" in problems[("body", "name")]
    assert "pattern" in problems[("body", "country")]
    assert "Extra inputs are not permitted" in problems[("body", "extra")]


def test_unknown_ids_and_bad_ids(db: Database) -> None:
    with api_client(db, make_staff(db)) as client:
        missing = client.get("/api/v1/advertisers/999999")
        assert missing.status_code == 404
        assert missing.json() == {"detail": "advertiser 999999 not found"}
        huge = client.get(f"/api/v1/advertisers/{2**63}")
        assert huge.status_code == 422
        assert huge.json()["detail"][0]["loc"] == ["path", "advertiser_id"]
        link = client.post(
            "/api/v1/advertisers/999999/people", json={"person_id": 1, "role": "owner"}
        )
        assert link.status_code == 404


def test_malformed_json_is_a_422(db: Database) -> None:
    with api_client(db, make_staff(db)) as client:
        answer = client.post(
            "/api/v1/people", content=b'{"name": ', headers={"Content-Type": "application/json"}
        )
    assert answer.status_code == 422
    assert answer.json()["detail"][0]["type"] == "json_invalid"
