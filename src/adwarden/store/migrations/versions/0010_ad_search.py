"""ad search: post_delivery indexes to sort the ads repository by showing, reach and spend

Revision ID: 0010_ad_search
Revises: 0009_transparency
Create Date: 2026-12-06 00:40:00
"""

from collections.abc import Sequence

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


def upgrade() -> None:
    with op.batch_alter_table("post_delivery", schema=None) as batch_op:
        batch_op.drop_index("ix_post_delivery_last_shown_at")
        for name, columns in INDEXES.items():
            batch_op.create_index(name, columns, unique=False)


def downgrade() -> None:
    with op.batch_alter_table("post_delivery", schema=None) as batch_op:
        for name in INDEXES:
            batch_op.drop_index(name)
        batch_op.create_index("ix_post_delivery_last_shown_at", ["last_shown_at"], unique=False)
