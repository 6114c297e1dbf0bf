"""The 2018 demo, built on both engines, produces exactly the outcomes the case calls for."""

from __future__ import annotations

import json
from pathlib import Path

from sqlalchemy import func, select
from test_cli import run

from adwarden.domain.enums import DecisionStatus, ListKind, Outcome, TaskStatus
from adwarden.enforcement.models import Decision, Notice, ReviewTask
from adwarden.lists.models import WatchList
from adwarden.registry.models import Account, OrganicPost
from adwarden.scenario.loader import build_scenario, read_scenario
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
        tasks = session.scalars(select(ReviewTask).order_by(ReviewTask.id)).all()
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
        notices = {n.decision_id: n for n in session.scalars(select(Notice))}
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
