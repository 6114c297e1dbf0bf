"""Each change that a clause reads is judged as it commits, shown through the HTTP API.

One test per trigger: a promoted post made or edited, a campaign or account changed, an
advertiser's names or people, a hit confirmed or dismissed, a new list version, a new policy
version, and a re-review come due. Never a silent lift: a decision whose clause no longer
fires gets a task to reconsider it.
"""

from __future__ import annotations

import json
from datetime import timedelta
from decimal import Decimal
from pathlib import Path
from typing import Any

import httpx
from sqlalchemy import select, update
from test_cli import run

from adwarden.domain.enums import CampaignStatus, ListFormat, ListKind, Role
from adwarden.enforcement.models import Decision, ReviewTask
from adwarden.enforcement.services import close_task
from adwarden.policy.loader import policy_from_text
from adwarden.policy.services import publish_policy
from adwarden.screening.services import import_and_screen
from adwarden.serving.engine import ServingEngine
from adwarden.serving.inputs import CampaignIn, PromotedPostIn
from adwarden.serving.services import create_campaign, create_placement, create_promoted_post
from adwarden.store.base import utcnow
from adwarden.store.engine import Database
from support import (
    DEFAULT_POLICY,
    SYSTEM,
    Tenant,
    api_client,
    listed,
    make_staff,
    make_tenant,
    off_board,
    staff_actor,
)

# clauses at every level, besides the default policy's
EXTRA_CLAUSES = """
  - id: "4.1"
    title: Gambling campaigns
    text: Campaigns may not target gambling keywords.
    level: campaign
    condition: '"casino" in keywords'
    outcome: pause_campaign
    ground: {kind: terms, explanation: Our terms do not allow gambling ads.}
    dsa_category: STATEMENT_CATEGORY_ILLEGAL_OR_HARMFUL_SPEECH
    automatic: true
    end_rule: until the campaign's keywords change
    rereview_days: 365
  - id: "4.2"
    title: Gambling accounts
    text: Accounts that present themselves as casinos may not promote posts.
    level: account
    condition: display_name.contains("Casino")
    outcome: account_ineligible
    ground: {kind: terms, explanation: Our terms do not allow gambling ads.}
    dsa_category: STATEMENT_CATEGORY_ILLEGAL_OR_HARMFUL_SPEECH
    automatic: true
    end_rule: until the account's name changes
    rereview_days: 365
  - id: "5.3"
    title: Gambling posts
    text: A reviewer looks at every post that speaks of a casino before it runs.
    level: post
    condition: '"gambling" in categories'
    outcome: reject_post
    ground: {kind: terms, explanation: Our terms do not allow gambling ads.}
    dsa_category: STATEMENT_CATEGORY_ILLEGAL_OR_HARMFUL_SPEECH
    automatic: false
    end_rule: the rejection stands for this post; an edited post is checked again
    rereview_days: 365
    classifiers:
      - category: gambling
        keywords: [casino]
"""
SUMMARY = "The post offers casino gambling, which clause 5.3 does not allow in ads."
REASON = "Having read the post, it advertises a photography course, not a casino."


def publish(db: Database, text: str, changelog: str) -> None:
    admin = staff_actor(db, Role.policy_admin)
    with db.transaction() as session:
        publish_policy(session, admin, policy_from_text(text, "test"), changelog)


def with_extra_clauses(db: Database) -> None:
    default = DEFAULT_POLICY.read_text(encoding="utf-8")
    publish(db, default + EXTRA_CLAUSES, "Gambling clauses at every level.")


def running_campaign(db: Database, tenant: Tenant) -> int:
    with db.transaction() as session:
        campaign = create_campaign(
            session,
            SYSTEM,
            tenant.advertiser_id,
            CampaignIn(
                name="Evening course",
                daily_budget=Decimal("50.00"),
                lifetime_budget=Decimal("500.00"),
                bid_cpm=Decimal("4.00"),
                keywords=["photography"],
                status=CampaignStatus.active,
            ),
        )
        create_placement(session, SYSTEM, "feed", 10)
        return campaign.id


