"""The public decisions database: every statement of reasons, as published, searchable.

A decision is public from the moment it is made; what it shows is the record the log holds
(no staff names, no natural person's name from a list) plus its current status, its clause as
it stood in its policy version, the DSA statement fields, and its appeals and their answers
(each as its own log entries hold it).
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field, replace
from datetime import UTC, date, datetime, time, timedelta
from typing import Any

from sqlalchemy import ColumnElement, Integer, Select, String, and_, false, func, or_, select
from sqlalchemy.orm import Session

from adwarden import settings
from adwarden.appeals.models import Appeal
from adwarden.domain.enums import (
    AppealStatus,
    DecisionStatus,
    GroundKind,
    Outcome,
    SubjectLevel,
)
from adwarden.enforcement.models import Decision
from adwarden.enforcement.statement import statement_of_reasons
from adwarden.policy.document import Clause
from adwarden.policy.models import PolicyVersion
from adwarden.policy.services import policy_of
from adwarden.registry.models import Account, Advertiser
from adwarden.serving.models import Campaign, PromotedPost
from adwarden.store.base import UTCDateTime
from adwarden.store.compiled import Slots, Statements
from adwarden.store.queries import among
from adwarden.transparency.models import LogEntry
from adwarden.transparency.names import name_values, named
from adwarden.transparency.records import (
    APPEAL,
    APPEAL_ANSWER,
    STATEMENT,
    STATUS_KINDS,
    WITHHELD_NAME,
    answer_record,
    decision_record,
    personal_names,
    stamp,
    status_record,
)

# Counting every match of a broad filter over millions of rows costs more than the page
# (make bench-transparency): matches are counted to COUNT_AHEAD past the page's start, so a
# total reads "more than" until the reader comes near it. Searches page to SEARCH_DEPTH; the
# rest is in the bulk exports.
COUNT_AHEAD = 100
SEARCH_DEPTH = 1_000


def count_cap(offset: int) -> int:
    return offset + COUNT_AHEAD


@dataclass(frozen=True)
class DecisionFilters:
    advertiser: str | None = None  # a name in any script
    clause: str | None = None
    outcome: Outcome | None = None
    level: SubjectLevel | None = None
    ground: GroundKind | None = None
    automated: bool | None = None
    status: DecisionStatus | None = None
    since: date | None = None
    until: date | None = None
    newest_first: bool = True


@dataclass(frozen=True)
class Page:
    items: Sequence[Any]
    total: int  # counted to count_cap(offset) + 1: "more than" the cap
    offset: int
    limit: int

    @property
    def cap(self) -> int:
        return count_cap(self.offset)

    @property
    def more_than_cap(self) -> bool:
        return self.total > self.cap

    @property
    def shown_total(self) -> int:
        """The total to show: the count, or the cap it went past."""
        return min(self.total, self.cap)


def day_start(day: date) -> datetime:
    return datetime.combine(day, time(), tzinfo=UTC)


@dataclass(frozen=True)
class Version:
    """A published policy version as the public pages cite it."""

    id: int
    number: int
    clauses: dict[str, Clause]


_VERSIONS: dict[tuple[int, str], Version] = {}


def clauses_of(version: PolicyVersion) -> dict[str, Clause]:
    """A version's clauses by id; versions never change, so each is compiled once."""
    key = (version.id, version.content_hash)
    if key not in _VERSIONS:
        clauses = {item.clause.id: item.clause for item in policy_of(version).clauses}
        _VERSIONS[key] = Version(version.id, version.number, clauses)
    return _VERSIONS[key].clauses


def versions_by_id(session: Session, ids: Iterable[int] | None) -> dict[int, Version]:
    """The versions `ids` (None: every version); a document is read and compiled only the
    first time its version (id and content hash: a process may see more than one database)
    is asked for."""
    keyed: Select[*tuple[Any, ...]] = select(PolicyVersion.id, PolicyVersion.content_hash)
    if ids is None:
        keys = _STATEMENTS.rows(session, ("versions",), lambda _: keyed, {})
    else:
        wanted = set(ids)
        if not wanted:
            return {}
        keys = session.execute(keyed.where(PolicyVersion.id.in_(wanted))).all()
    unknown = [version_id for version_id, digest in keys if (version_id, digest) not in _VERSIONS]
    if unknown:
        for version in session.scalars(select(PolicyVersion).where(PolicyVersion.id.in_(unknown))):
            clauses_of(version)
    return {version_id: _VERSIONS[(version_id, digest)] for version_id, digest in keys}


