"""Alembic environment: runs against the URL `store.migrate` puts in the config."""

from alembic import context

from adwarden.models import metadata
from adwarden.store.engine import make_engine
from adwarden.store.migrate import include_object

url = context.config.get_main_option("sqlalchemy.url") or ""
assert url, "store.migrate sets sqlalchemy.url"


def run_offline() -> None:
    context.configure(url=url, target_metadata=metadata, literal_binds=True, render_as_batch=True)
    with context.begin_transaction():
        context.run_migrations()


def run_online() -> None:
    engine = make_engine(url)
    with engine.connect() as connection:
        # Batch mode lets later ALTERs run on SQLite, which cannot alter most constraints.
        context.configure(
            connection=connection,
            target_metadata=metadata,
            render_as_batch=True,
            include_object=include_object,
        )
        with context.begin_transaction():
            context.run_migrations()
    engine.dispose()


if context.is_offline_mode():
    run_offline()
else:
    run_online()
