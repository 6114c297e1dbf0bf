"""the ads repository's status searches: on PostgreSQL each ad says whether it is restricted
(the ad rejected, its campaign held, or its account barred from ads), and the restricted
ads have their own index down the ids

Before, every status search tested each ad it read against the held campaigns and barred
accounts, hashing all of them first: ~2.5 ms per statement with 10,000 held campaigns,
before the first row. A search for restricted ads walked the whole repository for them.

The flag is kept by the database: an ad's is set when it is made or its status changes, and
a campaign held or released, or an account barred or restored, sets its ads' flags.

Revision ID: 0015_restricted_ads
Revises: 0014_delivered_text
Create Date: 2026-12-06 17:40:00
"""

from collections.abc import Sequence

from alembic import op

revision: str = "0015_restricted_ads"
down_revision: str | None = "0014_delivered_text"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

# ads.AdStatus.restricted, as `ads._status_of` says it in Python
RESTRICTED = """CREATE FUNCTION promoted_post_restricted(status text, campaign integer, account integer)
    RETURNS boolean LANGUAGE sql STABLE AS $$
    SELECT status = 'rejected'
        OR EXISTS (SELECT 1 FROM campaigns WHERE id = campaign AND held)
        OR EXISTS (SELECT 1 FROM accounts WHERE id = account AND NOT ads_eligible)
$$"""


def _flags(owner: str, column: str) -> tuple[str, str]:
    """A trigger that sets the flags of an `owner`'s ads (a campaign's, an account's) when its
    `column` changes: only of those whose flag it changes, each a row written again."""
    # names from this module, not input
    function = f"""CREATE FUNCTION {owner}_flags() RETURNS trigger LANGUAGE plpgsql AS $$
    BEGIN
        UPDATE promoted_posts
        SET restricted = promoted_post_restricted(status, campaign_id, account_id)
        WHERE {owner}_id = NEW.id
            AND restricted IS DISTINCT FROM
                promoted_post_restricted(status, campaign_id, account_id);
        RETURN NULL;
    END $$"""  # noqa: S608
    trigger = (
        f"CREATE TRIGGER tr_{owner}_flags AFTER UPDATE OF {column} ON {owner}s"
        f" FOR EACH ROW WHEN (OLD.{column} IS DISTINCT FROM NEW.{column})"
        f" EXECUTE FUNCTION {owner}_flags()"
    )
    return function, trigger


UP = (
    RESTRICTED,
    # with a default the column is added without writing a row, and only the restricted ads
    # are written: an ad rewritten is one whose kept export lines are stale
    "ALTER TABLE promoted_posts ADD COLUMN restricted boolean NOT NULL DEFAULT false",
    "UPDATE promoted_posts SET restricted = true"
    " WHERE promoted_post_restricted(status, campaign_id, account_id)",
    # a row loaded with triggers off (session_replication_role = replica) is then refused
    # rather than left unflagged, which a status search would silently get wrong
    "ALTER TABLE promoted_posts ALTER COLUMN restricted DROP DEFAULT",
    "CREATE INDEX ix_promoted_posts_restricted ON promoted_posts (id) WHERE restricted",
    # A hold or a bar being written cannot see an ad made (or moved) meanwhile, nor this
    # trigger the hold: it waits for the campaign and the account (FOR SHARE conflicts with
    # their update) and reads them as committed. An ad changed in place needs no wait: the
    # hold's own update of it waits for this one, and reads it again.
    """CREATE FUNCTION promoted_post_flag() RETURNS trigger LANGUAGE plpgsql AS $$
    DECLARE
        placed boolean := TG_OP = 'INSERT';
    BEGIN
        IF NOT placed THEN
            placed := NEW.campaign_id IS DISTINCT FROM OLD.campaign_id
                OR NEW.account_id IS DISTINCT FROM OLD.account_id;
        END IF;
        IF placed THEN
            PERFORM 1 FROM campaigns WHERE id = NEW.campaign_id FOR SHARE;
            PERFORM 1 FROM accounts WHERE id = NEW.account_id FOR SHARE;
        END IF;
        NEW.restricted := promoted_post_restricted(NEW.status, NEW.campaign_id, NEW.account_id);
        RETURN NEW;
    END $$""",
    "CREATE TRIGGER tr_promoted_post_flag"
    " BEFORE INSERT OR UPDATE OF status, campaign_id, account_id ON promoted_posts"
    " FOR EACH ROW EXECUTE FUNCTION promoted_post_flag()",
    # after the update, when promoted_post_restricted reads the campaign or account as it is
    *_flags("campaign", "held"),
    *_flags("account", "ads_eligible"),
)

DOWN = (
    "DROP TRIGGER tr_account_flags ON accounts",
    "DROP FUNCTION account_flags()",
    "DROP TRIGGER tr_campaign_flags ON campaigns",
    "DROP FUNCTION campaign_flags()",
    "DROP TRIGGER tr_promoted_post_flag ON promoted_posts",
    "DROP FUNCTION promoted_post_flag()",
    "DROP INDEX ix_promoted_posts_restricted",
    "ALTER TABLE promoted_posts DROP COLUMN restricted",
    "DROP FUNCTION promoted_post_restricted(text, integer, integer)",
)


def upgrade() -> None:
    if op.get_bind().dialect.name != "postgresql":
        return
    for statement in UP:
        op.execute(statement)


def downgrade() -> None:
    if op.get_bind().dialect.name != "postgresql":
        return
    for statement in DOWN:
        op.execute(statement)
