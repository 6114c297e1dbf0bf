"""Appeals through the services, on SQLite and PostgreSQL: the window, one open appeal, four
eyes, answers that must address the appeal, reversal and modification, escalation, metrics."""

from __future__ import annotations

from datetime import datetime, timedelta
from pathlib import Path

import pytest
from sqlalchemy import select

from adwarden.appeals import attachments
from adwarden.appeals.history import decision_history
from adwarden.appeals.metrics import appeal_metrics
from adwarden.appeals.models import Appeal
from adwarden.appeals.services import (
    AppealAnswer,
    add_attachment,
    assign,
    attachment_bytes,
    decide_appeal,
    escalate_overdue,
    file_appeal,
)
from adwarden.auth.models import User
from adwarden.auth.services import actor_for
from adwarden.domain.actors import Actor, Source
from adwarden.domain.enums import (
    AppealOutcome,
    AppealStatus,
    CampaignStatus,
    DecisionStatus,
    ListKind,
    NoticeKind,
    Role,
)
from adwarden.domain.errors import ConflictError, ForbiddenError, InvalidInputError, NotFoundError
from adwarden.enforcement.models import Decision, Notice
from adwarden.enforcement.services import notice_of
from adwarden.registry.models import Account
from adwarden.screening.models import ScreeningHit
from adwarden.serving.models import Campaign
from adwarden.store.base import utcnow
from adwarden.store.engine import Database
from support import (
    Tenant,
    appeal_as,
    listed,
    make_tenant,
    off_board,
    publish_default_policy,
    staff_actor,
    user_actor,
)

ARGUMENTS = [
    "The directive governs software on US federal systems; it says nothing about advertising.",
    "Our 2017 ads broke no clause: the top post was about the WannaCry outbreak.",
]
REAL_ANSWER = (
    "You argue that the directive concerns federal systems and not advertising, and that the "
    "ads broke no clause. Clause 3.1 does not say the ads broke a rule: it lets us decline a "
    "vendor whose products a government barred from its systems for security reasons, and the "
    "directive entry was confirmed against your company name. That is why the decision stands."
)
POINTS = [
    "Agreed that the directive is about federal systems; clause 3.1 uses it as evidence only.",
    "Agreed that no ad broke a rule; the clause is about the vendor, not about the ads.",
]
DISTINCT_ANSWERS = [
    REAL_ANSWER,
    "We checked the directive's text again: it bars the products from federal networks and "
    "names no risk to people who see an advertisement. Your argument holds, and we reverse.",
    "Your second letter adds nothing the first did not say. The confirmed list entry still "
    "matches your legal name, and the clause was applied as written, so it stays in force.",
]
PNG = b"\x89PNG\r\n\x1a\n" + b"\x00" * 64


def off_boarded(db: Database, tmp_path: Path, label: str = "Vendor") -> tuple[Tenant, int]:
    publish_default_policy(db)
    return off_board(db, tmp_path, label)


def people_of(db: Database, decision_id: int) -> tuple[int, int]:
    """Who decided, and who confirmed the hit it rests on."""
    with db.sessions() as session:
        decision = session.get(Decision, decision_id)
        assert decision is not None
        assert decision.decided_by is not None
        hit = session.get(ScreeningHit, decision.evidence[0]["hit_id"])
        assert hit is not None
        assert hit.reviewed_by is not None
        return decision.decided_by, hit.reviewed_by


def actor_of(db: Database, user_id: int) -> Actor:
    with db.sessions() as session:
        user = session.get(User, user_id)
        assert user is not None
        return actor_for(user, Source.api)


def filed(
    db: Database,
    tenant: Tenant,
    decision_id: int,
    *,
    files: list[tuple[str, bytes]] | None = None,
    now: datetime | None = None,
) -> int:
    return appeal_as(db, tenant, decision_id, ARGUMENTS, files=files, now=now)