def served(client: httpx.Client, requests: int = 8) -> set[int]:
    found: set[int] = set()
    for n in range(requests):
        answer = client.post(
            "/api/v1/serve",
            json={
                "placement": "feed",
                "count": 3,
                "user_key": f"v{n}",
                "keywords": ["photography"],
            },
        )
        assert answer.status_code == 200, answer.text
        found |= {item["promoted_post_id"] for item in answer.json()["decisions"]}
    return found


def tasks(client: httpx.Client, **where: Any) -> list[dict[str, Any]]:
    items: list[dict[str, Any]] = client.get(
        "/api/v1/review-tasks", params={"status": "open"}
    ).json()["items"]
    return [t for t in items if all(t[key] == value for key, value in where.items())]


def decisions(client: httpx.Client, **where: Any) -> list[dict[str, Any]]:
    items: list[dict[str, Any]] = client.get("/api/v1/decisions").json()["items"]
    return [d for d in items if all(d[key] == value for key, value in where.items())]


def test_a_post_a_reviewer_must_see_waits_and_never_runs(db: Database) -> None:
    tenant = make_tenant(db, "Lenscraft")
    with_extra_clauses(db)
    campaign_id = running_campaign(db, tenant)
    reviewer = make_staff(db)
    new_post = f"/api/v1/campaigns/{campaign_id}/promoted-posts"
    with api_client(db, tenant.user_email) as owner, api_client(db, reviewer) as staff:
        plain = owner.post(new_post, json={"account_id": tenant.account_id, "text": "Night course"})
        assert plain.json()["status"] == "active"
        first = owner.post(
            new_post, json={"account_id": tenant.account_id, "text": "Shoot the casino lights"}
        ).json()
        second = owner.post(
            new_post, json={"account_id": tenant.account_id, "text": "Win at our casino tonight"}
        ).json()
        # clause 5.3 needs a person: both wait, each with its task, and neither runs
        assert (first["status"], second["status"]) == ("pending", "pending")
        [task_1] = tasks(staff, level="post", subject_id=first["id"])
        [task_2] = tasks(staff, level="post", subject_id=second["id"])
        assert (task_1["clause_id"], task_1["kind"]) == ("5.3", "apply")
        assert served(owner) == {plain.json()["id"]}
        # a pending post cannot be switched on by its owner
        refused = owner.patch(f"/api/v1/promoted-posts/{first['id']}", json={"status": "active"})
        assert refused.status_code == 409
        assert "waiting to be judged" in refused.text

        # the reviewer finds nothing wrong with the first: it runs
        closed = staff.post(
            f"/api/v1/review-tasks/{task_1['id']}/close", json={"resolution": REASON}
        )
        assert closed.status_code == 200, closed.text
        assert owner.get(f"/api/v1/promoted-posts/{first['id']}").json()["status"] == "active"
        assert served(owner) == {plain.json()["id"], first["id"]}
        # and the same facts do not ask again: nothing reopens when the post is judged anew
        assert tasks(staff, subject_id=first["id"]) == []

        # the second is rejected under the clause; it never ran
        decided = staff.post(
            f"/api/v1/review-tasks/{task_2['id']}/decide",
            json={"clause_id": "5.3", "facts_summary": SUMMARY},
        )
        assert decided.status_code == 201, decided.text
        assert owner.get(f"/api/v1/promoted-posts/{second['id']}").json()["status"] == "rejected"
        assert second["id"] not in served(owner)

        # new words are judged again before they run
        edited = owner.patch(
            f"/api/v1/promoted-posts/{plain.json()['id']}", json={"text": "Casino night shoot"}
        )
        assert edited.json()["status"] == "pending"
        assert plain.json()["id"] not in served(owner)


