"""Database engine, sessions, the shared declarative base and Alembic migrations.

Stages define their own tables on `Base`; this package knows none of them
except to import them all for migrations (`store.metadata`).
"""
