"""The 2018 demo, built on both engines, produces exactly the outcomes the case calls for."""

from __future__ import annotations

import dataclasses
import json
from pathlib import Path

import pytest
from sqlalchemy import func, select
from test_cli import run

from adwarden.appeals.models import Appeal
from adwarden.auth.models import User
from adwarden.domain.enums import (
    AppealOutcome,
    AppealStatus,
    DecisionStatus,
    ListKind,
    NoticeKind,
    Outcome,
    TaskStatus,
)
from adwarden.enforcement.models import Decision, Notice, ReviewTask
from adwarden.lists.models import WatchList
from adwarden.registry.models import Account, OrganicPost
from adwarden.scenario.loader import Scenario, ScenarioError, build_scenario, read_scenario
from adwarden.scenario.schema import ScenarioAppeal
from adwarden.screening.models import ScreeningHit
from adwarden.store.engine import Database
from support import DEFAULT_POLICY, api_client

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
        tasks = session.scalars(select(ReviewTask).order_by(ReviewTask.clause_id)).all()
        assert [(t.subject_label, t.clause_id, t.status) for t in tasks] == [
            ("Kaspersky Lab", "3.1", TaskStatus.decided),
            ("Kaspersky Lab", "6.1", TaskStatus.open),
        ]
        # everyone was screened against the published OFAC SDN list, read in place
        sdn = session.scalars(select(WatchList).where(WatchList.slug == "ofac-sdn")).one()
        assert (sdn.kind, [v.entry_count for v in sdn.versions]) == (ListKind.sanctions, [7379])
        # no one in the scenario is on it, and no one is flagged as if they were
        assert not session.scalars(select(ScreeningHit).where(ScreeningHit.list_id == sdn.id)).all()
        # the directive entry cites where the directive is published
        directive = next(e for e in kaspersky.evidence if e["entry_id"] == "bod-17-01")
        assert directive["source_url"].startswith("https://www.cisa.gov/")
        # every decision has its notice, and each answers the case file's questions for
        # its own subject: the clause, the facts, the evidence, what stops and what goes on
        notices = {
            n.decision_id: n
            for n in session.scalars(select(Notice).where(Notice.kind == NoticeKind.decision))
        }
        assert set(notices) == {d.id for d in decisions}
        letter = notices[kaspersky.id].body_text
        for answer in (
            "Clause 3.1 Products barred by a national government security directive",
            "Binding Operational Directive 17-01",  # the facts
            "listed 2017-09-13",  # the directive as evidence, with its date and source
            "source: https://www.cisa.gov/news-events/directives/bod-17-01",
            "@kaspersky, @e_kaspersky",  # what stops
            "organic posts stay up",  # what goes on
            "decided by reviewer@adwarden.example",
            "/self-check",  # what others must do to avoid the same
        ):
            assert answer in letter, answer
        rt, sputnik = (notices[d.id].body_text for d in decisions if d.clause_id == "3.2")
        assert "entry sm-rt “RT”" in rt
        assert "sm-sputnik" not in rt
        assert "entry sm-sputnik “Sputnik”" in sputnik
        assert "sm-rt" not in sputnik
        for post in rejected:  # each rejected post's notice quotes what matched in it
            quoted = notices[post.id].body_text
            for item in post.evidence:
                assert f"{item['rule']} '{item['matched']}' at characters" in quoted
                assert "of the post, for crypto_offering: “" in quoted
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


def test_decisions_from_the_shell(tmp_path: Path) -> None:
    url = f"sqlite:///{tmp_path / 'demo.db'}"
    built = run("--db", url, "demo", "--no-serve")
    assert built.returncode == 0, built.stderr
    listed = run("--db", url, "decisions", "list", "--json")
    assert listed.returncode == 0, listed.stderr
    decisions = json.loads(listed.stdout)["decisions"]
    kaspersky = next(d for d in decisions if d["clause"] == "3.1")
    assert kaspersky["advertiser"]["names"][:2] == ["Kaspersky Lab", "AO Kaspersky Lab"]
    assert (kaspersky["outcome"], kaspersky["status"]) == ("off_board", "active")
    shown = run("--db", url, "decisions", "show", str(kaspersky["id"]), "--json")
    assert shown.returncode == 0, shown.stderr
    detail = json.loads(shown.stdout)
    assert (
        detail["statement_of_reasons"]["decision_ground"] == "DECISION_GROUND_INCOMPATIBLE_CONTENT"
    )
    assert "Clause 3.1" in detail["notice"]
    assert detail["evidence"][0]["list"] == "dhs-bod-17-01"
    text = run("--db", url, "decisions", "show", str(kaspersky["id"]))
    assert "How to appeal" in text.stdout
    assert run("--db", url, "decisions", "show", "999").returncode == 2


