"""Filling the transparency tables from what a database held before they existed (migration
0009): search keys for every advertiser name, delivery counters from the ledger, and the log
of every policy version and decision already published, in the order they were made."""

from __future__ import annotations

from sqlalchemy import Connection, case, func, insert, select
from sqlalchemy.orm import Session

from adwarden.domain.enums import LedgerKind
from adwarden.enforcement.models import Decision
from adwarden.policy.models import PolicyVersion
from adwarden.registry.models import AdvertiserName, AdvertiserNameKey, search_keys
from adwarden.serving.models import LedgerEvent, PostDelivery
from adwarden.transparency.log import Item, append
from adwarden.transparency.records import (
    POLICY_VERSION,
    STATEMENT,
    STATUS_KINDS,
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
