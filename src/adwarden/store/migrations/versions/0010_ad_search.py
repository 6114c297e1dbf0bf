"""public search and exports: post_delivery indexes to sort the ads repository by showing,
reach and spend; one index over the decisions database's filters; decisions rendered for the
bulk exports; on PostgreSQL, ad texts' search vectors stored (an index walk reads them
instead of computing each) and campaigns' countries indexed (which also gives the planner
their statistics)

Revision ID: 0010_ad_search
Revises: 0009_transparency
Create Date: 2026-12-06 00:40:00
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0010_ad_search"
down_revision: str | None = "0009_transparency"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

INDEXES = {
    "ix_post_delivery_first_shown": ["first_shown_at", "promoted_post_id"],
    "ix_post_delivery_last_shown": ["last_shown_at", "promoted_post_id"],
    "ix_post_delivery_impressions": ["impressions", "promoted_post_id"],
    "ix_post_delivery_spent": ["spent_micros", "promoted_post_id"],
}


DECISION_FILTERS = ["clause_id", "automated_decision", "level", "status", "outcome", "starts_at"]


TEXT_VECTOR = (  # store.migrate.POSTGRES_ONLY_COLUMNS and POSTGRES_ONLY_INDEXES
    "ALTER TABLE promoted_posts ADD COLUMN text_search tsvector"
    " GENERATED ALWAYS AS (to_tsvector('simple', text)) STORED",
    "CREATE INDEX ix_promoted_posts_text_search ON promoted_posts USING gin (text_search)",
    "CREATE INDEX ix_campaigns_countries ON campaigns USING gin ((countries::jsonb))",
)
TEXT_INDEX_0009 = (
    "CREATE INDEX ix_promoted_posts_text_search ON promoted_posts "
    "USING gin (to_tsvector('simple', text))"
)


def upgrade() -> None:
    op.create_table(
        "decision_exports",
        sa.Column("decision_id", sa.Integer(), autoincrement=False, nullable=False),
        sa.Column(
            "source",
            sa.Text(),
            nullable=False,
            comment="row versions of the decision, advertiser and appeals; URL; renderer",
        ),
        sa.Column("jsonl", sa.Text(), nullable=False),
        sa.Column("csv", sa.Text(), nullable=False),
        sa.Column("tdb", sa.Text(), nullable=False),
        sa.PrimaryKeyConstraint("decision_id", name=op.f("pk_decision_exports")),
    )
    if op.get_bind().dialect.name == "postgresql":
        op.execute("DROP INDEX ix_promoted_posts_text_search")
        for statement in TEXT_VECTOR:
            op.execute(statement)
    with op.batch_alter_table("decisions", schema=None) as batch_op:
        batch_op.create_index("ix_decisions_filters", DECISION_FILTERS, unique=False)
    with op.batch_alter_table("post_delivery", schema=None) as batch_op:
        batch_op.drop_index("ix_post_delivery_last_shown_at")
        for name, columns in INDEXES.items():
            batch_op.create_index(name, columns, unique=False)


def downgrade() -> None:
    op.drop_table("decision_exports")
    if op.get_bind().dialect.name == "postgresql":
        op.execute("DROP INDEX ix_campaigns_countries")
        op.execute("DROP INDEX ix_promoted_posts_text_search")
        op.execute("ALTER TABLE promoted_posts DROP COLUMN text_search")
        op.execute(TEXT_INDEX_0009)
    with op.batch_alter_table("post_delivery", schema=None) as batch_op:
        for name in INDEXES:
            batch_op.drop_index(name)
        batch_op.create_index("ix_post_delivery_last_shown_at", ["last_shown_at"], unique=False)
    with op.batch_alter_table("decisions", schema=None) as batch_op:
        batch_op.drop_index("ix_decisions_filters")