def test_campaign_and_account_changes_are_judged(db: Database) -> None:
    tenant = make_tenant(db, "Dicecraft")
    with_extra_clauses(db)
    admin = make_staff(db, Role.admin)
    with api_client(db, tenant.user_email) as owner, api_client(db, admin) as staff:
        changed = owner.patch(
            f"/api/v1/campaigns/{tenant.campaign_id}", json={"keywords": ["dice", "casino"]}
        )
        assert changed.status_code == 200, changed.text
        [paused] = decisions(owner, level="campaign", subject_id=tenant.campaign_id)
        assert (paused["clause_id"], paused["outcome"]) == ("4.1", "pause_campaign")
        assert owner.get(f"/api/v1/campaigns/{tenant.campaign_id}").json()["held"]

        renamed = staff.patch(
            f"/api/v1/accounts/{tenant.account_id}", json={"display_name": "Dicecraft Casino"}
        )
        assert renamed.status_code == 200, renamed.text
        [barred] = decisions(owner, level="account", subject_id=tenant.account_id)
        assert barred["clause_id"] == "4.2"
        assert not owner.get(f"/api/v1/accounts/{tenant.account_id}").json()["ads_eligible"]


def test_an_advertisers_names_and_people_are_judged(db: Database, tmp_path: Path) -> None:
    path = tmp_path / "scrutiny.csv"
    path.write_text(
        "id,name,type\n"
        "s-1,Glimmerwick Fictional Holdings,organization\n"
        "s-2,Ottoline Fictional Marchbank,person\n",
        encoding="utf-8",
    )
    with db.transaction() as session:
        import_and_screen(session, SYSTEM, path, ListFormat.csv, "scrutiny", ListKind.scrutiny)
    named = make_tenant(db, "Brightwater")
    owned = make_tenant(db, "Stillwater")
    admin = make_staff(db, Role.admin)
    with api_client(db, admin) as staff:
        assert tasks(staff) == []
        added = staff.post(
            f"/api/v1/advertisers/{named.advertiser_id}/names",
            json={"name": "Glimmerwick Fictional Holdings"},
        )
        assert added.status_code == 201, added.text
        [by_name] = tasks(staff, level="advertiser", subject_id=named.advertiser_id)
        assert by_name["clause_id"] == "6.1"

        person = staff.post("/api/v1/people", json={"name": "Ottoline Fictional Marchbank"})
        assert person.status_code == 201, person.text
        linked = staff.post(
            f"/api/v1/advertisers/{owned.advertiser_id}/people",
            json={"person_id": person.json()["id"], "role": "owner"},
        )
        assert linked.status_code == 201, linked.text
        [by_owner] = tasks(staff, level="advertiser", subject_id=owned.advertiser_id)
        assert by_owner["clause_id"] == "6.1"
        assert "Ottoline Fictional Marchbank" in json.dumps(by_owner["evidence"])
        # a scrutiny name restricts nothing by itself
        assert decisions(staff) == []


