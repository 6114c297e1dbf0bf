"""The `adwarden` command, run as a real process: init-db, users create, demo and serve."""

from __future__ import annotations

import os
import re
import select as selectors_
import subprocess
import sys
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import httpx
import psutil
import pytest
from sqlalchemy import func, select

from adwarden.auth.models import User
from adwarden.domain.enums import CampaignStatus, NameKind, PersonRole, Role
from adwarden.registry.models import Account, Advertiser, OrganicPost, Person
from adwarden.serving.models import Campaign, PromotedPost
from adwarden.store.engine import Database
from adwarden.store.migrate import head_revision
from support import cli_env

ADWARDEN = str(Path(sys.executable).parent / "adwarden")


def run(*args: str, env: dict[str, str] | None = None) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [ADWARDEN, *args],
        capture_output=True,
        text=True,
        env={**cli_env(), **(env or {})},
        timeout=120,
        check=False,
    )


def test_init_db_then_users_create(empty_db_url: str) -> None:
    def create_user(
        email: str, role: str, password: str = "a long enough password"
    ) -> subprocess.CompletedProcess[str]:
        return run(
            "--db",
            empty_db_url,
            "users",
            "create",
            "--email",
            email,
            "--role",
            role,
            env={"ADWARDEN_NEW_PASSWORD": password},
        )

    first = run("--db", empty_db_url, "init-db")
    assert first.returncode == 0, first.stderr
    again = run("--db", empty_db_url, "init-db")  # idempotent: already at head
    assert again.returncode == 0, again.stderr
    created = create_user("Ada@Staff.example", "admin")
    assert created.returncode == 0, created.stderr
    assert "ada@staff.example (admin)" in created.stdout
    duplicate = create_user("ada@staff.example", "admin")
    assert duplicate.returncode == 2
    assert "exists already" in duplicate.stderr
    unattached = create_user("x@adv.example", "advertiser")
    assert unattached.returncode == 2
    assert "needs --advertiser" in unattached.stderr
    short = create_user("y@staff.example", "reviewer", password="short")
    assert short.returncode == 2
    assert "at least 12 characters" in short.stderr
    database = Database(empty_db_url)
    try:
        with database.sessions() as session:
            users = session.scalars(select(User)).all()
            assert [(u.email, u.role) for u in users] == [("ada@staff.example", Role.admin)]
            assert users[0].password_hash.startswith("$argon2id$")
    finally:
        database.dispose()


def test_bad_database_url_is_named() -> None:
    answer = run("--db", "mysql://localhost/x", "init-db")
    assert answer.returncode == 2
    assert "adwarden supports sqlite:/// and postgresql://" in answer.stderr


def test_demo_builds_the_2018_scenario(empty_db_url: str) -> None:
    built = run("--db", empty_db_url, "demo", "--no-serve")
    assert built.returncode == 0, built.stderr
    logins = re.findall(r"^\s+(\w+)\s+(\S+@\S+)\s+(\S+)", built.stdout, re.MULTILINE)
    assert {role for role, _, _ in logins} == {r.value for r in Role}
    database = Database(empty_db_url)
    try:
        with database.sessions() as session:
            check_scenario(session)
    finally:
        database.dispose()
    refused = run("--db", empty_db_url, "demo", "--no-serve")
    assert refused.returncode == 2
    assert "not empty" in refused.stderr


def check_scenario(session: object) -> None:
    from sqlalchemy.orm import Session

    assert isinstance(session, Session)
    kaspersky = session.scalars(select(Advertiser).where(Advertiser.name == "Kaspersky Lab")).one()
    assert ("AO Kaspersky Lab", NameKind.legal) in [(n.name, n.kind) for n in kaspersky.names]
    [founder] = [r for r in kaspersky.people if r.role is PersonRole.founder]
    assert {n.name for n in founder.person.names} >= {
        "Eugene Kaspersky",
        "Yevgeny Kaspersky",
        "Евгений Касперский",
    }
    handles = {a.handle for a in kaspersky.accounts}
    assert handles == {"kaspersky", "e_kaspersky"}
    for account in kaspersky.accounts:
        posts = session.scalar(
            select(func.count())
            .select_from(OrganicPost)
            .where(OrganicPost.account_id == account.id)
        )
        assert posts, f"@{account.handle} has no organic posts"
    campaign = session.scalars(select(Campaign).where(Campaign.advertiser_id == kaspersky.id)).one()
    assert campaign.lifetime_budget_cents == 94_000_00
    assert campaign.status is CampaignStatus.ended
    assert any("WannaCry" in p.text for p in campaign.promoted_posts)
    names = set(session.scalars(select(Advertiser.name)))
    assert {"RT", "Sputnik"} <= names
    ico_posts = session.scalars(
        select(PromotedPost).where(func.lower(PromotedPost.text).like("%token%"))
    ).all()
    assert ico_posts, "no cryptocurrency advertiser with ICO posts"
    security = session.scalar(
        select(func.count()).select_from(Advertiser).where(Advertiser.industry == "cybersecurity")
    )
    assert security is not None
    assert security >= 4  # Kaspersky Lab and three others
    assert len(names) >= 3 + 1 + 3 + 10
    assert session.scalar(select(func.count()).select_from(Person)) >= 2
    assert session.scalar(
        select(func.count()).select_from(Account).where(Account.advertiser_id.is_(None))
    )