def test_filing_window_one_open_appeal_and_who_may_file(db: Database, tmp_path: Path) -> None:
    tenant, decision_id = off_boarded(db, tmp_path)
    other = make_tenant(db, "Other")
    advertiser = user_actor(db, tenant.user_email)
    with db.sessions() as session:
        decision = session.get(Decision, decision_id)
        assert decision is not None
        late = decision.starts_at + timedelta(days=184)
    with (
        pytest.raises(ConflictError, match=r"appeal window .* closed on .* \(183 days"),
        db.transaction() as session,
    ):
        file_appeal(session, advertiser, decision_id, ARGUMENTS, now=late)
    with pytest.raises(NotFoundError), db.transaction() as session:
        file_appeal(session, user_actor(db, other.user_email), decision_id, ARGUMENTS)
    with (
        pytest.raises(ForbiddenError, match="only a signed-in user of the advertiser"),
        db.transaction() as session,
    ):
        file_appeal(session, staff_actor(db), decision_id, ARGUMENTS)
    with (
        pytest.raises(InvalidInputError, match="at least one argument"),
        db.transaction() as session,
    ):
        file_appeal(session, advertiser, decision_id, ["  ", ""])
    with (
        pytest.raises(InvalidInputError, match="argument 2 is 3 characters") as short,
        db.transaction() as session,
    ):
        file_appeal(session, advertiser, decision_id, [ARGUMENTS[0], "no!"])
    assert short.value.field == "arguments.1"

    appeal_id = filed(db, tenant, decision_id)
    with (
        pytest.raises(ConflictError, match=rf"already has an open appeal \({appeal_id}"),
        db.transaction() as session,
    ):
        file_appeal(session, advertiser, decision_id, ARGUMENTS)
    with db.sessions() as session:
        appeal = session.get(Appeal, appeal_id)
        assert appeal is not None
        assert appeal.arguments == ARGUMENTS
        assert appeal.due_at - appeal.filed_at == timedelta(days=7)
        received = session.scalars(select(Notice).where(Notice.appeal_id == appeal_id)).one()
        assert received.kind is NoticeKind.appeal_filed
        assert "answers each of your 2 arguments by" in received.body_text
        assert ARGUMENTS[1] in received.body_text


def test_attachments_are_checked_kept_by_hash_and_verified(
    db: Database, tmp_path: Path, data_dir: Path
) -> None:
    tenant, decision_id = off_boarded(db, tmp_path)
    advertiser = user_actor(db, tenant.user_email)
    letter = b"%PDF-1.4\n% the company's letter\n"
    appeal_id = filed(db, tenant, decision_id, files=[("letter.pdf", letter)])
    with db.transaction() as session:
        shot = add_attachment(session, advertiser, appeal_id, "C:\\Users\\me\\shot.png", PNG)
        shot_id, shot_hash = shot.id, shot.sha256
    assert (data_dir / "attachments" / shot_hash[:2] / shot_hash).read_bytes() == PNG
    with db.sessions() as session:
        appeal = session.get(Appeal, appeal_id)
        assert appeal is not None
        assert [(a.filename, a.media_type) for a in appeal.attachments] == [
            ("letter.pdf", "application/pdf"),
            ("shot.png", "image/png"),
        ]
        assert attachment_bytes(session, staff_actor(db), shot_id)[1] == PNG
        with pytest.raises(NotFoundError):
            attachment_bytes(session, user_actor(db, make_tenant(db, "Nosy").user_email), shot_id)

    for name, data, problem in [
        ("tool.exe", b"MZ\x90\x00\x03\x00\x00\x00", "not a file type we accept"),
        ("shot.pdf", PNG, "holds a PNG image; name it with .png"),
        ("big.txt", b"a" * (attachments.MAX_BYTES + 1), "attachments are at most 5 MB"),
        ("empty.txt", b"", "empty.txt is empty"),
    ]:
        with pytest.raises(InvalidInputError, match=problem), db.transaction() as session:
            add_attachment(session, advertiser, appeal_id, name, data)

    path = data_dir / "attachments" / shot_hash[:2] / shot_hash
    path.write_bytes(PNG + b"tampered")
    with db.sessions() as session, pytest.raises(attachments.AttachmentAlteredError):
        attachment_bytes(session, staff_actor(db), shot_id)