def test_a_dismissed_or_delisted_hit_asks_to_reconsider_and_never_lifts(
    db: Database, tmp_path: Path
) -> None:
    first = make_tenant(db, "Northwind")
    second = make_tenant(db, "Southwind")
    path = tmp_path / "sanctions.csv"
    path.write_text("id,name\nx-1,Northwind Ltd\nx-2,Southwind Ltd\n", encoding="utf-8")
    with db.transaction() as session:
        import_and_screen(session, SYSTEM, path, ListFormat.csv, "fx", ListKind.sanctions)
    reviewer = make_staff(db)
    with api_client(db, reviewer) as staff:
        hits = staff.get("/api/v1/screening/hits", params={"status": "open"}).json()["items"]
        for hit in hits:
            confirmed = staff.post(
                f"/api/v1/screening/hits/{hit['id']}/review",
                json={"decision": "confirm", "reason": "The listed entity is this advertiser."},
            )
            assert confirmed.status_code == 200, confirmed.text
        # each confirmation off-boarded its advertiser as it committed
        [north] = decisions(staff, level="advertiser", subject_id=first.advertiser_id)
        [south] = decisions(staff, level="advertiser", subject_id=second.advertiser_id)
        assert (north["clause_id"], south["clause_id"]) == ("2.1", "2.1")

        # the reviewer finds the first match wrong: the decision stands until a person lifts it
        [north_hit] = [
            h
            for h in hits
            if (h["subject_type"], h["subject_id"]) == ("advertiser", first.advertiser_id)
        ]
        dismissed = staff.post(
            f"/api/v1/screening/hits/{north_hit['id']}/review",
            json={"decision": "dismiss", "reason": "Another company of the same name, in Oslo."},
        )
        assert dismissed.status_code == 200, dismissed.text
        assert staff.get(f"/api/v1/decisions/{north['id']}").json()["status"] == "active"
        [reconsider] = tasks(staff, level="advertiser", subject_id=first.advertiser_id)
        assert (reconsider["kind"], reconsider["decision_id"]) == ("reconsider", north["id"])
        lifted = staff.post(
            f"/api/v1/decisions/{north['id']}/lift",
            json={"reason": "The match was wrong: another company.", "reversed": True},
        )
        assert lifted.status_code == 200, lifted.text
        assert (
            tasks(staff, level="advertiser", subject_id=first.advertiser_id) == []
        )  # lifting resolved it

        # a new version of the list without the second entry: the same, from the list
        path.write_text("id,name\nx-1,Northwind Ltd\n", encoding="utf-8")
        with db.transaction() as session:
            import_and_screen(session, SYSTEM, path, ListFormat.csv, "fx", ListKind.sanctions)
        assert staff.get(f"/api/v1/decisions/{south['id']}").json()["status"] == "active"
        [delisted] = tasks(staff, level="advertiser", subject_id=second.advertiser_id)
        assert (delisted["kind"], delisted["decision_id"]) == ("reconsider", south["id"])


def test_a_new_policy_version_judges_again_whom_it_changes(db: Database, tmp_path: Path) -> None:
    outlet = make_tenant(db, "Gazette")
    listed(db, tmp_path, "Gazette Ltd", ListKind.state_media)
    poster = make_tenant(db, "Casinoless")
    campaign_id = running_campaign(db, poster)
    admin = make_staff(db, Role.admin)
    with api_client(db, poster.user_email) as owner, api_client(db, admin) as staff:
        [state_media] = decisions(staff, level="advertiser", subject_id=outlet.advertiser_id)
        assert state_media["clause_id"] == "3.2"
        post = owner.post(
            f"/api/v1/campaigns/{campaign_id}/promoted-posts",
            json={"account_id": poster.account_id, "text": "Casino lights at night"},
        ).json()
        assert post["status"] == "active"  # no clause speaks of casinos yet

        # v2 drops clause 3.2 and adds the gambling clauses
        default = DEFAULT_POLICY.read_text(encoding="utf-8")
        start = default.index('  - id: "3.2"')
        without_3_2 = default[:start] + default[default.index('  - id: "5.1"') :]
        publish(db, without_3_2 + EXTRA_CLAUSES, "3.2 withdrawn; gambling clauses.")

        # the outlet's decision stands, with a task to reconsider it; the post gets its task
        assert staff.get(f"/api/v1/decisions/{state_media['id']}").json()["status"] == "active"
        [reconsider] = tasks(staff, level="advertiser", subject_id=outlet.advertiser_id)
        assert (reconsider["kind"], reconsider["decision_id"]) == ("reconsider", state_media["id"])
        [gambling] = tasks(staff, level="post", subject_id=post["id"])
        assert (gambling["clause_id"], gambling["kind"]) == ("5.3", "apply")


