"""the decisions database searched by a name: a name's advertisers' decisions indexed in date
order, so that the page of a name with many decisions is read from the index alone rather
than looking up each of its decisions for its date (1,800 decisions: ~5 ms, then sorted)

Revision ID: 0016_decisions_by_name
Revises: 0015_restricted_ads
Create Date: 2026-12-06 18:40:00
"""

from collections.abc import Sequence

from alembic import op

revision: str = "0016_decisions_by_name"
down_revision: str | None = "0015_restricted_ads"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    # the advertiser's own index, which the new one also serves (its leading column)
    op.drop_index("ix_decisions_advertiser_id", table_name="decisions")
    op.create_index(
        "ix_decisions_advertiser_starts", "decisions", ["advertiser_id", "starts_at", "id"]
    )


def downgrade() -> None:
    op.drop_index("ix_decisions_advertiser_starts", table_name="decisions")
    op.create_index("ix_decisions_advertiser_id", "decisions", ["advertiser_id"])