def test_four_eyes_assignment(db: Database, tmp_path: Path) -> None:
    tenant, decision_id = off_boarded(db, tmp_path)
    decider, confirmer = people_of(db, decision_id)
    appeal_id = filed(db, tenant, decision_id)
    for user_id in (decider, confirmer):
        with (
            pytest.raises(ConflictError, match=r"took part in decision .* \(four eyes\)"),
            db.transaction() as session,
        ):
            assign(session, actor_of(db, user_id), appeal_id)
        with (
            pytest.raises(ForbiddenError, match="took part in decision"),
            db.transaction() as session,
        ):
            decide_appeal(
                session,
                actor_of(db, user_id),
                appeal_id,
                AppealAnswer(AppealOutcome.upheld, REAL_ANSWER, POINTS),
            )
    second = staff_actor(db)
    third = staff_actor(db)
    with (
        pytest.raises(ForbiddenError, match="only a policy admin assigns"),
        db.transaction() as session,
    ):
        assign(session, second, appeal_id, third.user_id)
    admin = staff_actor(db, Role.policy_admin)
    with pytest.raises(ConflictError, match="took part in decision"), db.transaction() as session:
        assign(session, admin, appeal_id, decider)
    with db.transaction() as session:
        assert assign(session, admin, appeal_id, second.user_id).assigned_to == second.user_id
    with (
        pytest.raises(ConflictError, match=r"is assigned to reviewer\d+@staff"),
        db.transaction() as session,
    ):
        decide_appeal(
            session, third, appeal_id, AppealAnswer(AppealOutcome.upheld, REAL_ANSWER, POINTS)
        )
    with db.sessions() as session:
        kinds = session.scalars(
            select(Notice.kind).where(Notice.appeal_id == appeal_id).order_by(Notice.id)
        ).all()
        assert kinds == [NoticeKind.appeal_filed, NoticeKind.appeal_assigned]


