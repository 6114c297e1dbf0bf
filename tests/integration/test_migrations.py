"""The migrations build exactly the schema the models describe, on both engines."""

from __future__ import annotations

from alembic.autogenerate import compare_metadata
from alembic.runtime.migration import MigrationContext
from sqlalchemy import inspect

from adwarden.models import metadata
from adwarden.store.engine import Database
from adwarden.store.migrate import current_revision, head_revision, include_object


def test_migrated_schema_matches_the_models(db: Database) -> None:
    with db.engine.connect() as connection:
        assert current_revision(connection) == head_revision() == "0009_transparency"
        context = MigrationContext.configure(connection, opts={"include_object": include_object})
        differences = compare_metadata(context, metadata)
    assert differences == []


def test_every_table_is_there(db: Database) -> None:
    tables = set(inspect(db.engine).get_table_names()) - {"alembic_version"}
    assert tables == set(metadata.tables)
