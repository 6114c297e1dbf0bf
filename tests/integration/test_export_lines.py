"""The decisions export streams lines kept since publication (on PostgreSQL) only while the
decision's and its advertiser's rows are unchanged: whatever changed in them, through
adwarden or behind its back, the export gives what rendering the decisions now gives. An
appeal changed through adwarden is rendered at once; behind its back, by the refresh."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import orjson
import pytest
from sqlalchemy import func, select, update

from adwarden.appeals.models import Appeal
from adwarden.audit.services import record_created
from adwarden.domain.enums import AdvertiserKind
from adwarden.enforcement.models import Decision
from adwarden.registry.models import Advertiser
from adwarden.store.engine import Database
from adwarden.transparency import exports
from adwarden.transparency.decisions import public_decisions
from adwarden.transparency.exports import (
    DECISION_COLUMNS,
    Format,
    decision_json,
    decision_line,
    export_decisions,
    stale_decisions,
)
from adwarden.transparency.models import DecisionExport, LogEntry
from adwarden.transparency.records import STATEMENT
from support import (
    SYSTEM,
    api_client,
    cli_env,
    make_decision,
    make_tenant,
    off_board,
    publish_default_policy,
    sole_trader,
    upheld_appeal,
)

ADWARDEN = str(Path(sys.executable).parent / "adwarden")


def rendered_now(db: Database, fmt: Format) -> str:
    """Every decision rendered from the rows as they are, as the export must give them."""
    with db.sessions() as session:
        decisions = session.scalars(select(Decision).order_by(Decision.id)).all()
        lines = "".join(decision_line(view, fmt) for view in public_decisions(session, decisions))
    header = ",".join(DECISION_COLUMNS) + "\r\n" if fmt is Format.csv else ""
    return header + lines


def exported(db: Database, fmt: Format) -> str:
    return b"".join(export_decisions(db, fmt)).decode()


def kept(db: Database) -> int:
    with db.sessions() as session:
        return int(session.scalar(select(func.count()).select_from(DecisionExport)) or 0)


def stale(db: Database) -> list[int]:
    with db.sessions() as session:
        return stale_decisions(session)


def assert_exports_are_current(db: Database) -> None:
    for fmt in Format:
        assert exported(db, fmt) == rendered_now(db, fmt), fmt
    # the API splices the same kept lines into its answers
    with db.sessions() as session:
        decisions = session.scalars(select(Decision).order_by(Decision.id)).all()
        now = [
            orjson.loads(orjson.dumps(v.as_json())) for v in public_decisions(session, decisions)
        ]
        # and in this process, where the page's statement is compiled once
        spliced = decision_json(session, [decision.id for decision in decisions])
    assert [orjson.loads(line) for line in spliced] == now
    with api_client(db) as client:
        page = client.get("/api/v1/public/decisions", params={"order": "oldest"})
        assert page.status_code == 200
        assert page.headers["cache-control"] == "public, max-age=60"
        assert page.json()["items"] == now
        assert page.json()["total"] == len(now)
        for item in now:
            assert client.get(f"/api/v1/public/decisions/{item['id']}").json() == item


def test_kept_lines_are_streamed_only_while_their_rows_are_unchanged(
    db: Database, db_url: str, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    publish_default_policy(db)
    rejected = make_decision(db, make_tenant(db, "Coinly"))
    vendor, off_boarded = off_board(db, tmp_path, "Petrov")
    upheld_appeal(db, vendor, off_boarded, "The directive is not about ads.", "It stands.")
    make_decision(db, sole_trader(db, "Novak", "Jana Novak"))
    postgres = db.engine.dialect.name == "postgresql"
    with db.sessions() as session:
        organisations = int(
            session.scalar(
                select(func.count())
                .select_from(Decision)
                .join(Advertiser, Advertiser.id == Decision.advertiser_id)
                .where(Advertiser.kind == AdvertiserKind.organization)
            )
            or 0
        )
    # each organisation's decision was kept when it was published (its appeal's answer too);
    # a natural person's is rendered as it is read, and SQLite keeps none
    assert organisations >= 2
    assert kept(db) == (organisations if postgres else 0)
    assert stale(db) == []
    assert_exports_are_current(db)
    assert "Jana Novak" not in exported(db, Format.jsonl)

    # edited behind adwarden's back, and an advertiser renamed: those lines are stale
    with db.engine.begin() as connection:
        connection.execute(
            update(Decision).where(Decision.id == rejected).values(facts_summary="Edited.")
        )
        connection.execute(
            update(Advertiser)
            .where(Advertiser.id == vendor.advertiser_id)
            .values(name="Petrov Renamed Ltd")
        )
    if postgres:
        assert {rejected, off_boarded} <= set(stale(db))
    assert_exports_are_current(db)
    assert '"facts_summary":"Edited."' in exported(db, Format.jsonl)

    # the public URL is part of every line: a new one makes them all stale (a "%" in it must
    # reach the database as written)
    public_url = "https://transparency.example/%7Eadwarden"
    monkeypatch.setenv("ADWARDEN_PUBLIC_URL", public_url)
    assert_exports_are_current(db)
    assert f"{public_url}/policy/v1#clause-" in exported(db, Format.tdb)
    if postgres:
        assert len(stale(db)) == organisations

    # an appeal's answer edited behind adwarden's back: an export compares the decision's and
    # advertiser's rows as it reads, the refresh its appeals too
    with db.engine.begin() as connection:
        connection.execute(
            update(Appeal).where(Appeal.decision_id == off_boarded).values(answer="Edited answer.")
        )
    if postgres:
        assert off_boarded in stale(db)

    refreshed = subprocess.run(
        [ADWARDEN, "--db", db_url, "exports", "refresh"],
        capture_output=True,
        text=True,
        env={**cli_env(), "ADWARDEN_PUBLIC_URL": public_url},
        timeout=120,
        check=False,
    )
    assert refreshed.returncode == 0, refreshed.stderr
    if postgres:
        assert f"export lines rendered for {organisations} decisions" in refreshed.stdout
        assert stale(db) == []
    else:
        assert "nothing to refresh" in refreshed.stdout
    assert_exports_are_current(db)
    assert "Edited answer." in exported(db, Format.jsonl)
    # every kept line is streamed as kept: only the natural person's decision is rendered
    rendered: list[int] = []
    monkeypatch.setattr(
        exports,
        "decision_line",
        lambda view, fmt: rendered.append(view.decision.id) or decision_line(view, fmt),
    )
    exported(db, Format.jsonl)
    assert len(rendered) == (1 if postgres else organisations + 1)
    # resumed and limited, it is the same lines
    whole = exported(db, Format.jsonl).splitlines(keepends=True)
    first_id = int(whole[0].split(",", 1)[0].removeprefix('{"id":'))
    resumed = b"".join(export_decisions(db, Format.jsonl, after=first_id, limit=2)).decode()
    assert resumed == "".join(whole[1:3])


def test_a_decision_is_published_even_when_its_lines_cannot_be_rendered(
    db: Database, caplog: pytest.LogCaptureFixture
) -> None:
    publish_default_policy(db)
    model = make_decision(db, make_tenant(db, "Brokenly"))
    # a decision citing a clause its policy version does not have: no export can render it
    with db.transaction() as session:
        original = session.get(Decision, model)
        assert original is not None
        copied = {
            column.key: getattr(original, column.key)
            for column in Decision.__table__.columns
            if column.key not in ("id", "created_at", "updated_at")
        }
        broken = Decision(**{**copied, "clause_id": "99.9"})
        record_created(session, SYSTEM, "decision", broken)
    with db.sessions() as session:
        logged = session.scalar(
            select(func.count())
            .select_from(LogEntry)
            .where(LogEntry.kind == STATEMENT, LogEntry.subject_id == broken.id)
        )
        kept_lines = session.scalar(
            select(func.count())
            .select_from(DecisionExport)
            .where(DecisionExport.decision_id == broken.id)
        )
    assert logged == 1  # published and logged all the same
    assert kept_lines == 0
    if db.engine.dialect.name == "postgresql":
        assert f"export lines not kept for decisions [{broken.id}]" in caplog.text
        assert kept(db) == 1  # the sound decision's, kept before
