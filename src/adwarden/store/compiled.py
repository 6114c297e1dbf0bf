"""Statements built once per shape and run many times, each time with its own values.

A public search runs the same few statements thousands of times a minute, only with other
values; building each one with SQLAlchemy for every request cost the API more CPU than
PostgreSQL spent running it. A statement is built once per shape (which filters, which
order, which step of a plan), with a named slot for each value, and kept. On PostgreSQL it
is compiled to SQL once too and run straight through the driver, its constants written in
(the planner sees them, as it sees a partial index's condition); elsewhere SQLAlchemy runs
it with its slots as bound parameters.
"""

from __future__ import annotations

import threading
from collections import OrderedDict
from collections.abc import Callable, Hashable, Mapping, Sequence
from typing import Any, cast

import psycopg
from sqlalchemy import ColumnElement, Select, bindparam, literal_column
from sqlalchemy.engine import Dialect
from sqlalchemy.orm import Session
from sqlalchemy.types import TypeEngine


class Slots:
    """Gives a statement being built its slots: each stands for the value of that name
    given when the statement runs."""

    def __init__(self, dialect: Dialect) -> None:
        self._dialect = dialect
        self._postgres = dialect.name == "postgresql"
        self.names: set[str] = set()

    def __call__(self, name: str, type_: TypeEngine[Any]) -> ColumnElement[Any]:
        self.names.add(name)
        if not self._postgres:
            return bindparam(name, type_=type_)
        # the driver's own placeholder, cast as SQLAlchemy casts its parameters
        spelled = self._dialect.type_compiler_instance.process(type_)
        return literal_column(f"%({name})s::{spelled}", type_)


Build = Callable[[Slots], Select[*tuple[Any, ...]]]


class Statements:
    """A process's statements of one kind, kept by shape; the least recently run are let go
    past `size`, so that shapes made of a user's input (how many words) cannot grow it."""

    def __init__(self, size: int = 512) -> None:
        self._size = size
        self._kept: OrderedDict[tuple[Hashable, ...], Select[*tuple[Any, ...]] | str] = (
            OrderedDict()
        )
        self._lock = threading.Lock()

    def rows(
        self,
        session: Session,
        shape: tuple[Hashable, ...],
        build: Build,
        values: Mapping[str, Any],
    ) -> Sequence[tuple[Any, ...]]:
        """The rows of the statement of this `shape`, built by `build` the first time, run
        with `values` (a value no slot asks for is left unused)."""
        dialect = session.get_bind().dialect
        key = (dialect.name, *shape)
        with self._lock:  # the API's worker threads share the store
            statement = self._kept.get(key)
            if statement is not None:
                self._kept.move_to_end(key)
        if statement is None:
            statement = self._compiled(dialect, build)
            with self._lock:
                self._kept[key] = statement
                if len(self._kept) > self._size:
                    self._kept.popitem(last=False)
        if isinstance(statement, str):
            driver = session.connection().connection.dbapi_connection
            connection = cast(psycopg.Connection[Any], driver)
            with connection.cursor() as cursor:
                cursor.execute(statement, values)
                return cursor.fetchall()
        return [tuple(row) for row in session.execute(statement, dict(values))]

    @staticmethod
    def _compiled(dialect: Dialect, build: Build) -> Select[*tuple[Any, ...]] | str:
        if dialect.name != "postgresql":
            return build(Slots(dialect))
        return driver_sql(dialect, build)


def driver_sql(dialect: Dialect, build: Build) -> str:
    """The statement `build` makes, as PostgreSQL SQL for the driver: its constants written
    in, its slots left as the driver's named placeholders."""
    slots = Slots(dialect)
    statement = build(slots)
    sql = str(statement.compile(dialect=dialect, compile_kwargs={"literal_binds": True}))
    for name in slots.names:  # written out as literal text, its % doubled
        sql = sql.replace(f"%%({name})s", f"%({name})s")
    return sql
