"""The verifiable log: what is published goes in as it is written, proofs verify against the
signed tree heads, and a changed or deleted row is found, from inside and from outside:
decisions, policy versions, and appeals with their answers."""

from __future__ import annotations

import base64
import json
import os
import stat
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import httpx
import pytest
from sqlalchemy import Executable, delete, select, update
from test_cli import run

from adwarden.appeals.models import Appeal
from adwarden.domain.enums import AppealStatus, DecisionStatus
from adwarden.enforcement.models import Decision, Notice
from adwarden.enforcement.services import lift
from adwarden.policy.models import PolicyVersion
from adwarden.store.base import utcnow
from adwarden.store.engine import Database
from adwarden.transparency import keys
from adwarden.transparency.backfill import log_earlier_appeals
from adwarden.transparency.check import check_log
from adwarden.transparency.log import (
    Item,
    append,
    consistency_proof,
    head_at,
    inclusion_proof,
    latest_head,
    root_at,
    tree_head_message,
)
from adwarden.transparency.merkle import root_of, verify_consistency, verify_inclusion
from adwarden.transparency.models import LogEntry, LogHead, LogNode, TreeHead
from adwarden.transparency.verify import verify
from adwarden.web.app import create_app
from support import (
    UPHELD_ANSWER,
    api_client,
    appeal_as,
    live_server,
    make_decision,
    make_staff,
    make_tenant,
    off_board,
    publish_default_policy,
    sole_trader,
    staff_actor,
    upheld_appeal,
)


def problems(db: Database) -> list[str]:
    with db.sessions() as session:
        return [str(problem) for problem in check_log(session)]


def entries(db: Database) -> list[LogEntry]:
    with db.sessions() as session:
        return list(session.scalars(select(LogEntry).order_by(LogEntry.log_index)))


def three_decisions(db: Database) -> list[int]:
    return [make_decision(db, make_tenant(db, label)) for label in ("Alpha", "Beta", "Gamma")]


def test_every_published_record_is_logged_in_order_with_a_signed_head(db: Database) -> None:
    decision_ids = three_decisions(db)
    logged = entries(db)
    assert [(e.kind, e.subject_id) for e in logged] == [
        ("policy_version", 1),
        *(("statement", decision_id) for decision_id in decision_ids),
    ]
    statement = json.loads(logged[1].payload)
    assert statement["kind"] == "statement"
    assert statement["record"]["clause"] == "5.1"
    assert statement["record"]["decided_by"] == "automatic"  # never a staff member's name
    with db.sessions() as session:
        head = latest_head(session)
        assert head.tree_size == 4
        assert head.root_hash == root_of([e.leaf_hash for e in logged])
        message = tree_head_message(head.timestamp_ms, head.tree_size, head.root_hash)
        assert keys.public_key().verify(head.signature, message)
        assert not keys.public_key().verify(head.signature, message[:-1] + b"\x00")
        # every append signed its own head: one per size the log has had
        sizes = session.scalars(select(TreeHead.tree_size).order_by(TreeHead.tree_size)).all()
    assert sizes == [1, 2, 3, 4]
    assert problems(db) == []


def test_a_reversal_is_logged_with_its_reason(db: Database) -> None:
    [decision_id, *_] = three_decisions(db)
    reviewer = staff_actor(db)
    with db.transaction() as session:
        lift(session, reviewer, decision_id, "The post announced a raffle.", reversed_=True)
    last = entries(db)[-1]
    assert (last.kind, last.subject_id) == ("reversal", decision_id)
    assert json.loads(last.payload)["record"] == {
        "decision_id": decision_id,
        "status": "reversed",
        "reason": "The post announced a raffle.",
        "superseded_by": None,
    }
    assert problems(db) == []


def test_proofs_from_the_store_verify_against_every_signed_head(db: Database) -> None:
    three_decisions(db)
    three_decisions(db)
    logged = entries(db)
    with db.sessions() as session:
        heads = {size: head_at(session, size) for size in range(1, len(logged) + 1)}
        for size, head in heads.items():
            assert root_at(session, size) == head.root_hash
            for index in range(size):
                path = inclusion_proof(session, index, size)
                leaf = logged[index].leaf_hash
                assert verify_inclusion(leaf, index, size, path, head.root_hash)
            for first in range(1, size + 1):
                proof = consistency_proof(session, first, size)
                assert verify_consistency(
                    first, size, heads[first].root_hash, head.root_hash, proof
                )


Tamper = Callable[[int, int], Executable]  # (decision id, its statement's index) -> statement