def test_what_if_and_the_consistency_audit_on_the_demo(tmp_path: Path) -> None:
    url = f"sqlite:///{tmp_path / 'demo.db'}"
    assert run("--db", url, "demo", "--no-serve").returncode == 0
    proposed = tmp_path / "proposed.yaml"
    proposed.write_text(
        DEFAULT_POLICY.read_text(encoding="utf-8").replace(
            "    condition: state_controlled || size(hits.state_media) > 0\n    outcome: off_board",
            "    condition: state_controlled || size(hits.state_media) > 0\n    outcome: label",
        ),
        encoding="utf-8",
    )
    changed = run("--db", url, "policy", "whatif", str(proposed), "--json")
    assert changed.returncode == 0, changed.stderr
    found = {(c["subject"], c["before"], c["after"]) for c in json.loads(changed.stdout)["changes"]}
    assert found == {
        ("RT", "off_board under 3.2", "label under 3.2"),
        ("Sputnik", "off_board under 3.2", "label under 3.2"),
    }
    same = run("--db", url, "policy", "whatif", str(DEFAULT_POLICY))
    assert "no subject's outcome would change" in same.stdout
    audit = run("--db", url, "audit", "consistency")
    assert audit.returncode == 0, audit.stderr
    assert "consistent" in audit.stdout


def test_the_demo_serves_its_always_on_ads(db: Database) -> None:
    with db.transaction() as session:
        built = build_scenario(session, read_scenario(SCENARIO))
    with api_client(db) as client:
        answer = client.post(
            "/api/v1/serve",
            json={
                "placement": "feed",
                "count": 3,
                "user_key": "demo-visitor",
                "keywords": ["coffee", "photography", "security"],
                "country": "DE",
            },
        )
    assert answer.status_code == 200, answer.text
    served = [(d["advertiser_id"], d["price"]) for d in answer.json()["decisions"]]
    # second price: the photographer (3.00 CPM) pays the roaster's 2.20; the roaster the reserve
    assert served == [
        (built.advertisers["casey-sampleton"], "0.0022"),
        (built.advertisers["ammerwinkel-roasters"], "0.001"),
    ]


