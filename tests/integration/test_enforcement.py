"""Decisions, on SQLite and PostgreSQL: off-boarding stops ads and nothing else, lifting
restores exactly that, and no decision exists without a clause, facts and evidence."""

from __future__ import annotations

import re
from dataclasses import replace
from datetime import UTC, datetime
from decimal import Decimal
from pathlib import Path

import pytest
from sqlalchemy import func, select

from adwarden import settings
from adwarden.audit.models import AuditEvent
from adwarden.domain.enums import (
    CampaignStatus,
    DecisionStatus,
    ListFormat,
    ListKind,
    Outcome,
    PromotedPostStatus,
    Role,
    SubjectLevel,
    TaskStatus,
)
from adwarden.domain.errors import ConflictError, ForbiddenError, InvalidInputError
from adwarden.enforcement.consistency import consistency
from adwarden.enforcement.models import Decision, Notice, ReviewTask
from adwarden.enforcement.notices import IncompleteNoticeError, draft_notice, send_notice
from adwarden.enforcement.services import decide, judge, lift, published
from adwarden.enforcement.statement import statement_of_reasons
from adwarden.policy.loader import load_policy, policy_from_text
from adwarden.policy.services import publish_policy
from adwarden.policy.whatif import what_if
from adwarden.registry.inputs import AccountIn, OrganicPostIn
from adwarden.registry.models import Account, OrganicPost
from adwarden.registry.services import add_organic_post, create_account
from adwarden.screening.models import ScreeningHit
from adwarden.screening.services import HitReview, import_and_screen, review_hit
from adwarden.serving.inputs import CampaignIn, CampaignPatch, PromotedPostIn, PromotedPostPatch
from adwarden.serving.models import Campaign, PromotedPost
from adwarden.serving.services import (
    create_campaign,
    create_promoted_post,
    update_campaign,
    update_promoted_post,
)
from adwarden.store.engine import Database
from support import SYSTEM, Tenant, listed, make_tenant, off_board, staff_actor

POLICY = Path(__file__).resolve().parents[2] / "policies" / "ads-policy.yaml"
SUMMARY = (
    "DHS Binding Operational Directive 17-01 names this vendor's products; the screening hit "
    "on the directive list was confirmed by a reviewer."
)


def publish(db: Database) -> None:
    with db.transaction() as session:
        publish_policy(
            session, staff_actor(db, Role.policy_admin), load_policy(POLICY), "First version."
        )


def second_campaign_and_account(db: Database, tenant: Tenant) -> tuple[int, int]:
    with db.transaction() as session:
        account = create_account(
            session,
            SYSTEM,
            AccountIn(
                handle=f"second_{tenant.advertiser_id}",
                display_name="Second",
                advertiser_id=tenant.advertiser_id,
            ),
        )
        campaign = create_campaign(
            session,
            SYSTEM,
            tenant.advertiser_id,
            CampaignIn(
                name="Autumn",
                daily_budget=Decimal("5.00"),
                lifetime_budget=Decimal("50.00"),
                bid_cpm=Decimal("1.00"),
                status=CampaignStatus.active,
            ),
        )
        add_organic_post(
            session,
            SYSTEM,
            account.id,
            OrganicPostIn(text="Organic hello", posted_at=datetime(2018, 1, 2, tzinfo=UTC)),
        )
        return account.id, campaign.id


