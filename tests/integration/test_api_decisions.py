"""The 2018 flow over the API: a review task, a reviewer's decision, the advertiser's notice
and statement of reasons, and lifting it."""

from __future__ import annotations

from pathlib import Path

from sqlalchemy import select

from adwarden.domain.enums import HitStatus, ListFormat, ListKind
from adwarden.screening.models import ScreeningHit
from adwarden.screening.services import import_and_screen
from adwarden.store.engine import Database
from support import SYSTEM, api_client, make_staff, make_tenant, publish_default_policy

SUMMARY = (
    "The directive names this vendor's products, and a reviewer confirmed the list entry "
    "is this advertiser."
)


def test_a_reviewer_decides_a_task_and_the_advertiser_reads_why(
    db: Database, tmp_path: Path
) -> None:
    publish_default_policy(db)
    tenant = make_tenant(db, "Vendor")
    path = tmp_path / "directive.csv"
    path.write_text("id,name\nbod-1,Vendor Ltd\n", encoding="utf-8")
    with db.transaction() as session:
        import_and_screen(session, SYSTEM, path, ListFormat.csv, "directive", ListKind.directive)
        hit = session.scalars(
            select(ScreeningHit).where(ScreeningHit.subject_type == "advertiser")
        ).one()
        hit_id = hit.id
    reviewer = make_staff(db)
    with api_client(db, reviewer) as client:
        confirmed = client.post(
            f"/api/v1/screening/hits/{hit_id}/review",
            json={"decision": "confirm", "reason": "The listed vendor is this advertiser."},
        )
        assert confirmed.json()["status"] == HitStatus.confirmed.value
    # the confirmation was judged as it committed: clause 3.1 opened its task
    with api_client(db, reviewer) as client:
        [task] = client.get("/api/v1/review-tasks", params={"status": "open"}).json()["items"]
        assert (task["clause_id"], task["outcome"], task["subject_label"]) == (
            "3.1",
            "off_board",
            "Vendor Ltd",
        )
        short = client.post(
            f"/api/v1/review-tasks/{task['id']}/decide",
            json={"clause_id": "3.1", "facts_summary": "Bad."},
        )
        assert short.status_code == 422
        assert "40 characters" in short.text
        wrong = client.post(
            f"/api/v1/review-tasks/{task['id']}/decide",
            json={"clause_id": "3.2", "facts_summary": SUMMARY},
        )
        assert wrong.status_code == 409
        assert "does not apply to Vendor Ltd" in wrong.text
        made = client.post(
            f"/api/v1/review-tasks/{task['id']}/decide",
            json={"clause_id": "3.1", "facts_summary": SUMMARY, "territorial_scope": ["DE", "FR"]},
        )
        assert made.status_code == 201, made.text
        decision = made.json()
        assert decision["decided_by_label"] == reviewer
        assert decision["evidence"][0]["entry_id"] == "bod-1"

    with api_client(db, tenant.user_email) as client:
        mine = client.get("/api/v1/decisions").json()
        assert [d["id"] for d in mine["items"]] == [decision["id"]]
        notice = client.get(f"/api/v1/decisions/{decision['id']}/notice").json()
        assert "Clause 3.1" in notice["body_text"]
        assert "directive entry bod-1 “Vendor Ltd”" in notice["body_text"]
        statement = client.get(f"/api/v1/decisions/{decision['id']}/statement?format=dsa").json()
        assert statement["territorial_scope"] == ["DE", "FR"]
        assert statement["decision_ground"] == "DECISION_GROUND_INCOMPATIBLE_CONTENT"
        assert statement["decision_ground_reference_url"].endswith("/policy/v1#clause-3.1")
        refused = client.post(f"/api/v1/decisions/{decision['id']}/lift", json={"reason": "No."})
        assert refused.status_code == 403

    with api_client(db, reviewer) as client:
        lifted = client.post(
            f"/api/v1/decisions/{decision['id']}/lift",
            json={"reason": "The advertiser showed the directive was withdrawn.", "reversed": True},
        )
        assert lifted.status_code == 200, lifted.text
        assert lifted.json()["status"] == "reversed"
        account = client.get(f"/api/v1/accounts/{tenant.account_id}").json()
        assert account["id"] == tenant.account_id