def test_the_answer_must_address_the_appeal_then_upholding_keeps_the_decision(
    db: Database, tmp_path: Path
) -> None:
    tenant, decision_id = off_boarded(db, tmp_path)
    appeal_id = filed(db, tenant, decision_id)
    reviewer = staff_actor(db)
    with db.sessions() as session:
        notice = notice_of(session, decision_id).body_text
        facts = session.get(Decision, decision_id).facts_summary  # type: ignore[union-attr]
    boilerplate = [
        ("", "write an answer"),
        (notice, f"repeats the notice for decision {decision_id}"),
        (
            f"Hello, thank you for your patience. {facts} The decision stands.",
            f"repeats the notice for decision {decision_id}",
        ),
    ]
    for text, problem in boilerplate:
        with pytest.raises(InvalidInputError, match=problem), db.transaction() as session:
            decide_appeal(
                session, reviewer, appeal_id, AppealAnswer(AppealOutcome.upheld, text, POINTS)
            )
    with (
        pytest.raises(InvalidInputError, match="answer each of the 2 arguments"),
        db.transaction() as session,
    ):
        decide_appeal(
            session,
            reviewer,
            appeal_id,
            AppealAnswer(AppealOutcome.upheld, REAL_ANSWER, POINTS[:1]),
        )
    with (
        pytest.raises(InvalidInputError, match="addresses argument 2") as blank,
        db.transaction() as session,
    ):
        decide_appeal(
            session,
            reviewer,
            appeal_id,
            AppealAnswer(AppealOutcome.upheld, REAL_ANSWER, [POINTS[0], " "]),
        )
    assert blank.value.field == "points.1"
    with db.transaction() as session:
        decide_appeal(
            session, reviewer, appeal_id, AppealAnswer(AppealOutcome.upheld, REAL_ANSWER, POINTS)
        )
    with db.sessions() as session:
        appeal = session.get(Appeal, appeal_id)
        assert appeal is not None
        assert (appeal.status, appeal.outcome) == (AppealStatus.decided, AppealOutcome.upheld)
        assert appeal.assigned_to == reviewer.user_id
        assert [p["addressed"] for p in appeal.points or []] == POINTS
        decision = session.get(Decision, decision_id)
        assert decision is not None
        assert decision.status is DecisionStatus.active
        answered = session.scalars(
            select(Notice).where(
                Notice.appeal_id == appeal_id, Notice.kind == NoticeKind.appeal_decided
            )
        ).one()
        assert REAL_ANSWER in answered.body_text
        assert f"“{ARGUMENTS[0]}”: {POINTS[0]}" in answered.body_text
        assert "You may appeal decision" in answered.body_text
        assert "Article 21" in answered.body_text
    # the next appeal may not be answered with the same words, by anyone
    second_id = filed(db, tenant, decision_id)
    with (
        pytest.raises(InvalidInputError, match=f"repeats the answer to appeal {appeal_id}"),
        db.transaction() as session,
    ):
        decide_appeal(
            session,
            staff_actor(db),
            second_id,
            AppealAnswer(AppealOutcome.upheld, REAL_ANSWER, POINTS),
        )
    # the reviewer who answered the first appeal took part; the second needs fresh eyes
    with pytest.raises(ConflictError, match="took part"), db.transaction() as session:
        assign(session, reviewer, second_id)


def test_reversal_lifts_the_restriction_at_once_and_says_why(db: Database, tmp_path: Path) -> None:
    tenant, decision_id = off_boarded(db, tmp_path)
    with db.sessions() as session:
        assert not session.get(Account, tenant.account_id).ads_eligible  # type: ignore[union-attr]
    appeal_id = filed(db, tenant, decision_id)
    reason = (
        "You are right that the directive governs federal systems only. Nothing in the record "
        "shows a risk to our users from your ads, so clause 3.1 was applied too broadly here."
    )
    with db.transaction() as session:
        decide_appeal(
            session,
            staff_actor(db),
            appeal_id,
            AppealAnswer(AppealOutcome.reversed, reason, POINTS),
        )
    with db.sessions() as session:
        decision = session.get(Decision, decision_id)
        assert decision is not None
        assert decision.status is DecisionStatus.reversed
        assert decision.status_reason == f"reversed on appeal {appeal_id}: {reason}"
        assert session.get(Account, tenant.account_id).ads_eligible  # type: ignore[union-attr]
        campaign = session.get(Campaign, tenant.campaign_id)
        assert campaign is not None
        assert not campaign.held
        assert campaign.status is CampaignStatus.draft
        steps = [step.what for step in decision_history(session, decision)]
        assert steps[0] == "Decided"
        assert "Reversed" in steps
        assert steps.count("Message sent") == 3  # the notice, appeal received, appeal answered
    with pytest.raises(ConflictError, match="only a decision in force can be appealed"):
        filed(db, tenant, decision_id)