def _ground_pairs(session: Session, ground: GroundKind) -> tuple[tuple[int, str], ...]:
    """The (policy version, clause) pairs whose clause rests on `ground`."""
    return tuple(
        (version.id, clause.id)
        for version in versions_by_id(session, None).values()
        for clause in version.clauses.values()
        if clause.ground.kind is ground
    )


# every search's statements, by shape (`_Shape`)
_STATEMENTS = Statements()
_WHEN = UTCDateTime()


@dataclass(frozen=True)
class _Shape:
    """What picks a search's statements: which filters it has, and their values where a
    few values make a few shapes (the planner sees them written in); the rest are slots."""

    names: int | None
    clause: bool
    outcome: Outcome | None
    level: SubjectLevel | None
    ground: tuple[tuple[int, str], ...] | None
    automated: bool | None
    status: DecisionStatus | None
    since: bool
    until: bool
    newest_first: bool

    def conditions(self, slot: Slots) -> list[ColumnElement[bool]]:
        found: list[ColumnElement[bool]] = []
        if self.names is not None:
            found += named(Decision.advertiser_id, self.names, slot)
        if self.clause:
            found.append(Decision.clause_id == slot("clause", String()))
        if self.outcome:
            found.append(Decision.outcome == self.outcome)
        if self.level:
            found.append(Decision.level == self.level)
        if self.ground is not None:
            pairs = [
                and_(Decision.policy_version_id == version, Decision.clause_id == clause)
                for version, clause in self.ground
            ]
            found.append(or_(*pairs) if pairs else false())
        if self.automated is not None:
            found.append(Decision.automated_decision == self.automated)
        if self.status:
            found.append(Decision.status == self.status)
        if self.since:
            found.append(Decision.starts_at >= slot("since", _WHEN))
        if self.until:
            found.append(Decision.starts_at < slot("until", _WHEN))
        return found

    def counted(self, slot: Slots) -> Select[Any]:
        matched = select(Decision.id).where(*self.conditions(slot))
        limited = matched.limit(slot("cap", Integer())).subquery()
        return select(func.count()).select_from(limited)

    def page(self, few: bool, slot: Slots) -> Select[Any]:
        found = select(Decision.id, Decision.starts_at).where(*self.conditions(slot))
        # a few are sorted after all are fetched: OFFSET 0 keeps the planner from walking the
        # date index past rows that do not match. Without it the subquery is pulled up, and
        # many are walked in date order.
        rows = (found.offset(0) if few else found).subquery()
        order = (
            (rows.c.starts_at.desc(), rows.c.id.desc())
            if self.newest_first
            else (rows.c.starts_at, rows.c.id)
        )
        down = select(rows.c.id).order_by(*order)
        return down.offset(slot("offset", Integer())).limit(slot("limit", Integer()))


def _shape(session: Session, filters: DecisionFilters) -> tuple[_Shape, dict[str, Any]]:
    values: dict[str, Any] = {}
    names = None
    if filters.advertiser:
        names, named_values = name_values(filters.advertiser)
        values |= named_values
    if filters.clause:
        values["clause"] = filters.clause
    if filters.since:
        values["since"] = day_start(filters.since)
    if filters.until and filters.until < date.max:  # inclusive: the whole day
        values["until"] = day_start(filters.until + timedelta(days=1))
    shape = _Shape(
        names=names,
        clause=bool(filters.clause),
        outcome=filters.outcome,
        level=filters.level,
        ground=_ground_pairs(session, filters.ground) if filters.ground else None,
        automated=filters.automated,
        status=filters.status,
        since="since" in values,
        until="until" in values,
        newest_first=filters.newest_first,
    )
    return shape, values


def search(session: Session, filters: DecisionFilters, *, offset: int, limit: int) -> Page:
    """One page of matching decisions, as `Decision`s."""
    found = find(session, filters, offset=offset, limit=limit)
    return replace(found, items=decisions_by_id(session, found.items))


def decisions_by_id(session: Session, ids: Sequence[int]) -> list[Decision]:
    """These decisions, in the order of `ids`."""
    if not ids:
        return []
    by_id = {
        d.id: d for d in session.scalars(select(Decision).where(among(session, Decision.id, ids)))
    }
    return [by_id[decision_id] for decision_id in ids]


