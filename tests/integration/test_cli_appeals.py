"""`adwarden appeals`: the queue with overdue marks, escalation from cron, the figures."""

from __future__ import annotations

import json
from datetime import timedelta
from pathlib import Path

from sqlalchemy import select
from test_cli import run

from adwarden.domain.enums import NoticeKind
from adwarden.enforcement.models import Notice
from adwarden.store.base import utcnow
from adwarden.store.engine import Database
from support import appeal_as, off_board, publish_default_policy


def test_queue_escalation_and_metrics_from_the_shell(db_url: str, tmp_path: Path) -> None:
    db = Database(db_url)
    try:
        assert "no open appeals" in run("--db", db_url, "appeals", "list").stdout
        publish_default_policy(db)
        tenant, decision_id = off_board(db, tmp_path, "Late")
        appeal_id = appeal_as(
            db,
            tenant,
            decision_id,
            ["The directive is about federal systems, not advertising."],
            now=utcnow() - timedelta(days=10),
        )
        listed = run("--db", db_url, "appeals", "list")
        assert listed.returncode == 0, listed.stderr
        assert f"decision {decision_id}" in listed.stdout
        assert "OVERDUE" in listed.stdout
        as_json = json.loads(run("--db", db_url, "appeals", "list", "--json").stdout)
        assert [(a["id"], a["overdue"], a["escalated"]) for a in as_json["appeals"]] == [
            (appeal_id, True, False)
        ]
        escalated = run("--db", db_url, "appeals", "escalate")
        assert escalated.stdout.strip() == f"escalated 1 overdue appeal(s): {appeal_id}"
        again = run("--db", db_url, "appeals", "escalate")
        assert again.stdout.strip() == "escalated 0 overdue appeal(s)"
        with db.sessions() as session:
            kinds = session.scalars(select(Notice.kind).where(Notice.appeal_id == appeal_id)).all()
            assert NoticeKind.appeal_overdue in kinds
        figures = json.loads(run("--db", db_url, "appeals", "metrics", "--json").stdout)
        assert (figures["filed"], figures["decided"], figures["overdue"]) == (1, 0, 1)
        assert figures["hours_to_decision_median"] is None
    finally:
        db.dispose()
