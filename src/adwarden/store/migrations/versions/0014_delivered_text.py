"""the ads repository sorted by spend, reach or last showing, with words: on PostgreSQL each
shown ad's text search vector is copied beside its delivery figures and carried in the
indexes that sort them, so that a walk down one tests the words in the index itself rather
than looking up every ad it passes (a word in one ad of 200 made that walk read 5,000 ads)

The copy is kept by the database: a delivery row takes its ad's vector when it is made, and
a change to an ad's text reaches its delivery row.

Revision ID: 0014_delivered_text
Revises: 0013_held_campaigns
Create Date: 2026-12-06 15:20:00
"""

from collections.abc import Sequence

from alembic import op

revision: str = "0014_delivered_text"
down_revision: str | None = "0013_held_campaigns"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

# store.migrate.POSTGRES_ONLY_COLUMNS; the models name these indexes without the copy
SORTED = {
    "ix_post_delivery_last_shown": "last_shown_at",
    "ix_post_delivery_impressions": "impressions",
    "ix_post_delivery_spent": "spent_micros",
}

COPY = (
    "ALTER TABLE post_delivery ADD COLUMN text_search tsvector",
    "UPDATE post_delivery SET text_search = promoted_posts.text_search FROM promoted_posts"
    " WHERE promoted_posts.id = post_delivery.promoted_post_id",
    # a row loaded with triggers off (session_replication_role = replica) is refused rather
    # than left with no words, which a sorted search would silently miss
    "ALTER TABLE post_delivery ALTER COLUMN text_search SET NOT NULL",
    """CREATE FUNCTION post_delivery_text() RETURNS trigger LANGUAGE plpgsql AS $$
    BEGIN
        NEW.text_search := (
            SELECT text_search FROM promoted_posts WHERE id = NEW.promoted_post_id
        );
        RETURN NEW;
    END $$""",
    "CREATE TRIGGER tr_post_delivery_text BEFORE INSERT ON post_delivery"
    " FOR EACH ROW EXECUTE FUNCTION post_delivery_text()",
    # after the update, when the generated vector holds the new text
    """CREATE FUNCTION promoted_post_text() RETURNS trigger LANGUAGE plpgsql AS $$
    BEGIN
        UPDATE post_delivery SET text_search = NEW.text_search
        WHERE promoted_post_id = NEW.id;
        RETURN NULL;
    END $$""",
    "CREATE TRIGGER tr_promoted_post_text AFTER UPDATE OF text ON promoted_posts"
    " FOR EACH ROW WHEN (OLD.text IS DISTINCT FROM NEW.text)"
    " EXECUTE FUNCTION promoted_post_text()",
)


def upgrade() -> None:
    if op.get_bind().dialect.name != "postgresql":
        return
    for statement in COPY:
        op.execute(statement)
    for name, column in SORTED.items():
        op.execute(f"DROP INDEX {name}")
        op.execute(
            f"CREATE INDEX {name} ON post_delivery ({column}, promoted_post_id)"
            " INCLUDE (text_search)"
        )


def downgrade() -> None:
    if op.get_bind().dialect.name != "postgresql":
        return
    for name, column in SORTED.items():
        op.execute(f"DROP INDEX {name}")
        op.execute(f"CREATE INDEX {name} ON post_delivery ({column}, promoted_post_id)")
    op.execute("DROP TRIGGER tr_promoted_post_text ON promoted_posts")
    op.execute("DROP FUNCTION promoted_post_text()")
    op.execute("DROP TRIGGER tr_post_delivery_text ON post_delivery")
    op.execute("DROP FUNCTION post_delivery_text()")
    op.execute("ALTER TABLE post_delivery DROP COLUMN text_search")
