"""The 2018 demo, built on both engines, produces exactly the outcomes the case calls for."""

from __future__ import annotations

from sqlalchemy import func, select

from adwarden.domain.enums import DecisionStatus, Outcome, TaskStatus
from adwarden.enforcement.models import Decision, Notice, ReviewTask
from adwarden.registry.models import Account, OrganicPost
from adwarden.scenario.loader import build_scenario, read_scenario
from adwarden.store.engine import Database
from support import DEFAULT_POLICY

SCENARIO = DEFAULT_POLICY.parents[1] / "scenarios" / "2018"


def test_the_demo_decides_what_the_case_calls_for(db: Database) -> None:
    with db.transaction() as session:
        built = build_scenario(session, read_scenario(SCENARIO))
    with db.sessions() as session:
        decisions = session.scalars(select(Decision).order_by(Decision.id)).all()
        by_subject = {(d.subject_label, d.clause_id, d.outcome) for d in decisions}
        assert by_subject == {
            ("RT", "3.2", Outcome.off_board),
            ("Sputnik", "3.2", Outcome.off_board),
            ("Kaspersky Lab", "3.1", Outcome.off_board),
            *{
                (d.subject_label, "5.1", Outcome.reject_post)
                for d in decisions
                if d.outcome is Outcome.reject_post
            },
        }
        rejected = [d for d in decisions if d.outcome is Outcome.reject_post]
        assert len(rejected) == 3
        assert all("@examplecoin" in d.subject_label for d in rejected)
        assert all(d.status is DecisionStatus.active for d in decisions)

        kaspersky = next(d for d in decisions if d.clause_id == "3.1")
        assert kaspersky.decided_by_label == "reviewer@adwarden.example"
        assert not kaspersky.automated_decision
        assert [e["entry_id"] for e in kaspersky.evidence] == ["bod-17-01"]
        assert "Binding Operational Directive 17-01" in kaspersky.facts_summary
        automatic = [d for d in decisions if d.clause_id in {"3.2", "5.1"}]
        assert all(d.automated_decision and d.decided_by is None for d in automatic)

        # the Kremlin-report hit opens a review task and restricts nothing
        tasks = session.scalars(select(ReviewTask).order_by(ReviewTask.id)).all()
        assert [(t.subject_label, t.clause_id, t.status) for t in tasks] == [
            ("Kaspersky Lab", "3.1", TaskStatus.decided),
            ("Kaspersky Lab", "6.1", TaskStatus.open),
        ]
        # every decision has its notice
        assert session.scalar(select(func.count()).select_from(Notice)) == len(decisions)
        # ads stop, organic posting stays: the accounts are still there with their posts
        kaspersky_accounts = session.scalars(
            select(Account).where(Account.advertiser_id == built.advertisers["kaspersky-lab"])
        ).all()
        assert kaspersky_accounts
        assert not any(a.ads_eligible for a in kaspersky_accounts)
        organic = session.scalar(
            select(func.count())
            .select_from(OrganicPost)
            .where(OrganicPost.account_id.in_([a.id for a in kaspersky_accounts]))
        )
        assert (organic or 0) > 0