def test_rereviews_come_due_as_the_clause_says(db: Database, tmp_path: Path) -> None:
    tenant, decision_id = off_board(db, tmp_path, "Vendorly")  # clause 3.1: every 180 days
    reviewer = make_staff(db)
    with api_client(db, reviewer) as staff:
        assert staff.get("/api/v1/review-tasks/due").json() == []
        with db.transaction() as session:  # the decision is now 181 days old
            session.execute(
                update(Decision)
                .where(Decision.id == decision_id)
                .values(starts_at=utcnow() - timedelta(days=181))
            )
        [due] = staff.get("/api/v1/review-tasks/due").json()
        assert (due["decision_id"], due["clause_id"], due["every_days"]) == (
            decision_id,
            "3.1",
            180,
        )
        [opened] = staff.post("/api/v1/review-tasks/due").json()
        [task] = tasks(staff, level="advertiser", subject_id=tenant.advertiser_id)
        assert (task["id"], task["kind"], task["decision_id"]) == (
            opened["task_id"],
            "rereview",
            decision_id,
        )
        assert staff.get("/api/v1/review-tasks/due").json() == []  # its task is open
        closed = staff.post(
            f"/api/v1/review-tasks/{task['id']}/close",
            json={"resolution": "The directive still stands and still names this vendor."},
        )
        assert closed.status_code == 200, closed.text
        assert staff.get(f"/api/v1/decisions/{decision_id}").json()["status"] == "active"

    # from cron: nothing is due until 180 days after the last re-review was opened
    now = run("--db", db.url, "enforcement", "due", "--json")
    assert now.returncode == 0, now.stderr
    assert json.loads(now.stdout) == {"due": []}
    later = (utcnow() + timedelta(days=181)).strftime("%Y-%m-%d")
    listed_only = run("--db", db.url, "enforcement", "due", "--as-of", later, "--dry-run")
    assert listed_only.returncode == 0, listed_only.stderr
    assert f"decision {decision_id}" in listed_only.stdout
    assert "review task" not in listed_only.stdout
    ran = run("--db", db.url, "enforcement", "due", "--as-of", later, "--json")
    [item] = json.loads(ran.stdout)["due"]
    assert item["decision"] == decision_id
    assert item["task"] is not None


def test_a_kept_decision_is_not_asked_about_again_on_the_same_facts(
    db: Database, tmp_path: Path
) -> None:
    tenant, decision_id = off_board(db, tmp_path, "Keepwell")
    admin = make_staff(db, Role.admin)
    default = DEFAULT_POLICY.read_text(encoding="utf-8")
    withdrawn = default.replace(
        "condition: size(hits.directive) > 0", "condition: size(hits.directive) > 1000"
    )
    publish(db, withdrawn, "3.1 suspended while it is rewritten.")
    with api_client(db, admin) as staff:
        [reconsider] = tasks(staff, level="advertiser", subject_id=tenant.advertiser_id)
        kept = staff.post(
            f"/api/v1/review-tasks/{reconsider['id']}/close",
            json={"resolution": "The directive stands; 3.1 returns next week as it was."},
        )
        assert kept.status_code == 200, kept.text
        # judged again (its industry changed), on the facts 3.1 reads unchanged: nothing reopens
        changed = staff.patch(
            f"/api/v1/advertisers/{tenant.advertiser_id}", json={"industry": "security software"}
        )
        assert changed.status_code == 200, changed.text
        assert tasks(staff, level="advertiser", subject_id=tenant.advertiser_id) == []
        assert staff.get(f"/api/v1/decisions/{decision_id}").json()["status"] == "active"