def test_off_boarding_stops_ads_leaves_organic_posts_and_lifting_restores(
    db: Database, tmp_path: Path
) -> None:
    publish(db)
    tenant = make_tenant(db, "Vendor")
    account_2, campaign_2 = second_campaign_and_account(db, tenant)
    listed(db, tmp_path, "Vendor Ltd", ListKind.directive)

    # 3.1 may not be applied without a human: confirming the hit opened a review task as it
    # committed, nothing more
    with db.sessions() as session:
        [task] = session.scalars(
            select(ReviewTask).where(ReviewTask.advertiser_id == tenant.advertiser_id)
        ).all()
        assert (task.clause_id, task.status) == ("3.1", TaskStatus.open)
        task_id = task.id
    with db.sessions() as session:
        assert session.scalars(select(Decision)).all() == []
        assert session.get(Account, tenant.account_id).ads_eligible  # type: ignore[union-attr]

    reviewer = staff_actor(db)
    with db.transaction() as session:
        decision = decide(
            session,
            reviewer,
            SubjectLevel.advertiser,
            tenant.advertiser_id,
            "3.1",
            SUMMARY,
            task_id=task_id,
        )
        decision_id = decision.id
    with db.sessions() as session:
        decision = session.get(Decision, decision_id)
        assert decision is not None
        assert (decision.outcome, decision.clause_id, decision.status) == (
            Outcome.off_board,
            "3.1",
            DecisionStatus.active,
        )
        assert decision.decided_by == reviewer.user_id
        assert (decision.automated_detection, decision.automated_decision) == (True, False)
        assert decision.evidence[0]["entry_id"] == "directive-1"
        assert decision.facts["hits"]["directive"] == ["directive-1"]
        # 1. every account it owns is ineligible to promote
        accounts = session.scalars(
            select(Account).where(Account.advertiser_id == tenant.advertiser_id)
        ).all()
        assert {a.id for a in accounts} == {tenant.account_id, account_2}
        assert not any(a.ads_eligible for a in accounts)
        # 2. all its campaigns pause
        campaigns = session.scalars(
            select(Campaign).where(Campaign.advertiser_id == tenant.advertiser_id)
        ).all()
        assert {c.id for c in campaigns} == {tenant.campaign_id, campaign_2}
        assert all(c.held for c in campaigns)
        assert session.get(Campaign, campaign_2).status is CampaignStatus.paused  # type: ignore[union-attr]
        assert session.get(ReviewTask, task_id).status is TaskStatus.decided  # type: ignore[union-attr]
    with pytest.raises(ConflictError, match="may not promote"), db.transaction() as session:
        create_promoted_post(
            session, SYSTEM, tenant.campaign_id, PromotedPostIn(account_id=account_2, text="Again")
        )
    with (
        pytest.raises(ConflictError, match="paused by an enforcement decision"),
        db.transaction() as s,
    ):
        update_campaign(s, SYSTEM, campaign_2, CampaignPatch(status=CampaignStatus.active))
    # 3. organic posting stays untouched
    with db.transaction() as session:
        add_organic_post(
            session,
            SYSTEM,
            tenant.account_id,
            OrganicPostIn(text="Still posting", posted_at=datetime(2018, 2, 1, tzinfo=UTC)),
        )
    with db.sessions() as session:
        organic = session.scalars(select(OrganicPost.text).order_by(OrganicPost.id)).all()
        assert organic == ["Organic hello", "Still posting"]

    with db.transaction() as session:
        lift(session, reviewer, decision_id, "The directive no longer applies to the advertiser.")
    with db.sessions() as session:
        decision = session.get(Decision, decision_id)
        assert decision is not None
        assert decision.status is DecisionStatus.superseded
        assert all(
            a.ads_eligible
            for a in session.scalars(
                select(Account).where(Account.advertiser_id == tenant.advertiser_id)
            )
        )
        restored = {c.id: (c.status, c.held) for c in session.scalars(select(Campaign))}
        assert restored[campaign_2] == (CampaignStatus.active, False)
        assert restored[tenant.campaign_id] == (CampaignStatus.draft, False)
    with pytest.raises(ConflictError, match="already superseded"), db.transaction() as session:
        lift(session, reviewer, decision_id, "twice")


def test_a_manual_decision_needs_a_clause_that_applies_and_a_summary(
    db: Database, tmp_path: Path
) -> None:
    publish(db)
    tenant = make_tenant(db, "Plain")
    reviewer = staff_actor(db)
    level = SubjectLevel.advertiser
    with pytest.raises(InvalidInputError, match="at least 40 characters"), db.transaction() as s:
        decide(s, reviewer, level, tenant.advertiser_id, "3.1", "Bad company.")
    with pytest.raises(ConflictError, match="does not apply to Plain Ltd"), db.transaction() as s:
        decide(s, reviewer, level, tenant.advertiser_id, "3.1", SUMMARY)
    with pytest.raises(InvalidInputError, match="applies to posts"), db.transaction() as s:
        decide(s, reviewer, level, tenant.advertiser_id, "5.1", SUMMARY)
    with pytest.raises(ForbiddenError), db.transaction() as s:
        decide(s, SYSTEM, level, tenant.advertiser_id, "3.1", SUMMARY)
    with db.sessions() as session:
        assert session.scalars(select(Decision)).all() == []


def test_an_automatic_clause_decides_at_once_with_a_specific_summary(
    db: Database, tmp_path: Path
) -> None:
    publish(db)
    tenant = make_tenant(db, "Broadcaster")
    listed(db, tmp_path, "Broadcaster Ltd", ListKind.state_media)
    # confirming the hit decided it as it committed
    with db.sessions() as session:
        [decision] = session.scalars(select(Decision)).all()
        assert (decision.clause_id, decision.decided_by) == ("3.2", None)
        assert decision.automated_decision
        assert "test-state_media entry state_media-1" in decision.facts_summary
        assert "Broadcaster Ltd" in decision.facts_summary
    # applying the policy again changes nothing: the subject is already decided
    with db.transaction() as session:
        again = judge(session, SYSTEM, SubjectLevel.advertiser, tenant.advertiser_id)
        assert again.acted == []


