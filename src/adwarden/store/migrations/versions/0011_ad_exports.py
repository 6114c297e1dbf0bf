"""ads rendered for the bulk exports, as decisions are; a decision's kept lines hold its
appeals' row versions apart, compared by the refresh only; on PostgreSQL a decision's JSON
line is stored uncompressed (an export read it a third faster than decompressing it, for
about 2 KB more a decision)

Revision ID: 0011_ad_exports
Revises: 0010_ad_search
Create Date: 2026-12-06 04:00:00
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

import adwarden.store.base

revision: str = "0011_ad_exports"
down_revision: str | None = "0010_ad_search"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table(
        "ad_exports",
        sa.Column("promoted_post_id", sa.Integer(), autoincrement=False, nullable=False),
        sa.Column(
            "source",
            sa.Text(),
            nullable=False,
            comment="row versions of the post, campaign, account, advertiser and delivery; "
            "URL; renderer",
        ),
        sa.Column(
            "decisions",
            sa.Text(),
            nullable=False,
            comment="versions of the decisions on the post, campaign, account and advertiser",
        ),
        sa.Column("valid_until", adwarden.store.base.UTCDateTime(timezone=True), nullable=True),
        sa.Column("jsonl", sa.Text(), nullable=False),
        sa.Column("csv", sa.Text(), nullable=False),
        sa.PrimaryKeyConstraint("promoted_post_id", name=op.f("pk_ad_exports")),
    )

    with op.batch_alter_table("decision_exports", schema=None) as batch_op:
        batch_op.alter_column(
            "source", comment="row versions of the decision and advertiser; URL; renderer"
        )
        # every kept line's source changes shape with this: all are stale until refreshed
        batch_op.add_column(
            sa.Column(
                "appeals",
                sa.Text(),
                nullable=False,
                server_default="",
                comment="row versions of the decision's appeals",
            )
        )
    with op.batch_alter_table("decision_exports", schema=None) as batch_op:
        batch_op.alter_column("appeals", server_default=None)
    if op.get_bind().dialect.name == "postgresql":
        op.execute("ALTER TABLE decision_exports ALTER COLUMN jsonl SET STORAGE EXTERNAL")


def downgrade() -> None:
    if op.get_bind().dialect.name == "postgresql":
        op.execute("ALTER TABLE decision_exports ALTER COLUMN jsonl SET STORAGE EXTENDED")
    with op.batch_alter_table("decision_exports", schema=None) as batch_op:
        batch_op.drop_column("appeals")
        batch_op.alter_column(
            "source", comment="row versions of the decision, advertiser and appeals; URL; renderer"
        )
    op.drop_table("ad_exports")
