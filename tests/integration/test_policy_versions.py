"""Publishing policy versions: a policy admin with a changelog, content-hashed, kept forever."""

from __future__ import annotations

from pathlib import Path

import pytest
from sqlalchemy import select, update
from test_cli import run

from adwarden.domain.enums import Role
from adwarden.domain.errors import ConflictError, ForbiddenError, InvalidInputError
from adwarden.policy.loader import load_policy
from adwarden.policy.models import PolicyVersion
from adwarden.policy.services import current_version, policy_of, publish_policy, versions
from adwarden.store.engine import Database
from support import SYSTEM, staff_actor

DEFAULT = Path(__file__).resolve().parents[2] / "policies" / "ads-policy.yaml"


def test_a_policy_admin_publishes_versions_that_are_kept(db: Database, tmp_path: Path) -> None:
    admin = staff_actor(db, Role.policy_admin)
    first = load_policy(DEFAULT)
    with db.transaction() as session:
        publish_policy(session, admin, first, "The 2018 case's clauses.")
    changed = tmp_path / "policy.yaml"
    changed.write_text(
        DEFAULT.read_text(encoding="utf-8").replace("rereview_days: 90", "rereview_days: 60"),
        encoding="utf-8",
    )
    second = load_policy(changed)
    assert second.content_hash != first.content_hash
    with db.transaction() as session:
        publish_policy(session, admin, second, "Sanctions hits are looked at every 60 days.")
    with db.sessions() as session:
        history = versions(session)
        assert [(v.number, v.content_hash) for v in history] == [
            (2, second.content_hash),
            (1, first.content_hash),
        ]
        current = current_version(session)
        assert current is not None
        assert current.number == 2
        # a stored version compiles back to the policy it was published from
        assert policy_of(history[1]).content_hash == first.content_hash
        assert policy_of(history[0]).clause("2.1").clause.rereview_days == 60


def test_only_a_policy_admin_with_a_changelog_publishes(db: Database) -> None:
    policy = load_policy(DEFAULT)
    for actor in (staff_actor(db, Role.reviewer), staff_actor(db, Role.admin), SYSTEM):
        with pytest.raises(ForbiddenError, match="policy_admin"), db.transaction() as session:
            publish_policy(session, actor, policy, "Reviewers may not publish.")
    admin = staff_actor(db, Role.policy_admin)
    with pytest.raises(InvalidInputError, match="changelog is empty"), db.transaction() as session:
        publish_policy(session, admin, policy, "   ")
    with db.transaction() as session:
        publish_policy(session, admin, policy, "First version.")
    with pytest.raises(ConflictError, match="already the current version"), db.transaction() as s:
        publish_policy(s, admin, policy, "Nothing changed.")
    with db.sessions() as session:
        assert [v.number for v in versions(session)] == [1]


def test_an_altered_stored_version_is_detected(db: Database) -> None:
    admin = staff_actor(db, Role.policy_admin)
    with db.transaction() as session:
        publish_policy(session, admin, load_policy(DEFAULT), "First version.")
    with db.engine.begin() as connection:  # behind the application's back
        stored = connection.execute(select(PolicyVersion.document)).scalar_one()
        stored["clauses"][0]["outcome"] = "label"
        connection.execute(update(PolicyVersion).values(document=stored))
    with db.sessions() as session:
        [version] = versions(session)
        with pytest.raises(ConflictError, match="its stored document was altered"):
            policy_of(version)


def test_the_policy_commands(empty_db_url: str, tmp_path: Path) -> None:
    assert run("--db", empty_db_url, "init-db").returncode == 0
    env = {"ADWARDEN_NEW_PASSWORD": "a long enough password"}
    for email, role in (("pa@staff.example", "policy_admin"), ("rv@staff.example", "reviewer")):
        made = run(
            "--db", empty_db_url, "users", "create", "--email", email, "--role", role, env=env
        )
        assert made.returncode == 0, made.stderr

    checked = run("policy", "check", str(DEFAULT))
    assert checked.returncode == 0, checked.stderr
    assert "5 clauses" in checked.stdout
    assert "3.1    advertiser off_board" in checked.stdout

    broken = tmp_path / "broken.yaml"
    broken.write_text(
        DEFAULT.read_text(encoding="utf-8").replace("size(hits.directive) > 0", "size(hitz) > 0"),
        encoding="utf-8",
    )
    refused = run("policy", "check", str(broken))
    assert refused.returncode == 2
    assert f"{broken}: clause 3.1: condition reads unknown fact hitz" in refused.stderr

    publish = ("--db", empty_db_url, "policy", "publish", str(DEFAULT), "--changelog", "First.")
    by_reviewer = run(*publish, "--by", "rv@staff.example")
    assert by_reviewer.returncode == 2
    assert "needs a signed-in policy_admin" in by_reviewer.stderr
    published = run(*publish, "--by", "pa@staff.example")
    assert published.returncode == 0, published.stderr
    assert "published policy v1" in published.stdout

    shown = run("--db", empty_db_url, "policy", "show")
    assert shown.returncode == 0, shown.stderr
    assert "v1  " in shown.stdout
    assert "First." in shown.stdout
    assert run("--db", empty_db_url, "policy", "show", "--version", "7").returncode == 2
