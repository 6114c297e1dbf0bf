"""Running Alembic migrations from code, so `adwarden init-db` needs no alembic.ini."""

from __future__ import annotations

from pathlib import Path

from alembic import command
from alembic.config import Config
from alembic.runtime.migration import MigrationContext
from alembic.script import ScriptDirectory
from sqlalchemy import Connection

from adwarden.store.engine import normalise_url

MIGRATIONS = Path(__file__).parent / "migrations"

# What only PostgreSQL has (an ad's text search vector, its copy beside the ad's delivery
# figures, kept by triggers and carried in the indexes that sort them, whether an ad is
# restricted, kept by triggers and with its own partial index, and expression indexes
# the models cannot describe portably): the migrations make them, and comparing the schema
# with the models leaves them out.
POSTGRES_ONLY_INDEXES = frozenset(
    {"ix_promoted_posts_text_search", "ix_campaigns_countries", "ix_promoted_posts_restricted"}
)
POSTGRES_ONLY_COLUMNS = frozenset(
    {
        ("promoted_posts", "text_search"),
        ("post_delivery", "text_search"),
        ("promoted_posts", "restricted"),
    }
)


def include_object(
    obj: object, name: str | None, type_: str, reflected: bool, compare_to: object
) -> bool:
    if type_ == "index":
        return name not in POSTGRES_ONLY_INDEXES
    if type_ == "column":
        table = getattr(getattr(obj, "table", None), "name", None)
        return (table, name) not in POSTGRES_ONLY_COLUMNS
    return True


def alembic_config(url: str) -> Config:
    config = Config()
    config.set_main_option("script_location", str(MIGRATIONS))
    # Percent signs in passwords would otherwise be read as interpolation.
    config.set_main_option("sqlalchemy.url", normalise_url(url).replace("%", "%%"))
    return config


def upgrade(url: str, revision: str = "head") -> None:
    command.upgrade(alembic_config(url), revision)


def head_revision() -> str:
    head = ScriptDirectory.from_config(alembic_config("sqlite://")).get_current_head()
    assert head is not None, "no migration revisions found"
    return head


def current_revision(connection: Connection) -> str | None:
    return MigrationContext.configure(connection).get_current_revision()
