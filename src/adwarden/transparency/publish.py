"""Publication into the log happens in the transaction that writes the record, so that no
decision, status change, policy version, appeal or appeal answer can reach the database
without its log entry, whatever code path made it (the audit guard's approach, for the
public record).

Flushes only collect what was published; the entries are appended just before the commit,
from the records as they are then. So the log's lock is held for an instant at the end of
the transaction, never while other rows are being locked (no lock-order deadlocks), and each
tree head is signed under that lock, so timestamps grow with the log. A savepoint rolled back
takes its records with it: only rows still in the session are logged.

After the log, the same hook renders the bulk exports' lines of every decision written, or
whose appeals were, in the transaction (`exports.refresh_decisions`), so an export streams
them as kept, and forgets the kept lines of the ads under those decisions
(`exports.forget_ads`). That is a cache: if rendering fails, the lines are not kept (the
failure is logged) and the decision is published all the same. Rendering writes nothing
until every line is made, so a failure leaves the transaction as it was.
"""

from __future__ import annotations

import logging
from typing import Any

from sqlalchemy import event, inspect, select
from sqlalchemy.exc import SQLAlchemyError
from sqlalchemy.orm import InstanceState, Session, UOWTransaction

from adwarden.appeals.models import Appeal
from adwarden.domain.enums import AppealStatus
from adwarden.enforcement.live import judge_changes
from adwarden.enforcement.models import Decision
from adwarden.policy.models import PolicyVersion
from adwarden.transparency.backfill import earlier_appeals
from adwarden.transparency.exports import forget_ads, refresh_decisions
from adwarden.transparency.log import Item, append, lock
from adwarden.transparency.models import LogEntry
from adwarden.transparency.records import (
    APPEAL,
    APPEAL_ANSWER,
    POLICY_VERSION,
    STATEMENT,
    STATUS_KINDS,
    answer_record,
    appeal_record,
    decision_record,
    leaf_data,
    personal_names,
    policy_record,
    status_record,
)

_PENDING = "adwarden.transparency.pending"
_log = logging.getLogger(__name__)
_STATUS_FIELDS = ("status", "status_reason", "superseded_by")
_ANSWER_FIELDS = ("status", "outcome", "answer", "points", "decided_at", "new_decision_id")


class _Pending:
    def __init__(self) -> None:
        self.policies: dict[int, PolicyVersion] = {}
        self.statements: dict[int, Decision] = {}
        self.statuses: dict[int, Decision] = {}
        self.appeals: dict[int, Appeal] = {}  # filed
        self.answers: dict[int, Appeal] = {}
        self.changed: set[int] = set()  # decisions written, or whose appeals were


def _touched(obj: Decision | Appeal, fields: tuple[str, ...]) -> bool:
    state: InstanceState[Any] = inspect(obj)
    return any(state.attrs[name].history.added for name in fields)


@event.listens_for(Session, "after_flush")
def _collect(session: Session, _context: UOWTransaction) -> None:
    pending = session.info.get(_PENDING)
    for obj in (*session.new, *session.dirty):
        if not isinstance(obj, Decision | PolicyVersion | Appeal):
            continue
        if pending is None:
            pending = session.info[_PENDING] = _Pending()
        if isinstance(obj, Appeal):
            pending.changed.add(obj.decision_id)
            if obj in session.new:
                pending.appeals[obj.id] = obj
            if obj.status is AppealStatus.decided and (
                obj in session.new or _touched(obj, _ANSWER_FIELDS)
            ):
                pending.answers[obj.id] = obj
            continue
        if isinstance(obj, PolicyVersion):
            if obj in session.new:
                pending.policies[obj.id] = obj
            continue
        pending.changed.add(obj.id)
        if obj in session.new:
            pending.statements[obj.id] = obj
            if obj.status in STATUS_KINDS:
                pending.statuses[obj.id] = obj
        elif _touched(obj, _STATUS_FIELDS):
            pending.statuses[obj.id] = obj


def _alive(obj: object) -> bool:
    return bool(inspect(obj).persistent)


def _last_entry(session: Session, kinds: list[str], subject_id: int) -> str | None:
    return session.scalar(
        select(LogEntry.payload)
        .where(LogEntry.subject_id == subject_id, LogEntry.kind.in_(kinds))
        .order_by(LogEntry.log_index.desc())
        .limit(1)
    )


def _policy_number(session: Session, version_id: int) -> int:
    number = session.execute(select(PolicyVersion.number).where(PolicyVersion.id == version_id))
    return int(number.scalar_one())


@event.listens_for(Session, "before_commit")
def _publish(session: Session) -> None:
    # the judge's decisions first, whatever order the listeners were installed in: they are
    # published in this transaction too
    judge_changes(session)
    session.flush()  # what is still pending is collected by the flush
    pending: _Pending | None = session.info.pop(_PENDING, None)
    if pending is None:
        return
    items: list[Item] = []
    for version_id, version in sorted(pending.policies.items()):
        if _alive(version):
            record = policy_record(version)
            items.append(
                Item(POLICY_VERSION, version_id, leaf_data(POLICY_VERSION, version_id, record))
            )
    for decision_id, decision in sorted(pending.statements.items()):
        if _alive(decision):
            record = decision_record(
                decision,
                _policy_number(session, decision.policy_version_id),
                personal=personal_names(session, [decision.advertiser_id]).get(
                    decision.advertiser_id, ()
                ),
            )
            items.append(Item(STATEMENT, decision_id, leaf_data(STATEMENT, decision_id, record)))
    for decision_id, decision in sorted(pending.statuses.items()):
        if not _alive(decision) or decision.status not in STATUS_KINDS:
            continue
        kind = STATUS_KINDS[decision.status]
        data = leaf_data(kind, decision_id, status_record(decision))
        if _last_entry(session, [*STATUS_KINDS.values()], decision_id) != data.decode():
            items.append(Item(kind, decision_id, data))  # no entry twice
    items += _appeal_items(session, pending)
    if items:
        append(session, items)
    forget_ads(session, pending.changed)  # an ad's kept lines list the decisions on it
    try:
        refresh_decisions(session, pending.changed)
    except SQLAlchemyError:
        raise  # the transaction itself failed
    except Exception:
        # the export renders what it finds no line for: publication must not wait on it
        _log.exception("export lines not kept for decisions %s", sorted(pending.changed))


def _appeal_items(session: Session, pending: _Pending) -> list[Item]:
    items: list[Item] = []
    for appeal_id, appeal in sorted(pending.appeals.items()):
        if _alive(appeal):
            items.append(
                Item(APPEAL, appeal_id, leaf_data(APPEAL, appeal_id, appeal_record(appeal)))
            )
    for appeal_id, appeal in sorted(pending.answers.items()):
        if not _alive(appeal) or appeal.status is not AppealStatus.decided:
            continue
        decision = session.get_one(Decision, appeal.decision_id)
        personal = personal_names(session, [decision.advertiser_id])
        data = leaf_data(APPEAL_ANSWER, appeal_id, answer_record(appeal, decision, personal))
        if _last_entry(session, [APPEAL_ANSWER], appeal_id) != data.decode():
            items.append(Item(APPEAL_ANSWER, appeal_id, data))
    if not items:
        return items
    # the first appeal a database logs brings every earlier one with it, this one included
    lock(session)
    return earlier_appeals(session) or items


@event.listens_for(Session, "after_rollback")
def _forget(session: Session) -> None:
    # a savepoint rolled back leaves the transaction's earlier records to publish; its own
    # are no longer alive, and `_alive` leaves them out
    if not session.in_nested_transaction():
        session.info.pop(_PENDING, None)
