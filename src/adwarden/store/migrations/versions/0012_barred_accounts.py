"""the ads repository's status searches: the few accounts barred from ads indexed, so that
their ads are found by a lookup per ad instead of a join

Revision ID: 0012_barred_accounts
Revises: 0011_ad_exports
Create Date: 2026-12-06 07:10:00
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0012_barred_accounts"
down_revision: str | None = "0011_ad_exports"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

BARRED = sa.text("NOT ads_eligible")


def upgrade() -> None:
    op.create_index(
        "ix_accounts_ineligible", "accounts", ["id"], postgresql_where=BARRED, sqlite_where=BARRED
    )


def downgrade() -> None:
    op.drop_index("ix_accounts_ineligible", table_name="accounts")
