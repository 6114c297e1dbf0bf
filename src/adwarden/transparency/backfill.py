"""Filling the transparency tables from what a database held before they existed (migration
0009): search keys for every advertiser name, delivery counters from the ledger, and the log
of every policy version and decision already published, in the order they were made.

Appeals were logged later. Their filings and answers from before are logged by the first
transaction that logs an appeal, and by `adwarden init-db` after it upgrades a database,
whichever comes first (`earlier_appeals`): no migration, which would have to run this
module's code against an older schema.
"""

from __future__ import annotations

from sqlalchemy import Connection, case, func, insert, select
from sqlalchemy.orm import Session

from adwarden.appeals.models import Appeal
from adwarden.domain.enums import AppealStatus, LedgerKind
from adwarden.enforcement.models import Decision
from adwarden.policy.models import PolicyVersion
from adwarden.registry.models import AdvertiserName, AdvertiserNameKey, search_keys
from adwarden.serving.models import LedgerEvent, PostDelivery
from adwarden.transparency.log import Item, append, lock
from adwarden.transparency.models import LogEntry
from adwarden.transparency.records import (
    APPEAL,
    APPEAL_ANSWER,
    APPEAL_KINDS,
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


def backfill(connection: Connection) -> None:
    rows = connection.execute(select(AdvertiserName.id, AdvertiserName.name)).all()
    keys = [{"key": key, "name_id": name_id} for name_id, name in rows for key in search_keys(name)]
    if keys:
        connection.execute(insert(AdvertiserNameKey), keys)
    impression = LedgerEvent.kind == LedgerKind.impression
    connection.execute(
        insert(PostDelivery).from_select(
            [
                "promoted_post_id",
                "first_shown_at",
                "last_shown_at",
                "impressions",
                "clicks",
                "spent_micros",
            ],
            select(
                LedgerEvent.promoted_post_id,
                func.min(LedgerEvent.at),
                func.max(LedgerEvent.at),
                func.sum(case((impression, 1), else_=0)),
                func.sum(case((impression, 0), else_=1)),
                func.sum(LedgerEvent.price_micros),
            ).group_by(LedgerEvent.promoted_post_id),
        )
    )
    with Session(bind=connection) as session:
        _log_published(session)


def _log_published(session: Session) -> None:
    versions = session.scalars(select(PolicyVersion).order_by(PolicyVersion.id)).all()
    decisions = session.scalars(select(Decision).order_by(Decision.id)).all()
    if not versions and not decisions:
        return
    numbers = {version.id: version.number for version in versions}
    personal = personal_names(session, {decision.advertiser_id for decision in decisions})
    made = sorted(
        [(v.created_at, 0, v.id, v) for v in versions]
        + [(d.created_at, 1, d.id, d) for d in decisions],
        key=lambda row: row[:3],
    )
    items = []
    for _, _, ident, record in made:
        if isinstance(record, PolicyVersion):
            items.append(
                Item(POLICY_VERSION, ident, leaf_data(POLICY_VERSION, ident, policy_record(record)))
            )
        else:
            data = decision_record(
                record,
                numbers[record.policy_version_id],
                personal=personal.get(record.advertiser_id, ()),
            )
            items.append(Item(STATEMENT, ident, leaf_data(STATEMENT, ident, data)))
    for decision in decisions:
        kind = STATUS_KINDS.get(decision.status)
        if kind is not None:
            items.append(
                Item(kind, decision.id, leaf_data(kind, decision.id, status_record(decision)))
            )
    append(session, items)


def earlier_appeals(session: Session) -> list[Item]:
    """When the log holds no appeal yet, the entries of every appeal's filing and answer in
    the database, in the order they were made: what was published before appeals were
    logged (this transaction's own appeals among them). Call it with the log locked
    (`log.lock`), so that no two transactions log them both."""
    logged = select(LogEntry.log_index).where(LogEntry.kind.in_(APPEAL_KINDS)).limit(1)
    if session.scalar(logged) is not None:
        return []
    rows = session.execute(
        select(Appeal, Decision).join(Decision, Decision.id == Appeal.decision_id)
    ).all()
    personal = personal_names(session, {decision.advertiser_id for _, decision in rows})
    made = []
    for appeal, decision in rows:
        filing = leaf_data(APPEAL, appeal.id, appeal_record(appeal))
        made.append((appeal.filed_at, 0, appeal.id, Item(APPEAL, appeal.id, filing)))
        if appeal.status is AppealStatus.decided:
            answer = leaf_data(APPEAL_ANSWER, appeal.id, answer_record(appeal, decision, personal))
            when = appeal.decided_at or appeal.filed_at
            made.append((when, 1, appeal.id, Item(APPEAL_ANSWER, appeal.id, answer)))
    return [item for *_, item in sorted(made, key=lambda row: row[:3])]


def log_earlier_appeals(session: Session) -> int:
    """Log `earlier_appeals`, if there are any; how many entries that made."""
    lock(session)
    items = earlier_appeals(session)
    if items:
        append(session, items)
    return len(items)
