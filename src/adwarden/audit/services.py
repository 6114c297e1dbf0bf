"""Recording audit events, and the guard that makes forgetting one impossible."""

from __future__ import annotations

import re
from typing import Any, Protocol

from sqlalchemy import event, select
from sqlalchemy.orm import Session, UOWTransaction

from adwarden.audit.models import AuditEvent
from adwarden.domain.actors import Actor

_WORD = re.compile(r"^[a-z][a-z_]*$")
_AUDITED = "adwarden.audit.recorded"


class UnauditedChangeError(RuntimeError):
    """A transaction tried to change stored state without recording who and why."""


class DeletionRefusedError(RuntimeError):
    """Nothing is deleted: end, supersede or revoke a record instead."""


def record(
    session: Session,
    actor: Actor,
    subject_type: str,
    verb: str,
    subject_id: int | str | None,
    *,
    reason: str | None = None,
    changes: dict[str, Any] | None = None,
) -> AuditEvent:
    """Add an audit row to the session's transaction; it commits or rolls back with the change.

    The action tag is `source:subject:verb`, e.g. `api:campaign:create`.
    """
    for part in (subject_type, verb):
        if not _WORD.match(part):
            raise ValueError(f"audit tag part {part!r} must be lower-case letters and underscores")
    entry = AuditEvent(
        actor=actor.label,
        actor_user_id=actor.user_id,
        action=f"{actor.source}:{subject_type}:{verb}",
        subject_type=subject_type,
        subject_id=None if subject_id is None else str(subject_id),
        reason=reason,
        changes=changes or {},
    )
    session.add(entry)
    session.info[_AUDITED] = True
    return entry


class _HasId(Protocol):
    id: Any


def record_created(
    session: Session,
    actor: Actor,
    subject_type: str,
    subject: _HasId,
    *,
    reason: str | None = None,
    changes: dict[str, Any] | None = None,
) -> AuditEvent:
    """Add a new record with its `create` audit row, and flush so the row names its id."""
    session.add(subject)
    entry = record(session, actor, subject_type, "create", None, reason=reason, changes=changes)
    session.flush()
    entry.subject_id = str(subject.id)
    return entry


def events_for(session: Session, subject_type: str, subject_id: int | str) -> list[AuditEvent]:
    query = (
        select(AuditEvent)
        .where(AuditEvent.subject_type == subject_type, AuditEvent.subject_id == str(subject_id))
        .order_by(AuditEvent.id)
    )
    return list(session.scalars(query))


@event.listens_for(Session, "before_flush")
def _require_audit(session: Session, _context: UOWTransaction, _instances: object) -> None:
    if session.deleted:
        names = sorted({type(obj).__name__ for obj in session.deleted})
        raise DeletionRefusedError(f"refused to delete {', '.join(names)}: nothing is deleted")
    changed = [
        obj
        for obj in (*session.new, *session.dirty)
        if not isinstance(obj, AuditEvent) and session.is_modified(obj)
    ]
    if changed and not session.info.get(_AUDITED):
        names = sorted({type(obj).__name__ for obj in changed})
        raise UnauditedChangeError(
            f"change to {', '.join(names)} without an audit record: call audit.record() first"
        )


@event.listens_for(Session, "after_commit")
@event.listens_for(Session, "after_rollback")
def _reset(session: Session) -> None:
    session.info.pop(_AUDITED, None)
