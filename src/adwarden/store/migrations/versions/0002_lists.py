"""lists: watch lists, their versions and their entries

Revision ID: 0002_lists
Revises: 0001_foundation
Create Date: 2026-11-23 12:31:05.187563
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

import adwarden.store.base

revision: str = "0002_lists"
down_revision: str | None = "0001_foundation"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table(
        "watch_lists",
        sa.Column(
            "slug",
            sa.String(length=64),
            nullable=False,
            comment="the id people type, e.g. ofac-sdn",
        ),
        sa.Column(
            "kind",
            sa.Enum(
                "sanctions",
                "directive",
                "state_media",
                "scrutiny",
                "custom",
                name="listkind",
                native_enum=False,
                create_constraint=True,
                length=32,
            ),
            nullable=False,
        ),
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("created_at", adwarden.store.base.UTCDateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_watch_lists")),
        sa.UniqueConstraint("slug", name=op.f("uq_watch_lists_slug")),
    )
    op.create_table(
        "list_entries",
        sa.Column("list_id", sa.Integer(), nullable=False),
        sa.Column(
            "entry_id",
            sa.String(length=200),
            nullable=False,
            comment="the list's own id for the entry",
        ),
        sa.Column(
            "entity_type",
            sa.Enum(
                "person",
                "organization",
                "vessel",
                "aircraft",
                "unknown",
                name="entitytype",
                native_enum=False,
                create_constraint=True,
                length=32,
            ),
            nullable=False,
        ),
        sa.Column("name", sa.Text(), nullable=False),
        sa.Column("aliases", sa.JSON(), nullable=False),
        sa.Column("countries", sa.JSON(), nullable=False, comment="ISO 3166-1 alpha-2"),
        sa.Column(
            "birth_dates",
            sa.JSON(),
            nullable=False,
            comment="ISO 8601 prefixes: 1965, 1965-03, 1965-03-04",
        ),
        sa.Column("programs", sa.JSON(), nullable=False),
        sa.Column("source_url", sa.Text(), nullable=True),
        sa.Column("listed_on", sa.String(length=100), nullable=True),
        sa.Column("notes", sa.Text(), nullable=True),
        sa.Column(
            "content_hash", sa.String(length=64), nullable=False, comment="ListEntry.content_hash()"
        ),
        sa.Column(
            "added_in", sa.Integer(), nullable=False, comment="version number the row appeared in"
        ),
        sa.Column(
            "removed_in",
            sa.Integer(),
            nullable=True,
            comment="version number the row stopped being current in; NULL while current",
        ),
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("created_at", adwarden.store.base.UTCDateTime(timezone=True), nullable=False),
        sa.CheckConstraint(
            "removed_in IS NULL OR removed_in > added_in",
            name=op.f("ck_list_entries_removed_after_added"),
        ),
        sa.ForeignKeyConstraint(
            ["list_id"], ["watch_lists.id"], name=op.f("fk_list_entries_list_id_watch_lists")
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_list_entries")),
    )
    with op.batch_alter_table("list_entries", schema=None) as batch_op:
        batch_op.create_index(
            "ix_list_entries_list_id_entry_id", ["list_id", "entry_id"], unique=False
        )
        batch_op.create_index(
            "ix_list_entries_list_id_removed_in", ["list_id", "removed_in"], unique=False
        )

    op.create_table(
        "list_versions",
        sa.Column("list_id", sa.Integer(), nullable=False),
        sa.Column("number", sa.Integer(), nullable=False, comment="1, 2, ... within the list"),
        sa.Column(
            "format",
            sa.Enum(
                "ofac-csv",
                "un-xml",
                "ftm",
                "csl-csv",
                "csv",
                name="listformat",
                native_enum=False,
                create_constraint=True,
                length=32,
            ),
            nullable=False,
        ),
        sa.Column(
            "source", sa.Text(), nullable=False, comment="the file or folder as given to the import"
        ),
        sa.Column(
            "content_hash",
            sa.String(length=64),
            nullable=False,
            comment="sha256 over the sorted content hashes of the entries",
        ),
        sa.Column("entry_count", sa.Integer(), nullable=False),
        sa.Column(
            "added", sa.Integer(), nullable=False, comment="entries not in the previous version"
        ),
        sa.Column(
            "removed",
            sa.Integer(),
            nullable=False,
            comment="entries of the previous version now gone",
        ),
        sa.Column("changed", sa.Integer(), nullable=False, comment="entries whose content differs"),
        sa.Column("imported_by", sa.String(length=200), nullable=False, comment="actor label"),
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("created_at", adwarden.store.base.UTCDateTime(timezone=True), nullable=False),
        sa.CheckConstraint(
            "entry_count >= 0 AND added >= 0 AND removed >= 0 AND changed >= 0",
            name=op.f("ck_list_versions_counts_not_negative"),
        ),
        sa.CheckConstraint("number >= 1", name=op.f("ck_list_versions_number_positive")),
        sa.ForeignKeyConstraint(
            ["list_id"], ["watch_lists.id"], name=op.f("fk_list_versions_list_id_watch_lists")
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_list_versions")),
        sa.UniqueConstraint("list_id", "number", name=op.f("uq_list_versions_list_id_number")),
    )
    with op.batch_alter_table("list_versions", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_list_versions_list_id"), ["list_id"], unique=False)


def downgrade() -> None:
    with op.batch_alter_table("list_versions", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_list_versions_list_id"))

    op.drop_table("list_versions")
    with op.batch_alter_table("list_entries", schema=None) as batch_op:
        batch_op.drop_index("ix_list_entries_list_id_removed_in")
        batch_op.drop_index("ix_list_entries_list_id_entry_id")

    op.drop_table("list_entries")
    op.drop_table("watch_lists")