def test_a_crypto_post_is_rejected_and_nothing_else_is(db: Database) -> None:
    publish(db)
    tenant = make_tenant(db, "Coin")
    with db.transaction() as session:
        offer = create_promoted_post(
            session,
            SYSTEM,
            tenant.campaign_id,
            PromotedPostIn(
                account_id=tenant.account_id, text="The token sale is live: buy EXC tokens!"
            ),
        )
        offer_id = offer.id
    # judged as it committed
    with db.sessions() as session:
        [decision] = session.scalars(select(Decision)).all()
        assert (decision.level, decision.subject_id) == (SubjectLevel.post, offer_id)
        assert decision.outcome is Outcome.reject_post
        spans = [e["matched"] for e in decision.evidence]
        assert spans == ["token sale", "buy EXC tokens"]
    with db.sessions() as session:
        assert session.get(PromotedPost, offer_id).status is PromotedPostStatus.rejected  # type: ignore[union-attr]
        other = session.get(PromotedPost, tenant.promoted_post_id)
        assert other is not None
        assert other.status is PromotedPostStatus.active
        assert session.get(Account, tenant.account_id).ads_eligible  # type: ignore[union-attr]
    with db.transaction() as session:
        nothing = judge(session, SYSTEM, SubjectLevel.post, tenant.promoted_post_id)
        assert nothing.acted == []
    with (
        pytest.raises(ConflictError, match="rejected by an enforcement decision"),
        db.transaction() as s,
    ):
        update_promoted_post(
            s, SYSTEM, offer_id, PromotedPostPatch(status=PromotedPostStatus.active)
        )


def test_nothing_is_decided_without_a_published_policy(db: Database) -> None:
    tenant = make_tenant(db, "Early", publish=False)
    reviewer = staff_actor(db)
    with db.transaction() as s:
        nothing = judge(s, SYSTEM, SubjectLevel.advertiser, tenant.advertiser_id)
        assert (nothing.verdict, nothing.acted) == (None, [])
    with pytest.raises(ConflictError, match="no policy is published"), db.transaction() as s:
        decide(s, reviewer, SubjectLevel.advertiser, tenant.advertiser_id, "3.1", SUMMARY)
    # and the post waits to be judged
    with db.sessions() as session:
        post = session.get(PromotedPost, tenant.promoted_post_id)
        assert post is not None
        assert post.status is PromotedPostStatus.pending


def test_every_decision_sends_a_specific_complete_notice(db: Database, tmp_path: Path) -> None:
    publish(db)
    (tmp_path / "a").mkdir()
    (tmp_path / "b").mkdir()
    first, first_id = off_board(db, tmp_path / "a", "Alpha")
    _, second_id = off_board(db, tmp_path / "b", "Beta")
    with db.sessions() as session:
        notices = {n.decision_id: n for n in session.scalars(select(Notice))}
        assert set(notices) == {first_id, second_id}
        notice = notices[first_id]
        assert notice.advertiser_id == first.advertiser_id
        body = notice.body_text
        assert "Clause 3.1 Products barred by a national government security directive" in body
        assert "A government may order its own agencies" in body  # the clause's public text
        assert "Alpha Ltd makes the products" in body  # this subject's facts
        assert "test-directive entry directive-1 “Alpha Ltd” matched the name “Alpha Ltd”" in body
        assert "promoting posts from @alpha_" in body
        assert "campaign “Alpha spring” paused" in body
        assert "organic posts stay up" in body
        assert "a reviewer looks at it again by" in body
        assert "Appeal free of charge" in body
        public = f"{settings.public_url()}/decisions/{notice.decision_id}"
        assert f"The statement of reasons is public at {public}" in body
        assert "<h2>The evidence</h2>" in notice.body_html
        # the same clause, another advertiser: other facts, other evidence
        other = notices[second_id].body_text
        assert "Beta Ltd makes the products" in other
        assert "Alpha" not in other


def test_a_notice_missing_a_part_cannot_be_sent(db: Database, tmp_path: Path) -> None:
    publish(db)
    _, decision_id = off_board(db, tmp_path, "Gamma")
    reviewer = staff_actor(db)
    policy = load_policy(POLICY)
    clause = policy.clause("3.1").clause
    with db.transaction() as session:
        decision = session.get(Decision, decision_id)
        assert decision is not None
        draft = draft_notice(session, decision, clause)
        assert draft.missing() == []
        for part, empty in (("evidence", ()), ("facts", ""), ("appeal", ""), ("stops", ())):
            broken = replace(draft, **{part: empty})
            with pytest.raises(IncompleteNoticeError, match="cannot be sent: it lacks"):
                send_notice(session, reviewer, decision, clause, broken)