def find(session: Session, filters: DecisionFilters, *, offset: int, limit: int) -> Page:
    """One page of matching decisions' ids. The capped count comes first (from the filters'
    index) because it tells which plan fits: a few matches are fetched through that index
    and sorted; many are walked in date order until the page is full."""
    shape, values = _shape(session, filters)
    cap = count_cap(offset)
    total = int(
        _STATEMENTS.rows(session, (shape,), shape.counted, {**values, "cap": cap + 1})[0][0]
    )
    if total == 0:
        return Page([], 0, offset, limit)
    few = total <= cap
    ids = _STATEMENTS.rows(
        session,
        (shape, few),
        lambda slot: shape.page(few, slot),
        {**values, "offset": offset, "limit": limit},
    )
    return Page([row[0] for row in ids], total, offset, limit)


@dataclass(frozen=True)
class PublicAppeal:
    """An appeal as its log entries hold it (`records.appeal_record`, `answer_record`)."""

    id: int
    filed_at: datetime
    due_at: datetime
    status: str
    outcome: str | None
    decided_at: datetime | None
    answer: str | None
    points: list[dict[str, str]]  # argument (when the advertiser is an organisation), answer
    new_decision_id: int | None
    filing_index: int | None = None
    answer_index: int | None = None


@dataclass(frozen=True)
class PublicDecision:
    decision: Decision
    advertiser_name: str
    clause: Clause
    policy_number: int
    clause_path: str  # the clause as it stood in the decision's policy version
    record: dict[str, Any]
    status_record: dict[str, Any] | None
    statement: dict[str, Any]
    appeals: list[PublicAppeal] = field(default_factory=list)
    statement_index: int | None = None
    status_index: int | None = None

    @property
    def path(self) -> str:
        return f"/decisions/{self.decision.id}"

    @property
    def ground(self) -> GroundKind:
        return self.clause.ground.kind

    def as_json(self) -> dict[str, Any]:
        """The public record of the decision, as the API and the exports give it."""
        decision = self.decision
        base = settings.public_url()
        return {
            "id": decision.id,
            "puid": self.statement["puid"],
            "url": base + self.path,
            "advertiser": {"id": decision.advertiser_id, "name": self.advertiser_name},
            "subject": {"level": decision.level.value, "label": self.record["subject"]},
            "outcome": decision.outcome.value,
            "clause": {
                "id": self.clause.id,
                "title": self.clause.title,
                "policy_version": self.policy_number,
                "url": base + self.clause_path,
                "ground": self.ground.value,
                "dsa_category": self.clause.dsa_category.value,
            },
            "facts_summary": self.record["facts_summary"],
            "evidence": self.record["evidence"],
            "automated_detection": decision.automated_detection,
            "automated_decision": decision.automated_decision,
            "starts_at": stamp(decision.starts_at),
            "ends_at": stamp(decision.ends_at),
            "territorial_scope": decision.territorial_scope,
            "status": decision.status.value,
            "status_reason": decision.status_reason,
            "superseded_by": decision.superseded_by,
            "appeals": [
                {
                    "id": appeal.id,
                    "filed_at": stamp(appeal.filed_at),
                    "due_at": stamp(appeal.due_at),
                    "status": appeal.status,
                    "outcome": appeal.outcome,
                    "decided_at": stamp(appeal.decided_at),
                    "answer": appeal.answer,
                    "points": appeal.points,
                    "new_decision_id": appeal.new_decision_id,
                    "log": {
                        "filing_index": appeal.filing_index,
                        "answer_index": appeal.answer_index,
                    },
                }
                for appeal in self.appeals
            ],
            "statement": self.statement,
            "log": {
                "record": self.record,
                "status_record": self.status_record,
                "statement_index": self.statement_index,
                "status_index": self.status_index,
            },
        }


def _public_appeal(
    appeal: Appeal,
    decision: Decision,
    personal: dict[int, list[str]],
    indexes: dict[tuple[str, int], int],
) -> PublicAppeal:
    # what is shown of the answer is its log record, so the two can only differ by a change
    # made since (which `log check` and `log verify` name)
    answer = (
        answer_record(appeal, decision, personal) if appeal.status is AppealStatus.decided else None
    )
    return PublicAppeal(
        id=appeal.id,
        filed_at=appeal.filed_at,
        due_at=appeal.due_at,
        status=appeal.status.value,
        outcome=answer["outcome"] if answer else None,
        decided_at=appeal.decided_at if answer else None,
        answer=answer["answer"] if answer else None,
        points=answer["points"] if answer else [],
        new_decision_id=answer["new_decision_id"] if answer else None,
        filing_index=indexes.get((APPEAL, appeal.id)),
        answer_index=indexes.get((APPEAL_ANSWER, appeal.id)),
    )


