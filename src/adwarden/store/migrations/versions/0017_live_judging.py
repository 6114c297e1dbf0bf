"""the live loop: a new or edited promoted post is pending until the policy judges it, and a
review task says what it asks (apply a clause, reconsider or re-review a decision in force)

Revision ID: 0017_live_judging
Revises: 0016_decisions_by_name
Create Date: 2026-12-07 23:50:00
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0017_live_judging"
down_revision: str | None = "0016_decisions_by_name"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

_POST_STATUSES = "'active', 'withdrawn', 'rejected'"


def _post_statuses(values: str) -> None:
    with op.batch_alter_table("promoted_posts", schema=None) as batch_op:
        batch_op.drop_constraint(op.f("ck_promoted_posts_promotedpoststatus"), type_="check")
        batch_op.create_check_constraint("promotedpoststatus", f"status IN ({values})")


def upgrade() -> None:
    _post_statuses(f"'pending', {_POST_STATUSES}")
    with op.batch_alter_table("review_tasks", schema=None) as batch_op:
        batch_op.add_column(
            sa.Column(
                "kind",
                sa.Enum(
                    "apply",
                    "reconsider",
                    "rereview",
                    name="taskkind",
                    native_enum=False,
                    create_constraint=True,
                    length=32,
                ),
                server_default="apply",
                nullable=False,
            )
        )
        batch_op.add_column(
            sa.Column(
                "decision_id",
                sa.Integer(),
                nullable=True,
                comment="the decision in force to look at again (reconsider, rereview)",
            )
        )
        batch_op.create_index(batch_op.f("ix_review_tasks_decision_id"), ["decision_id"])


def downgrade() -> None:
    with op.batch_alter_table("review_tasks", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_review_tasks_decision_id"))
        batch_op.drop_column("decision_id")
        batch_op.drop_column("kind")
    op.execute("UPDATE promoted_posts SET status = 'active' WHERE status = 'pending'")
    _post_statuses(_POST_STATUSES)
