"""The whole appeal flow scripted over the JSON API: file, attach, assign, answer, reverse."""

from __future__ import annotations

from pathlib import Path

from adwarden.domain.enums import Role
from adwarden.store.engine import Database
from support import api_client, make_staff, off_board, publish_default_policy

ARGUMENTS = [
    "The directive governs software on federal systems, not advertising.",
    "None of our ads broke a rule of the policy.",
]


def test_file_attach_assign_answer_and_reverse_over_http(db: Database, tmp_path: Path) -> None:
    publish_default_policy(db)
    tenant, decision_id = off_board(db, tmp_path, "Scripted")
    second = make_staff(db)
    admin = make_staff(db, Role.policy_admin)
    with api_client(db, tenant.user_email) as advertiser:
        filed = advertiser.post(
            f"/api/v1/decisions/{decision_id}/appeals", json={"arguments": ARGUMENTS}
        )
        assert filed.status_code == 201, filed.text
        appeal = filed.json()
        assert (appeal["status"], appeal["overdue"], appeal["arguments"]) == (
            "open",
            False,
            ARGUMENTS,
        )
        again = advertiser.post(
            f"/api/v1/decisions/{decision_id}/appeals", json={"arguments": ARGUMENTS}
        )
        assert again.status_code == 409
        assert "already has an open appeal" in again.json()["detail"]
        sent = advertiser.post(
            f"/api/v1/appeals/{appeal['id']}/attachments",
            files={"file": ("letter.txt", b"Our letter of 2018-02.", "text/plain")},
        )
        assert sent.status_code == 201, sent.text
        attachment = sent.json()
        refused = advertiser.post(
            f"/api/v1/appeals/{appeal['id']}/attachments",
            files={"file": ("tool.exe", b"MZ\x90\x00\x03", "application/octet-stream")},
        )
        assert refused.status_code == 422
        assert "not a file type we accept" in refused.json()["detail"][0]["msg"]
        download = advertiser.get(f"/api/v1/appeals/{appeal['id']}/attachments/{attachment['id']}")
        assert download.content == b"Our letter of 2018-02."
        assert advertiser.post(f"/api/v1/appeals/{appeal['id']}/assign", json={}).status_code == 403

    with api_client(db, admin) as staff:
        queue = staff.get("/api/v1/appeals", params={"status": "open"}).json()
        assert [a["id"] for a in queue["items"]] == [appeal["id"]]
    with api_client(db, second) as reviewer:
        taken = reviewer.post(f"/api/v1/appeals/{appeal['id']}/assign", json={})
        assert taken.status_code == 200, taken.text
        notice = reviewer.get(f"/api/v1/decisions/{decision_id}/notice").json()["body_text"]
        boilerplate = reviewer.post(
            f"/api/v1/appeals/{appeal['id']}/decide",
            json={
                "outcome": "upheld",
                "answer": notice,
                "points": ["Not accepted, see notice."] * 2,
            },
        )
        assert boilerplate.status_code == 422
        error = boilerplate.json()["detail"][0]
        assert error["loc"] == ["body", "answer"]
        assert "repeats the notice" in error["msg"]
        answer = (
            "You are right that the directive concerns federal systems and that no ad broke a "
            "rule; nothing else in the record supports the off-boarding, so we reverse it."
        )
        decided = reviewer.post(
            f"/api/v1/appeals/{appeal['id']}/decide",
            json={
                "outcome": "reversed",
                "answer": answer,
                "points": ["Accepted: federal systems only.", "Accepted: no ad broke a rule."],
            },
        )
        assert decided.status_code == 200, decided.text
        assert decided.json()["outcome"] == "reversed"
        decision = reviewer.get(f"/api/v1/decisions/{decision_id}").json()
        assert decision["status"] == "reversed"
        metrics = reviewer.get("/api/v1/appeals/metrics").json()
        assert metrics["by_clause"]["3.1"]["reversed"] == 1

    with api_client(db, tenant.user_email) as advertiser:
        history = advertiser.get(f"/api/v1/decisions/{decision_id}/history").json()
        assert history[0]["what"] == "Decided"
        assert "Reversed" in [step["what"] for step in history]
        kinds = [m["kind"] for m in advertiser.get("/api/v1/messages").json()["items"]]
        assert kinds == ["appeal_decided", "appeal_assigned", "appeal_filed", "decision"]
        mine = advertiser.get(f"/api/v1/appeals/{appeal['id']}").json()
        assert mine["answer"] == answer
        assert [p["addressed"] for p in mine["points"]] == [
            "Accepted: federal systems only.",
            "Accepted: no ad broke a rule.",
        ]


def test_the_appeal_routes_are_documented(db: Database) -> None:
    with api_client(db) as client:
        paths = client.get("/api/v1/openapi.json").json()["paths"]
    for path, method in [
        ("/api/v1/decisions/{decision_id}/appeals", "post"),
        ("/api/v1/appeals", "get"),
        ("/api/v1/appeals/{appeal_id}/attachments", "post"),
        ("/api/v1/appeals/{appeal_id}/assign", "post"),
        ("/api/v1/appeals/{appeal_id}/decide", "post"),
        ("/api/v1/appeals/metrics", "get"),
        ("/api/v1/decisions/{decision_id}/history", "get"),
    ]:
        assert method in paths[path], path
        assert paths[path][method].get("description") or paths[path][method].get("summary")