def test_the_statement_of_reasons_has_the_dsa_fields(db: Database, tmp_path: Path) -> None:
    publish(db)
    _, decision_id = off_board(db, tmp_path, "Delta")
    clause = load_policy(POLICY).clause("3.1").clause
    with db.sessions() as session:
        decision = session.get(Decision, decision_id)
        assert decision is not None
        statement = statement_of_reasons(
            decision, clause, content_date=decision.starts_at, clause_url="https://x.example/p#3.1"
        )
    assert statement["decision_provision"] == "DECISION_PROVISION_PARTIAL_SUSPENSION"
    assert statement["decision_account"] is None
    assert statement["decision_ground"] == "DECISION_GROUND_INCOMPATIBLE_CONTENT"
    assert statement["incompatible_content_ground"].startswith("clause 3.1: Products barred")
    assert statement["category"] == "STATEMENT_CATEGORY_RISK_FOR_PUBLIC_SECURITY"
    assert statement["automated_decision"] == "AUTOMATED_DECISION_NOT_AUTOMATED"
    # screening found the listed vendor and the policy opened the task the reviewer answered
    assert statement["automated_detection"] == "Yes"
    assert "DE" in statement["territorial_scope"]
    assert len(statement["territorial_scope"]) == 30
    assert statement["decision_facts"].startswith("Delta Ltd makes the products")
    assert statement["puid"] == f"adwarden-decision-{decision_id}"
    assert statement["redress"]["answer_within_days"] == 7
    assert statement["redress"]["by"] > statement["application_date"]


def test_what_if_reports_changed_outcomes_and_writes_nothing(db: Database, tmp_path: Path) -> None:
    publish(db)
    make_tenant(db, "Outlet")
    listed(db, tmp_path, "Outlet Ltd", ListKind.state_media)
    proposed_text = POLICY.read_text(encoding="utf-8").replace(
        "    condition: state_controlled || size(hits.state_media) > 0\n    outcome: off_board",
        "    condition: state_controlled || size(hits.state_media) > 0\n    outcome: label",
    )
    assert proposed_text != POLICY.read_text(encoding="utf-8")
    with db.sessions() as session:
        audit_rows = session.scalar(select(func.count()).select_from(AuditEvent))
        _, current = published(session)
        changes = what_if(session, current, policy_from_text(proposed_text, "proposal"))
    assert [(c.subject, c.before, c.after, c.clause) for c in changes] == [
        ("Outlet Ltd", "off_board under 3.2", "label under 3.2", "3.2")
    ]
    assert "state_media" in changes[0].why
    with db.sessions() as session:
        assert session.scalar(select(func.count()).select_from(AuditEvent)) == audit_rows


def test_the_consistency_audit_finds_like_cases_treated_differently(
    db: Database, tmp_path: Path
) -> None:
    publish(db)
    first = make_tenant(db, "Northvendor")
    second = make_tenant(db, "Southvendor")
    path = tmp_path / "directive.csv"
    path.write_text("id,name\nd-1,Northvendor Ltd\nd-2,Southvendor Ltd\n", encoding="utf-8")
    with db.transaction() as session:
        import_and_screen(session, SYSTEM, path, ListFormat.csv, "directive", ListKind.directive)
    reviewer = staff_actor(db)
    with db.transaction() as session:
        for hit in session.scalars(
            select(ScreeningHit).where(ScreeningHit.subject_type == "advertiser")
        ):
            review_hit(session, reviewer, hit.id, HitReview.confirm, "the named vendor")
    with db.transaction() as session:
        # alike so far: both are named, neither is decided
        assert consistency(session, published(session)[1]) == []
    with db.transaction() as session:
        decide(session, reviewer, SubjectLevel.advertiser, first.advertiser_id, "3.1", SUMMARY)
    with db.sessions() as session:
        [group] = consistency(session, published(session)[1])
    assert (group.clause_id, group.trigger) == ("3.1", "directive")
    standings = {member.subject: member.standing for member in group.members}
    assert standings["Northvendor Ltd"].startswith("off_board under 3.1")
    # confirming its hit opened a task for clause 3.1, which no one has decided yet
    assert re.fullmatch(r"review task \d+ open", standings["Southvendor Ltd"])
    assert second.advertiser_id in {member.subject_id for member in group.members}