def test_the_kaspersky_lab_decision_has_its_appeal_answered_by_a_second_reviewer(
    db: Database,
) -> None:
    scenario = read_scenario(SCENARIO)
    assert scenario.enforcement is not None
    [planned] = scenario.enforcement.appeals
    with db.transaction() as session:
        build_scenario(session, scenario)
    with db.sessions() as session:
        kaspersky = session.scalars(select(Decision).where(Decision.clause_id == "3.1")).one()
        [appeal] = session.scalars(select(Appeal).where(Appeal.decision_id == kaspersky.id))
        # no other decision of the demo is appealed
        assert session.scalar(select(func.count()).select_from(Appeal)) == 1
        assert (appeal.status, appeal.outcome) == (AppealStatus.decided, AppealOutcome.upheld)
        assert kaspersky.status is DecisionStatus.active  # upheld: the decision stands

        def email(user_id: int | None) -> str:
            user = session.get(User, user_id)
            assert user is not None
            return user.email

        assert email(appeal.filed_by) == "kaspersky-lab@advertisers.adwarden.example"
        assert appeal.advertiser_id == kaspersky.advertiser_id
        # four eyes: answered by the second reviewer, who did not decide
        assert email(appeal.decided_by) == "reviewer2@adwarden.example"
        assert email(appeal.assigned_to) == "reviewer2@adwarden.example"
        assert email(kaspersky.decided_by) == "reviewer@adwarden.example"
        assert appeal.decided_by != kaspersky.decided_by
        # the arguments as filed, each answered in order by its own point
        assert appeal.arguments == list(planned.arguments)
        assert planned.answer is not None
        assert appeal.points is not None
        assert [p["argument"] for p in appeal.points] == appeal.arguments
        assert [p["addressed"] for p in appeal.points] == list(planned.answer.points)
        assert len({p["addressed"] for p in appeal.points}) == len(appeal.arguments)
        # the arguments are the case file's: the rule, the explanation, what others must
        # do, the WannaCry post, the scrutiny list, and a mistake to admit
        for argument, words in zip(
            appeal.arguments,
            ("specific rule", "Explain", "other companies", "WannaCry", "scrutiny", "mistake"),
            strict=True,
        ):
            assert words in argument
        # and each point answers its own argument
        for point, needed in zip(
            (p["addressed"] for p in appeal.points),
            (
                ("clause 3.1", "/policy/v1#clause-3.1"),  # the rule, and where it is published
                ("BOD 17-01", "2017-09-13"),  # what the decision rests on
                ("/self-check", "180 days"),  # what any advertiser can do
                ("WannaCry", "organic accounts"),  # the ads were not at issue
                ("clause 6.1", "not a sanctions list"),  # the scrutiny list
                ("upheld", "withdrawn"),  # no mistake found, and when it ends
            ),
            strict=True,
        ):
            for words in needed:
                assert words in point, (words, point)
        # the answer itself names the clause and the directive, not the notice again
        answer = appeal.answer or ""
        for needed in (
            "clause 3.1",
            "/policy/v1#clause-3.1",
            "Binding Operational Directive 17-01",
            "2017-09-13",
            "/self-check",
        ):
            assert needed in answer, needed
        # every step told the advertiser, and the decided message carries the answer
        sent = session.scalars(
            select(Notice).where(Notice.appeal_id == appeal.id).order_by(Notice.id)
        ).all()
        assert [n.kind for n in sent] == [
            NoticeKind.appeal_filed,
            NoticeKind.appeal_assigned,
            NoticeKind.appeal_decided,
        ]
        assert "Binding Operational Directive 17-01" in sent[-1].body_text


def _with_appeal(**changes: object) -> Scenario:
    """The 2018 scenario with its one appeal changed (no validation: as a caller might)."""
    scenario = read_scenario(SCENARIO)
    assert scenario.enforcement is not None
    [appeal] = scenario.enforcement.appeals
    assert appeal.answer is not None
    answer = appeal.answer.model_copy(update=changes)
    changed: ScenarioAppeal = appeal.model_copy(update={"answer": answer})
    return dataclasses.replace(
        scenario, enforcement=scenario.enforcement.model_copy(update={"appeals": [changed]})
    )


def test_a_boilerplate_answer_in_the_scenario_is_refused_by_name(db: Database) -> None:
    scenario = read_scenario(SCENARIO)
    assert scenario.enforcement is not None
    facts = scenario.enforcement.decisions[0].facts_summary
    with (
        pytest.raises(
            ScenarioError,
            match=r"enforcement\.yaml: at appeals\.0 \(kaspersky-lab, clause 3\.1\): "
            r"the answer repeats the notice for decision \d+",
        ),
        db.transaction() as session,
    ):
        build_scenario(session, _with_appeal(answer=facts))
    with db.sessions() as session:  # nothing of the build was kept
        assert session.scalar(select(func.count()).select_from(Decision)) == 0
        assert session.scalar(select(func.count()).select_from(Appeal)) == 0


def test_an_appeal_of_a_decision_never_made_is_named(db: Database) -> None:
    scenario = read_scenario(SCENARIO)
    assert scenario.enforcement is not None
    undecided = dataclasses.replace(
        scenario, enforcement=scenario.enforcement.model_copy(update={"decisions": []})
    )
    with (
        pytest.raises(
            ScenarioError,
            match=r"enforcement\.yaml: at appeals\.0 \(kaspersky-lab, clause 3\.1\): "
            r"kaspersky-lab has no decision in force under clause 3\.1",
        ),
        db.transaction() as session,
    ):
        build_scenario(session, undecided)
    with db.sessions() as session:
        assert session.scalar(select(func.count()).select_from(Decision)) == 0