TAMPERING: dict[str, tuple[Tamper, str]] = {
    "decision-changed": (
        lambda d, _: update(Decision).where(Decision.id == d).values(facts_summary="Else."),
        "differs from its statement in log entry",
    ),
    "status-changed": (
        lambda d, _: (
            update(Decision).where(Decision.id == d).values(status=DecisionStatus.reversed)
        ),
        "which the log does not record",
    ),
    "entry-data-changed": (
        lambda _, i: (
            update(LogEntry).where(LogEntry.log_index == i).values(payload='{"kind":"statement"}')
        ),
        "no longer hashes",
    ),
    "leaf-hash-changed": (
        lambda _, i: update(LogEntry).where(LogEntry.log_index == i).values(leaf_hash=b"\0" * 32),
        "no longer hashes",
    ),
    "subtree-changed": (
        lambda _, i: update(LogNode).values(hash=b"\0" * 32),
        "does not match its leaves",
    ),
    "entry-deleted": (
        lambda _, i: delete(LogEntry).where(LogEntry.log_index == i),
        "entries are missing",
    ),
    "old-tree-head-changed": (
        lambda _, i: update(TreeHead).where(TreeHead.tree_size == 2).values(timestamp_ms=1),
        "tree head of size 2: its signature does not verify",
    ),
    "policy-document-changed": (
        lambda _, i: update(PolicyVersion).values(document={"title": "x", "clauses": []}),
        "policy version 1",
    ),
    "tree-head-changed": (
        lambda _, i: update(TreeHead).where(TreeHead.tree_size == 4).values(root_hash=b"\1" * 32),
        "signs a root the entries no longer make",
    ),
}


@pytest.mark.parametrize("case", sorted(TAMPERING))
def test_a_changed_or_deleted_row_is_found(db: Database, case: str) -> None:
    tamper, expected = TAMPERING[case]
    decision_ids = three_decisions(db)
    target = decision_ids[1]
    statement = next(e.log_index for e in entries(db) if e.subject_id == target)
    assert problems(db) == []
    with db.engine.begin() as connection:
        connection.execute(tamper(target, statement))
    found = problems(db)
    assert any(expected in problem for problem in found), found


def test_a_deleted_decision_is_found(db: Database) -> None:
    decision_ids = three_decisions(db)
    with db.engine.begin() as connection:
        connection.execute(delete(Notice).where(Notice.decision_id == decision_ids[0]))
        connection.execute(delete(Decision).where(Decision.id == decision_ids[0]))
    found = problems(db)
    assert any(f"records decision {decision_ids[0]}, which is gone" in p for p in found), found


def test_verify_from_outside_then_catch_a_changed_row_and_a_rewritten_history(
    db: Database, tmp_path: Path
) -> None:
    first_id, second_id, _ = three_decisions(db)
    state = tmp_path / "heads.json"
    with api_client(db) as client:
        url = str(client.base_url)
        first = verify(client, url, state)
        assert first.problems == []
        assert any("signature verified" in line for line in first.lines)
        assert "records: 3 public decisions match their log entries" in first.lines
        assert json.loads(state.read_text())[url]["tree_size"] == 4

        three_decisions(db)
        second = verify(client, url, state)
        assert second.problems == []
        assert any(
            "extends the tree head saved earlier (4 entries)" in line for line in second.lines
        )

        with db.engine.begin() as connection:
            connection.execute(
                update(Decision)
                .where(Decision.id == second_id)
                .values(facts_summary="Quietly edited.")
            )
        changed = verify(client, url, state)
        assert changed.problems == [
            f"decision {second_id} differs from its statement in log entry 2"
        ]
        with db.engine.begin() as connection:
            connection.execute(
                update(Decision)
                .where(Decision.id == second_id)
                .values(facts_summary=json.loads(entries(db)[2].payload)["record"]["facts_summary"])
            )
        assert verify(client, url, state).problems == []
        with db.engine.begin() as connection:
            connection.execute(update(PolicyVersion).values(changelog="Rewritten afterwards."))
        assert verify(client, url, state).problems == ["policy version 1 differs from log entry 0"]
        with db.engine.begin() as connection:
            connection.execute(update(PolicyVersion).values(changelog="Test policy."))
        assert (
            "policy: the public versions match their log entries (1)"
            in verify(client, url, state).lines
        )

        # rewrite history: replace an early entry, rebuild the tree and re-sign every head
        _rewrite_first_statement(db, first_id)
        rewritten = verify(client, url, state)
        assert any("history was rewritten" in p for p in rewritten.problems), rewritten.problems