def test_modification_issues_a_new_decision_under_its_own_clause(
    db: Database, tmp_path: Path
) -> None:
    tenant, decision_id = off_boarded(db, tmp_path)
    listed(db, tmp_path, "Vendor Ltd", ListKind.state_media)
    appeal_id = filed(db, tenant, decision_id)
    reviewer = staff_actor(db)
    with (
        pytest.raises(InvalidInputError, match="names the clause of the new decision"),
        db.transaction() as session,
    ):
        decide_appeal(
            session,
            reviewer,
            appeal_id,
            AppealAnswer(AppealOutcome.modified, REAL_ANSWER, POINTS),
        )
    answer = AppealAnswer(
        AppealOutcome.modified,
        "The directive alone is a weak ground and we drop it. A reviewer has since confirmed that "
        "the advertiser is on our state-media list, and clause 3.2 governs that case instead.",
        POINTS,
        clause_id="3.2",
        facts_summary="The advertiser is named on the state-media list; a reviewer confirmed it.",
    )
    with db.transaction() as session:
        new_id = decide_appeal(session, reviewer, appeal_id, answer).new_decision_id
    with db.sessions() as session:
        old = session.get(Decision, decision_id)
        new = session.get(Decision, new_id)  # type: ignore[arg-type]
        assert old is not None
        assert new is not None
        assert old.status is DecisionStatus.superseded
        assert old.superseded_by == new.id
        assert (new.clause_id, new.status) == ("3.2", DecisionStatus.active)
        assert new.facts_summary.startswith(f"On appeal {appeal_id} of decision {decision_id}:")
        assert notice_of(session, new.id).kind is NoticeKind.decision


def test_overdue_appeals_escalate_to_policy_admins(db: Database, tmp_path: Path) -> None:
    tenant, decision_id = off_boarded(db, tmp_path)
    appeal_id = filed(db, tenant, decision_id)
    slow = staff_actor(db)
    with db.transaction() as session:
        assign(session, slow, appeal_id)
        due = session.get(Appeal, appeal_id).due_at  # type: ignore[union-attr]
    with db.transaction() as session:
        assert escalate_overdue(session, slow, now=due - timedelta(minutes=1)) == []
    with db.transaction() as session:
        assert [a.id for a in escalate_overdue(session, slow, now=due + timedelta(minutes=1))] == [
            appeal_id
        ]
    with db.transaction() as session:  # once only
        assert escalate_overdue(session, slow, now=due + timedelta(hours=1)) == []
    with db.sessions() as session:
        overdue = session.scalars(
            select(Notice).where(Notice.kind == NoticeKind.appeal_overdue)
        ).one()
        assert "We are late" in overdue.body_text
        assert appeal_metrics(session, now=due + timedelta(hours=1))["overdue"] == 1
    admin = staff_actor(db, Role.policy_admin)
    with db.transaction() as session:
        appeal = decide_appeal(
            session, admin, appeal_id, AppealAnswer(AppealOutcome.upheld, REAL_ANSWER, POINTS)
        )
        assert appeal.decided_by == admin.user_id


def test_metrics_count_time_and_reversals_per_clause(db: Database, tmp_path: Path) -> None:
    publish_default_policy(db)
    start = utcnow()
    outcomes = [AppealOutcome.upheld, AppealOutcome.reversed, AppealOutcome.upheld]
    for number, outcome in enumerate(outcomes):
        (tmp_path / str(number)).mkdir()
        tenant, decision_id = off_board(db, tmp_path / str(number), f"Firm{number}")
        appeal_id = filed(db, tenant, decision_id, now=start)
        answer = AppealAnswer(outcome, DISTINCT_ANSWERS[number], POINTS)
        with db.transaction() as session:
            decide_appeal(
                session,
                staff_actor(db),
                appeal_id,
                answer,
                now=start + timedelta(hours=10 * (number + 1)),
            )
    (tmp_path / "open").mkdir()
    tenant, decision_id = off_board(db, tmp_path / "open", "Waiting")
    filed(db, tenant, decision_id, now=start)
    with db.sessions() as session:
        figures = appeal_metrics(session, now=start + timedelta(days=8))
    assert figures["filed"] == 4
    assert figures["decided"] == 3
    assert figures["overdue"] == 1
    assert figures["hours_to_decision_median"] == 20.0
    assert figures["hours_to_decision_p95"] == 29.0
    assert figures["by_clause"]["3.1"] == {
        "decided": 3,
        "upheld": 2,
        "reversed": 1,
        "modified": 0,
        "share_reversed": 0.3333,
    }
