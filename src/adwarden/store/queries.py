"""Small query helpers every stage uses: fetch by id, paginate, apply a change set."""

from __future__ import annotations

import re
from collections.abc import Iterable
from datetime import date, datetime
from typing import Any, TypeVar

from sqlalchemy import ColumnElement, Select, any_, bindparam, func, select
from sqlalchemy.dialects.postgresql import ARRAY
from sqlalchemy.orm import Session

from adwarden.domain.errors import NotFoundError
from adwarden.store.base import Record

R = TypeVar("R", bound=Record)


def kind_of(model: type[object]) -> str:
    """`PromotedPost` -> `promoted post`, for messages."""
    return re.sub(r"(?<!^)(?=[A-Z])", " ", model.__name__).lower()


def among(session: Session, column: Any, values: Iterable[Any]) -> ColumnElement[bool]:
    """`column IN values`; on PostgreSQL `column = ANY(array)`, one parameter however many
    values, so a batch of thousands is neither spelled out nor parsed again."""
    if session.get_bind().dialect.name == "postgresql":
        array = bindparam(None, list(values), type_=ARRAY(column.type))
        condition: ColumnElement[bool] = column == any_(array)
    else:
        condition = column.in_(list(values))
    return condition


def get(session: Session, model: type[R], ident: int) -> R:
    found = session.get(model, ident)
    if found is None:
        raise NotFoundError(kind_of(model), ident)
    return found


def page(session: Session, query: Select[R], offset: int, limit: int) -> tuple[list[R], int]:
    """One page of results and the total count, in the query's order."""
    total = session.scalar(select(func.count()).select_from(query.order_by(None).subquery())) or 0
    return list(session.scalars(query.offset(offset).limit(limit))), total


def backdated(at: datetime | None) -> dict[str, datetime]:
    """Timestamps for a record that came into being before it was stored (scenarios, imports)."""
    return {"created_at": at, "updated_at": at} if at else {}


def apply_changes(target: object, values: dict[str, Any]) -> dict[str, Any]:
    """Set the attributes that differ; return `{field: [old, new]}` for the audit row."""
    changes: dict[str, Any] = {}
    for field, new in values.items():
        old = getattr(target, field)
        if old != new:
            setattr(target, field, new)
            changes[field] = [_jsonable(old), _jsonable(new)]
    return changes


def _jsonable(value: object) -> object:
    if isinstance(value, datetime | date):
        return value.isoformat()
    if isinstance(value, list | str | int | float | bool) or value is None:
        return value
    return str(value)