def _rewrite_first_statement(db: Database, decision_id: int) -> None:
    """What an operator holding the key could do: change entry 1 and recompute everything."""
    logged = entries(db)
    forged = [Item(e.kind, e.subject_id, e.payload.encode()) for e in logged]
    record = json.loads(forged[1].data)
    record["record"]["facts_summary"] = "A different story."
    forged[1] = Item(forged[1].kind, forged[1].subject_id, json.dumps(record).encode())
    with db.engine.begin() as connection:
        for table in (LogEntry, LogNode, TreeHead):
            connection.execute(delete(table))
        connection.execute(update(LogHead).values(size=0))
    with db.transaction() as session:
        append(session, forged, utcnow())
        session.execute(
            update(Decision)
            .where(Decision.id == decision_id)
            .values(facts_summary="A different story.")
        )


def test_what_is_published_while_verifying_waits_for_the_next_run(
    db: Database, tmp_path: Path
) -> None:
    """A decision made just after the verifier read the tree head is no false alarm."""
    three_decisions(db)
    made: list[int] = []

    def decide_meanwhile(response: httpx.Response) -> None:
        if response.request.url.path.endswith("/log/tree-head") and not made:
            made.append(make_decision(db, make_tenant(db, "Meanwhile")))

    with (
        live_server(create_app(db)) as base_url,
        httpx.Client(
            base_url=base_url, event_hooks={"response": [decide_meanwhile]}, timeout=60
        ) as client,
    ):
        report = verify(client, base_url, tmp_path / "heads.json")
        assert made
        assert report.problems == []
        again = verify(client, base_url, tmp_path / "heads.json")
        assert again.problems == []
        assert "records: 4 public decisions match their log entries" in again.lines


def test_a_different_key_is_refused(db: Database, tmp_path: Path) -> None:
    three_decisions(db)
    state = tmp_path / "heads.json"
    with api_client(db) as client:
        url = str(client.base_url)
        other = base64.b64encode(b"\1" * 32).decode()
        report = verify(client, url, state, pinned_key=other)
        assert report.problems == ["the log is signed by another key than --key"]
        assert not state.exists()


def test_the_log_api_answers_with_proofs_and_names_bad_requests(db: Database) -> None:
    three_decisions(db)
    with api_client(db) as client:
        head = client.get("/api/v1/public/log/tree-head")
        assert head.status_code == 200
        assert head.headers["cache-control"] == "public, max-age=5"
        size = head.json()["tree_size"]
        leaf = client.get("/api/v1/public/log/entries", params={"start": 2, "end": 3}).json()[0]
        by_hash = client.get(
            "/api/v1/public/log/proof/inclusion",
            params={"tree_size": size, "leaf_hash": leaf["leaf_hash"]},
        ).json()
        assert by_hash["index"] == 2
        path = [bytes.fromhex(p) for p in by_hash["audit_path"]]
        root = bytes.fromhex(head.json()["root_hash"])
        assert verify_inclusion(bytes.fromhex(leaf["leaf_hash"]), 2, size, path, root)
        too_big = client.get(
            "/api/v1/public/log/proof/inclusion", params={"tree_size": size + 1, "index": 0}
        )
        assert too_big.status_code == 422
        assert "tree_size must be between 1 and the log's size" in too_big.text
        both = client.get(
            "/api/v1/public/log/proof/inclusion",
            params={"tree_size": size, "index": 0, "leaf_hash": leaf["leaf_hash"]},
        )
        assert both.status_code == 422
        backwards = client.get(
            "/api/v1/public/log/proof/consistency", params={"first": size, "second": 1}
        )
        assert backwards.status_code == 422
        unknown = client.get(
            "/api/v1/public/log/proof/inclusion", params={"tree_size": size, "leaf_hash": "ab" * 32}
        )
        assert unknown.status_code == 404


def test_an_empty_log_has_no_tree_head_yet(db: Database) -> None:
    with api_client(db) as client:
        response = client.get("/api/v1/public/log/tree-head")
    assert response.status_code == 404
    assert "nothing has been logged yet" in response.text


def test_keys_init_makes_a_private_key_once(tmp_path: Path) -> None:
    path = tmp_path / "keys" / "log.pem"
    made = run("keys", "init", "--path", str(path))
    assert made.returncode == 0, made.stderr
    assert "key id" in made.stdout
    assert stat.S_IMODE(os.stat(path).st_mode) == 0o600
    assert path.read_text().startswith("-----BEGIN PRIVATE KEY-----")
    again = run("keys", "init", "--path", str(path))
    assert again.returncode == 2
    assert "already holds a log signing key" in again.stderr