def test_a_post_waits_while_any_clause_holds_it_and_runs_when_none_does(db: Database) -> None:
    tenant = make_tenant(db, "Tokencraft")
    with_extra_clauses(db)
    campaign_id = running_campaign(db, tenant)
    reviewer = make_staff(db)
    new_post = f"/api/v1/campaigns/{campaign_id}/promoted-posts"
    with api_client(db, tenant.user_email) as owner, api_client(db, reviewer) as staff:
        # 5.1 rejects it at once; 5.3 asks a person as well
        both = owner.post(
            new_post, json={"account_id": tenant.account_id, "text": "Casino token sale tonight"}
        ).json()
        assert both["status"] == "rejected"
        [rejection] = decisions(owner, level="post", subject_id=both["id"])
        [held] = tasks(staff, level="post", subject_id=both["id"])
        assert (rejection["clause_id"], held["clause_id"]) == ("5.1", "5.3")
        # the rejection reversed: the post waits for the 5.3 reviewer, it does not run
        reversed_ = staff.post(
            f"/api/v1/decisions/{rejection['id']}/lift",
            json={"reason": "Not a token sale: a board game night.", "reversed": True},
        )
        assert reversed_.status_code == 200, reversed_.text
        assert owner.get(f"/api/v1/promoted-posts/{both['id']}").json()["status"] == "pending"
        assert both["id"] not in served(owner)

        # a post a task holds, edited so that the clause no longer fires: the stale task
        # closes itself, saying why, and the post runs
        waiting = owner.post(
            new_post, json={"account_id": tenant.account_id, "text": "Casino lights at dusk"}
        ).json()
        [stale] = tasks(staff, level="post", subject_id=waiting["id"])
        edited = owner.patch(
            f"/api/v1/promoted-posts/{waiting['id']}", json={"text": "City lights at dusk"}
        )
        assert edited.json()["status"] == "active"
        closed = staff.get("/api/v1/review-tasks", params={"status": "closed"}).json()["items"]
        [gone] = [t for t in closed if t["id"] == stale["id"]]
        assert "no longer applies" in gone["resolution"]
        assert waiting["id"] in served(owner)

        # an advertiser may give up on a post that waits
        parked = owner.post(
            new_post, json={"account_id": tenant.account_id, "text": "Casino quiz night"}
        ).json()
        withdrawn = owner.patch(
            f"/api/v1/promoted-posts/{parked['id']}", json={"status": "withdrawn"}
        )
        assert withdrawn.status_code == 200, withdrawn.text
        assert withdrawn.json()["status"] == "withdrawn"


def test_posts_made_before_any_policy_are_judged_by_the_first(db: Database) -> None:
    tenant = make_tenant(db, "Earlybird", publish=False)
    advertisers_only = DEFAULT_POLICY.read_text(encoding="utf-8")
    advertisers_only = advertisers_only[: advertisers_only.index('  - id: "5.1"')]
    publish(db, advertisers_only, "Advertiser clauses only, for now.")
    with api_client(db, tenant.user_email) as owner:
        post = owner.get(f"/api/v1/promoted-posts/{tenant.promoted_post_id}").json()
        assert post["status"] == "active"


def test_a_task_closed_inside_a_savepoint_reaches_the_ad_server_at_commit(db: Database) -> None:
    tenant = make_tenant(db, "Savepoint")
    with_extra_clauses(db)
    campaign_id = running_campaign(db, tenant)
    with db.transaction() as session:
        post = create_promoted_post(
            session,
            SYSTEM,
            campaign_id,
            PromotedPostIn(account_id=tenant.account_id, text="Casino lights at night"),
        )
    engine = ServingEngine(db, background=False)
    try:
        assert post.id not in engine.snapshot().landing  # pending behind its 5.3 task
        reviewer = staff_actor(db)
        with db.transaction() as session:
            task_id = session.scalars(
                select(ReviewTask.id).where(ReviewTask.subject_id == post.id)
            ).one()
            with session.begin_nested():  # as the console's forms do
                close_task(session, reviewer, task_id, REASON)
            # released, not committed: the ad server has heard nothing yet
            assert post.id not in engine.snapshot().landing
        assert post.id in engine.snapshot().landing
    finally:
        engine.close()