def _log_indexes(
    session: Session, decision_ids: list[int], appeal_ids: list[int]
) -> dict[tuple[str, int], int]:
    """Each decision's statement entry and its latest status entry; each appeal's filing
    and its latest answer entry."""
    wanted = [
        and_(
            among(session, LogEntry.subject_id, decision_ids),
            LogEntry.kind.in_([STATEMENT, *STATUS_KINDS.values()]),
        )
    ]
    if appeal_ids:
        wanted.append(
            and_(
                among(session, LogEntry.subject_id, appeal_ids),
                LogEntry.kind.in_([APPEAL, APPEAL_ANSWER]),
            )
        )
    rows = session.execute(
        select(LogEntry.kind, LogEntry.subject_id, func.max(LogEntry.log_index))
        .where(or_(*wanted))
        .group_by(LogEntry.kind, LogEntry.subject_id)
    ).all()
    found: dict[tuple[str, int], int] = {}
    for kind, subject_id, index in rows:
        key = ("status" if kind in STATUS_KINDS.values() else kind, subject_id)
        found[key] = max(found.get(key, -1), index)
    return found


_SUBJECT_TABLES: dict[SubjectLevel, Any] = {
    SubjectLevel.advertiser: Advertiser,
    SubjectLevel.account: Account,
    SubjectLevel.campaign: Campaign,
    SubjectLevel.post: PromotedPost,
}


def _content_dates(
    session: Session, decisions: Sequence[Decision]
) -> dict[tuple[SubjectLevel, int], datetime]:
    """When each decision's subject came into being (the DSA's content date)."""
    found: dict[tuple[SubjectLevel, int], datetime] = {}
    for level, table in _SUBJECT_TABLES.items():
        ids = {d.subject_id for d in decisions if d.level is level}
        if ids:
            rows = session.execute(
                select(table.id, table.created_at).where(among(session, table.id, ids))
            )
            found.update(((level, subject_id), created) for subject_id, created in rows)
    return found


def public_decisions(session: Session, decisions: Sequence[Decision]) -> list[PublicDecision]:
    """The public view of each decision, in a handful of queries for the lot."""
    if not decisions:
        return []
    ids = [d.id for d in decisions]
    advertisers = {
        row.id: row
        for row in session.scalars(
            select(Advertiser).where(
                among(session, Advertiser.id, {d.advertiser_id for d in decisions})
            )
        )
    }
    versions = versions_by_id(session, {d.policy_version_id for d in decisions})
    appeals: dict[int, list[Appeal]] = {}
    for appeal in session.scalars(
        select(Appeal).where(among(session, Appeal.decision_id, ids)).order_by(Appeal.filed_at)
    ):
        appeals.setdefault(appeal.decision_id, []).append(appeal)
    indexes = _log_indexes(
        session, ids, [appeal.id for listed in appeals.values() for appeal in listed]
    )
    personal = personal_names(session, advertisers)
    content_dates = _content_dates(session, decisions)
    base = settings.public_url()
    views = []
    for decision in decisions:
        version = versions[decision.policy_version_id]
        clause = version.clauses[decision.clause_id]
        advertiser = advertisers[decision.advertiser_id]
        clause_path = f"/policy/v{version.number}#clause-{clause.id}"
        withheld = personal.get(decision.advertiser_id, ())
        record = decision_record(decision, version.number, personal=withheld)
        statement = statement_of_reasons(
            decision,
            clause,
            content_date=content_dates.get(
                (decision.level, decision.subject_id), decision.created_at
            ),
            clause_url=base + clause_path,
        )
        statement["decision_facts"] = record["facts_summary"]
        views.append(
            PublicDecision(
                decision=decision,
                advertiser_name=WITHHELD_NAME if withheld else advertiser.name,
                clause=clause,
                policy_number=version.number,
                clause_path=clause_path,
                record=record,
                status_record=(
                    status_record(decision) if decision.status in STATUS_KINDS else None
                ),
                statement=statement,
                appeals=[
                    _public_appeal(appeal, decision, personal, indexes)
                    for appeal in appeals.get(decision.id, [])
                ],
                statement_index=indexes.get((STATEMENT, decision.id)),
                status_index=indexes.get(("status", decision.id)),
            )
        )
    return views
