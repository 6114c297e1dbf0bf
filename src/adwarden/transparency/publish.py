"""Publication into the log happens in the flush that writes the record, so that no decision,
status change or policy version can reach the database without its log entry, whatever code
path made it (the audit guard's approach, for the public record)."""

from __future__ import annotations

from sqlalchemy import event, inspect, select
from sqlalchemy.orm import Session, UOWTransaction

from adwarden.enforcement.models import Decision
from adwarden.policy.models import PolicyVersion
from adwarden.store.base import utcnow
from adwarden.transparency.log import Item, append
from adwarden.transparency.records import (
    POLICY_VERSION,
    STATEMENT,
    STATUS_KINDS,
    decision_record,
    leaf_data,
    policy_record,
    status_record,
)


def _policy_number(session: Session, version_id: int) -> int:
    number = session.connection().execute(
        select(PolicyVersion.number).where(PolicyVersion.id == version_id)
    )
    return int(number.scalar_one())


def _status_changed(decision: Decision) -> bool:
    return decision.status in STATUS_KINDS and bool(inspect(decision).attrs.status.history.added)


@event.listens_for(Session, "after_flush")
def _publish(session: Session, _context: UOWTransaction) -> None:
    items: list[Item] = []
    for obj in session.new:
        if isinstance(obj, PolicyVersion):
            items.append(
                Item(POLICY_VERSION, obj.id, leaf_data(POLICY_VERSION, obj.id, policy_record(obj)))
            )
    for obj in sorted((o for o in session.new if isinstance(o, Decision)), key=lambda d: d.id):
        record = decision_record(obj, _policy_number(session, obj.policy_version_id))
        items.append(Item(STATEMENT, obj.id, leaf_data(STATEMENT, obj.id, record)))
    for obj in sorted(
        (
            o
            for o in (*session.new, *session.dirty)
            if isinstance(o, Decision) and _status_changed(o)
        ),
        key=lambda d: d.id,
    ):
        kind = STATUS_KINDS[obj.status]
        items.append(Item(kind, obj.id, leaf_data(kind, obj.id, status_record(obj))))
    if items:
        append(session, items, utcnow())