@contextmanager
def serving(db_url: str, *extra: str) -> Iterator[str]:
    """`adwarden serve` as a real process; yields the URL it prints once it listens."""
    with served(db_url, *extra) as (base, _):
        yield base


@contextmanager
def served(db_url: str, *extra: str) -> Iterator[tuple[str, int]]:
    """`adwarden serve` as a real process; yields the URL it prints once it listens, and
    the process id."""
    with subprocess.Popen(
        [ADWARDEN, "--db", db_url, "serve", "--port", "0", *extra],
        stdout=subprocess.PIPE,
        stderr=subprocess.DEVNULL,
        text=True,
        env=cli_env(),
    ) as process:
        try:
            assert process.stdout is not None
            for line in process.stdout:
                if match := re.search(r"serving on (http://\S+?)/ ", line):
                    yield match.group(1), process.pid
                    break
            else:
                raise AssertionError(f"serve exited with {process.wait()} and printed no URL")
        finally:
            process.terminate()
            process.wait(timeout=20)


def test_demo_is_served_over_http(tmp_path: Path) -> None:
    url = f"sqlite:///{tmp_path / 'demo.db'}"
    built = run("--db", url, "demo", "--no-serve")
    assert built.returncode == 0, built.stderr
    email, password = re.search(
        r"^\s+reviewer\s+(\S+)\s+(\S+)", built.stdout, re.MULTILINE
    ).groups()  # type: ignore[union-attr]
    with serving(url) as base, httpx.Client(base_url=base) as client:
        home = client.get("/")
        assert home.status_code == 200
        assert "Kaspersky Lab" in home.text
        assert re.search(r"advertisers</th><td>(\d+)</td>", home.text)
        spec = client.get("/api/v1/openapi.json").json()
        assert "/api/v1/advertisers" in spec["paths"]
        health = client.get("/api/v1/health")
        assert health.status_code == 200
        assert health.json()["status"] == "ok"
        assert health.json()["database"] == {
            "ok": True,
            "reachable": True,
            "dialect": "sqlite",
            "schema_revision": head_revision(),
            "error": None,
        }
        token = client.post("/api/v1/tokens", json={"email": email, "password": password})
        assert token.status_code == 201, token.text
        found = client.get(
            "/api/v1/advertisers",
            params={"q": "kaspersky"},
            headers={"Authorization": f"Bearer {token.json()['token']}"},
        ).json()
        assert [a["name"] for a in found["items"]] == ["Kaspersky Lab"]


def test_serve_without_schema_says_what_to_do(tmp_path: Path) -> None:
    answer = run("--db", f"sqlite:///{tmp_path / 'none.db'}", "serve", "--port", "0")
    assert answer.returncode == 2
    assert "run `adwarden init-db`" in answer.stderr


def test_serve_without_a_log_key_says_what_to_do(tmp_path: Path) -> None:
    url = f"sqlite:///{tmp_path / 'keyless.db'}"
    assert run("--db", url, "init-db").returncode == 0
    missing = tmp_path / "no-key.pem"
    answer = run("--db", url, "serve", "--port", "0", env={"ADWARDEN_LOG_KEY": str(missing)})
    assert answer.returncode == 2
    assert f"no log signing key at {missing}: run `adwarden keys init`" in answer.stderr


def _spawned_children(pid: int) -> list[int]:
    children = Path(f"/proc/{pid}/task/{pid}/children").read_text().split()
    return [
        int(child)
        for child in children
        if b"spawn_main" in Path(f"/proc/{child}/cmdline").read_bytes()
    ]


@pytest.mark.parametrize("db_url", ["postgresql"], indirect=True)
def test_several_serving_processes_share_one_port(db_url: str) -> None:
    with served(db_url, "--processes", "3") as (base, pid):
        children = _spawned_children(pid)
        assert len(children) == 2
        # announced once every process listens (each warmed up first): a client that
        # connects now, and keeps its connection, may be handed to any of them
        port = int(base.rsplit(":", 1)[1])
        for process in (pid, *children):
            listening = psutil.Process(process).net_connections(kind="tcp")
            assert any(c.status == psutil.CONN_LISTEN and c.laddr.port == port for c in listening)
        handles = [os.pidfd_open(child) for child in children]
        for _ in range(6):  # new connections each time, spread over the processes
            assert httpx.get(f"{base}/api/v1/health", timeout=30).status_code == 200
    # the others end with the first: each handle turns readable when its process has ended
    for handle in handles:
        ready, _, _ = selectors_.select([handle], [], [], 30)
        assert ready == [handle]
        os.close(handle)


def test_several_serving_processes_need_postgresql(tmp_path: Path) -> None:
    url = f"sqlite:///{tmp_path / 'one.db'}"
    assert run("--db", url, "init-db").returncode == 0
    answer = run("--db", url, "serve", "--port", "0", "--processes", "2")
    assert answer.returncode == 2
    assert "--processes above 1 needs PostgreSQL" in answer.stderr