def test_log_check_and_verify_on_the_command_line(
    db: Database, db_url: str, tmp_path: Path
) -> None:
    three_decisions(db)
    checked = run("--db", db_url, "log", "check")
    assert checked.returncode == 0, checked.stdout + checked.stderr
    assert "the log holds 4 entries and agrees with the database" in checked.stdout
    state = tmp_path / "state.json"
    with live_server(create_app(db)) as base_url:
        verified = run("log", "verify", base_url, "--state", str(state))
        assert verified.returncode == 0, verified.stdout + verified.stderr
        assert "ok  entries: 4 fetched" in verified.stdout
        with db.engine.begin() as connection:
            connection.execute(update(Decision).values(facts_summary="Edited afterwards."))
        failed = run("log", "verify", base_url, "--state", str(state))
        assert failed.returncode == 1
        assert "BAD decision 1 differs from its statement" in failed.stdout
    inside = run("--db", db_url, "log", "check")
    assert inside.returncode == 1
    assert "decision 1: differs from its statement in log entry 1" in inside.stdout
    nowhere = run("log", "verify", "http://127.0.0.1:9", "--state", str(state))
    assert nowhere.returncode == 2
    assert "cannot reach" in nowhere.stderr


def test_without_a_key_nothing_is_published(
    db: Database, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    publish_default_policy(db)
    monkeypatch.setenv("ADWARDEN_LOG_KEY", str(tmp_path / "missing.pem"))
    with pytest.raises(keys.LogKeyError, match="run `adwarden keys init`"):
        make_decision(db, make_tenant(db, "Keyless"))
    monkeypatch.undo()
    assert [e.kind for e in entries(db)] == ["policy_version"]


def test_concurrent_publications_make_one_contiguous_log(db: Database) -> None:
    """Decisions made at once from several connections: every index once, every head true."""
    publish_default_policy(db)
    tenants = [make_tenant(db, f"Busy{n}") for n in range(4)]
    with ThreadPoolExecutor(max_workers=4) as pool:
        made = list(pool.map(lambda t: [make_decision(db, t) for _ in range(3)], tenants))
    logged = entries(db)
    assert [e.log_index for e in logged] == list(range(13))
    assert sorted(e.subject_id for e in logged if e.kind == "statement") == sorted(
        decision for batch in made for decision in batch
    )
    with db.sessions() as session:
        sizes = session.scalars(select(TreeHead.tree_size).order_by(TreeHead.tree_size)).all()
    assert sizes == list(range(1, 14))
    assert problems(db) == []


# --- appeals ---------------------------------------------------------------------------------

ARGUMENT = "The post announced a charity raffle, not a token sale."
POINT = "The post offered tokens for money, which clause 5.1 covers whatever it was called."
APPEAL_KINDS = ("appeal", "appeal_answer")


def answered_appeal(db: Database) -> tuple[int, int]:
    """A decision appealed, and the appeal upheld by a second reviewer through the services:
    (decision, appeal)."""
    tenant = make_tenant(db, "Appellant")
    decision_id = make_decision(db, tenant)
    return decision_id, upheld_appeal(db, tenant, decision_id, ARGUMENT, POINT)


def appeal_entries(db: Database, appeal_id: int) -> tuple[int, int]:
    """The indexes of the appeal's filing and answer entries."""
    logged = {e.kind: e.log_index for e in entries(db) if e.subject_id == appeal_id}
    return logged["appeal"], logged["appeal_answer"]


def test_an_appeal_and_its_answer_are_logged_as_the_public_sees_them(db: Database) -> None:
    decision_id, appeal_id = answered_appeal(db)
    *_, filing, answer = entries(db)
    assert [(filing.kind, filing.subject_id), (answer.kind, answer.subject_id)] == [
        ("appeal", appeal_id),
        ("appeal_answer", appeal_id),
    ]
    with db.sessions() as session:
        appeal = session.get_one(Appeal, appeal_id)
        decided_by = appeal.decided_by_label
    assert decided_by
    assert decided_by not in answer.payload  # never a staff member's name
    filed = json.loads(filing.payload)["record"]
    assert (filed["appeal_id"], filed["decision_id"]) == (appeal_id, decision_id)
    assert set(filed) == {"appeal_id", "decision_id", "filed_at", "due_at"}
    record = json.loads(answer.payload)["record"]
    assert record == {
        "appeal_id": appeal_id,
        "decision_id": decision_id,
        "outcome": "upheld",
        "decided_at": record["decided_at"],
        "answer": UPHELD_ANSWER,
        "points": [{"argument": ARGUMENT, "answer": POINT}],
        "new_decision_id": None,
    }
    with api_client(db) as client:
        [shown] = client.get(f"/api/v1/public/decisions/{decision_id}").json()["appeals"]
        page = client.get(f"/decisions/{decision_id}").text
    assert shown["id"] == appeal_id
    assert shown["log"] == {"filing_index": filing.log_index, "answer_index": answer.log_index}
    assert {name: shown[name] for name in ("filed_at", "due_at")} == {
        "filed_at": filed["filed_at"],
        "due_at": filed["due_at"],
    }
    assert {name: shown[name] for name in record if name in shown} == {
        name: value for name, value in record.items() if name in shown
    }
    assert f"entry {answer.log_index}" in page
    assert problems(db) == []


def test_a_natural_persons_appeal_is_logged_without_their_name_or_arguments(
    db: Database,
) -> None:
    tenant = sole_trader(db, "Novak", "Jana Novak")
    decision_id = make_decision(db, tenant)
    upheld_appeal(
        db,
        tenant,
        decision_id,
        "Jana Novak sells garden tools and never sold a token.",
        "Jana Novak's post offered tokens for money, which clause 5.1 covers.",
    )
    logged = entries(db)[-1].payload
    assert "Novak" not in logged
    [point] = json.loads(logged)["record"]["points"]
    assert point["argument"] == "(withheld: a natural person's)"
    assert point["answer"].endswith(
        "(a natural person: name withheld)'s post offered tokens for money, "
        "which clause 5.1 covers."
    )
    with api_client(db) as client:
        shown = client.get(f"/api/v1/public/decisions/{decision_id}").json()["appeals"]
        page = client.get(f"/decisions/{decision_id}").text
    assert [appeal["points"] for appeal in shown] == [[point]]
    assert "Novak" not in page
    assert "Novak" not in json.dumps(shown)
    assert problems(db) == []


AppealTamper = Callable[[int], list[Executable]]  # appeal id -> statements

APPEAL_TAMPERING: dict[str, tuple[AppealTamper, str]] = {
    "answer-rewritten": (
        lambda a: [update(Appeal).where(Appeal.id == a).values(answer="Quietly rewritten.")],
        "appeal {a}: its answer differs from its log entry {answer}",
    ),
    "point-rewritten": (
        lambda a: [
            update(Appeal)
            .where(Appeal.id == a)
            .values(points=[{"argument": ARGUMENT, "addressed": "Accepted after all."}])
        ],
        "appeal {a}: its answer differs from its log entry {answer}",
    ),
    "reopened": (
        lambda a: [
            update(Appeal)
            .where(Appeal.id == a)
            .values(status=AppealStatus.open, outcome=None, answer=None, points=None)
        ],
        "appeal {a}: is open, but log entry {answer} answered it",
    ),
    "due-date-moved": (
        lambda a: [update(Appeal).where(Appeal.id == a).values(due_at=utcnow().replace(year=2099))],
        "appeal {a}: differs from its filing in log entry {filing}",
    ),
    "deleted": (
        lambda a: [
            delete(Notice).where(Notice.appeal_id == a),
            delete(Appeal).where(Appeal.id == a),
        ],
        "log entry {filing}: records appeal {a}, which is gone\n"
        "log entry {answer}: records the answer to appeal {a}, which is gone",
    ),
}


@pytest.mark.parametrize("case", sorted(APPEAL_TAMPERING))
def test_a_changed_or_deleted_appeal_answer_is_named(db: Database, case: str) -> None:
    tamper, expected = APPEAL_TAMPERING[case]
    _, appeal_id = answered_appeal(db)
    filing, answer = appeal_entries(db, appeal_id)
    assert problems(db) == []
    with db.engine.begin() as connection:
        for statement in tamper(appeal_id):
            connection.execute(statement)
    named = expected.format(a=appeal_id, filing=filing, answer=answer).split("\n")
    assert problems(db) == named


def test_verify_compares_every_public_appeal_with_its_entries(db: Database, tmp_path: Path) -> None:
    """Answered over the API (a reversal); then rewritten, reopened and deleted behind
    adwarden's back, each seen from outside (on PostgreSQL through a kept export line)."""
    publish_default_policy(db)
    tenant, decision_id = off_board(db, tmp_path, "Outside")
    reviewer = make_staff(db)
    answer = (
        "You are right that the directive concerns federal systems only; nothing else in the "
        "record supports the off-boarding, so we reverse it."
    )
    with api_client(db, tenant.user_email) as advertiser:
        filed = advertiser.post(
            f"/api/v1/decisions/{decision_id}/appeals", json={"arguments": [ARGUMENT]}
        )
        assert filed.status_code == 201, filed.text
        appeal_id = filed.json()["id"]
    with api_client(db, reviewer) as staff:
        assert staff.post(f"/api/v1/appeals/{appeal_id}/assign", json={}).status_code == 200
        decided = staff.post(
            f"/api/v1/appeals/{appeal_id}/decide",
            json={"outcome": "reversed", "answer": answer, "points": ["Accepted: a raffle."]},
        )
        assert decided.status_code == 200, decided.text
    filing, answered = appeal_entries(db, appeal_id)
    assert [e.kind for e in entries(db)][filing:] == ["appeal", "reversal", "appeal_answer"]
    assert problems(db) == []
    state = tmp_path / "heads.json"

    def rewrite(**values: object) -> None:
        with db.engine.begin() as connection:
            connection.execute(update(Appeal).where(Appeal.id == appeal_id).values(**values))

    with api_client(db) as client:
        url = str(client.base_url)
        first = verify(client, url, state)
        assert first.problems == []
        assert "appeals: 1 public appeals match their log entries" in first.lines

        rewrite(answer="Quietly rewritten.")
        assert verify(client, url, state).problems == [
            f"appeal {appeal_id}'s answer differs from its log entry {answered}"
        ]
        rewrite(answer=answer)
        assert verify(client, url, state).problems == []

        rewrite(status=AppealStatus.open, outcome=None, answer=None, points=None)
        assert verify(client, url, state).problems == [
            f"appeal {appeal_id} shows as open, but log entry {answered} answered it"
        ]

        with db.engine.begin() as connection:
            connection.execute(delete(Notice).where(Notice.appeal_id == appeal_id))
            connection.execute(delete(Appeal).where(Appeal.id == appeal_id))
        assert verify(client, url, state).problems == [
            f"log entry {filing} records appeal {appeal_id}, which is no longer public",
            f"log entry {answered} records the answer to appeal {appeal_id}, "
            "which is no longer public",
        ]


def _forget_appeals(db: Database) -> None:
    """The log as a version that logged no appeals left it: every other entry, in order,
    under heads signed again."""
    kept = [
        Item(e.kind, e.subject_id, e.payload.encode())
        for e in entries(db)
        if e.kind not in APPEAL_KINDS
    ]
    with db.engine.begin() as connection:
        for table in (LogEntry, LogNode, TreeHead):
            connection.execute(delete(table))
        connection.execute(update(LogHead).values(size=0))
    with db.transaction() as session:
        append(session, kept, utcnow())


def test_appeals_from_before_they_were_logged_come_with_the_first_one_logged(
    db: Database,
) -> None:
    _, earlier = answered_appeal(db)
    _forget_appeals(db)
    assert problems(db) == [
        f"appeal {earlier}: is not in the log",
        f"appeal {earlier}: its answer is not in the log",
    ]
    tenant = make_tenant(db, "Newcomer")
    later = appeal_as(db, tenant, make_decision(db, tenant), [ARGUMENT])
    assert [(e.kind, e.subject_id) for e in entries(db)[-3:]] == [
        ("appeal", earlier),
        ("appeal_answer", earlier),
        ("appeal", later),
    ]
    assert problems(db) == []
    with db.transaction() as session:
        assert log_earlier_appeals(session) == 0  # once only


def test_init_db_logs_the_appeals_an_older_version_did_not(db: Database, db_url: str) -> None:
    _, earlier = answered_appeal(db)
    _forget_appeals(db)
    size = len(entries(db))
    upgraded = run("--db", db_url, "init-db")
    assert upgraded.returncode == 0, upgraded.stderr
    assert "logged 2 entries of appeals published before appeals were logged" in upgraded.stdout
    assert [(e.kind, e.subject_id) for e in entries(db)[size:]] == [
        ("appeal", earlier),
        ("appeal_answer", earlier),
    ]
    assert problems(db) == []
    again = run("--db", db_url, "init-db")
    assert again.returncode == 0, again.stderr
    assert "logged" not in again.stdout
    assert len(entries(db)) == size + 2
