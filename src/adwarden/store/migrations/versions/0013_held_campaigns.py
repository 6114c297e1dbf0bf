"""the ads repository's "restricted" search: the few campaigns held by enforcement indexed,
so that a walk tests each ad's campaign against them without looking the campaign up

Revision ID: 0013_held_campaigns
Revises: 0012_barred_accounts
Create Date: 2026-12-06 09:50:00
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0013_held_campaigns"
down_revision: str | None = "0012_barred_accounts"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

HELD = sa.text("held")


def upgrade() -> None:
    op.create_index(
        "ix_campaigns_held", "campaigns", ["id"], postgresql_where=HELD, sqlite_where=HELD
    )


def downgrade() -> None:
    op.drop_index("ix_campaigns_held", table_name="campaigns")
