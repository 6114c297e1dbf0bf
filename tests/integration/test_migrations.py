"""The migrations build exactly the schema the models describe, on both engines."""

from __future__ import annotations

from alembic.autogenerate import compare_metadata
from alembic.runtime.migration import MigrationContext
from sqlalchemy import insert, inspect, select, text

from adwarden.models import metadata
from adwarden.policy.loader import load_policy
from adwarden.registry.models import AdvertiserNameKey
from adwarden.store.base import utcnow
from adwarden.store.engine import Database, make_engine
from adwarden.store.migrate import current_revision, head_revision, include_object, upgrade
from adwarden.transparency.check import check_log
from adwarden.transparency.models import LogEntry
from support import DEFAULT_POLICY


def test_migrated_schema_matches_the_models(db: Database) -> None:
    with db.engine.connect() as connection:
        assert current_revision(connection) == head_revision() == "0017_live_judging"
        context = MigrationContext.configure(connection, opts={"include_object": include_object})
        differences = compare_metadata(context, metadata)
    assert differences == []


def test_a_decisions_json_line_is_kept_uncompressed_on_postgresql(db: Database) -> None:
    if db.engine.dialect.name != "postgresql":
        return  # SQLite keeps no export lines
    with db.engine.connect() as connection:
        storage = connection.execute(
            text(
                "SELECT attname, attstorage FROM pg_attribute WHERE attrelid ="
                " 'decision_exports'::regclass AND attname IN ('jsonl', 'csv')"
            )
        ).all()
    assert dict(storage) == {"jsonl": "e", "csv": "x"}  # external, and extended (compressed)


def test_every_table_is_there(db: Database) -> None:
    tables = set(inspect(db.engine).get_table_names()) - {"alembic_version"}
    assert tables == set(metadata.tables)


def test_upgrading_a_database_that_already_published_fills_the_log(empty_db_url: str) -> None:
    """Migration 0009 on a database that holds a policy version, a decision, names and a
    ledger from before it: the log, the name keys and the delivery counters are filled."""
    upgrade(empty_db_url, "0008_serving")
    policy = load_policy(DEFAULT_POLICY)
    now = utcnow()
    engine = make_engine(empty_db_url)
    tables = metadata.tables
    with engine.begin() as connection:  # rows as the 0008 schema holds them
        connection.execute(
            insert(tables["users"]).values(
                id=1,
                email="p@x.example",
                name="P",
                role="policy_admin",
                password_hash="x",
                created_at=now,
                updated_at=now,
            )
        )
        connection.execute(
            insert(tables["policy_versions"]).values(
                id=1,
                number=1,
                content_hash=policy.content_hash,
                title=policy.title,
                document=policy.document,
                changelog="First.",
                published_by=1,
                created_at=now,
            )
        )
        connection.execute(
            insert(tables["advertisers"]).values(
                id=1, kind="organization", name="Oldtimer GmbH", created_at=now, updated_at=now
            )
        )
        connection.execute(
            insert(tables["advertiser_names"]).values(
                id=1, advertiser_id=1, name="Oldtimer GmbH", kind="primary", created_at=now
            )
        )
        connection.execute(
            insert(tables["decisions"]).values(
                id=1, level="advertiser", subject_id=1, subject_label="Oldtimer GmbH",
                advertiser_id=1, outcome="off_board", clause_id="3.1", policy_version_id=1,
                policy_hash=policy.content_hash, facts={}, facts_summary="Before the log.",
                evidence=[], decided_by_label="someone", automated_detection=False,
                automated_decision=False, starts_at=now, territorial_scope=["WORLD"], effects={},
                status="reversed", status_reason="Found wrong.", created_at=now, updated_at=now,
            )
        )  # fmt: skip
    engine.dispose()
    upgrade(empty_db_url)
    db = Database(empty_db_url)
    try:
        with db.sessions() as session:
            assert check_log(session) == []
            logged = session.scalars(select(LogEntry.kind).order_by(LogEntry.log_index)).all()
            assert logged == ["policy_version", "statement", "reversal"]
            assert set(session.scalars(select(AdvertiserNameKey.key))) == {"oldtimer"}
    finally:
        db.dispose()
