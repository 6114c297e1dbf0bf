"""Filing, assigning, escalating and deciding appeals (EU DSA Article 20).

An appeal is free and electronic, open for the clause's appeal window after the
decision, and decided by qualified staff who took no part in the decision (four
eyes), within the clause's SLA. The answer must address the appeal: each of the
advertiser's points is answered, and the answer may not repeat the notice or an
earlier answer. Every step sends the advertiser a message.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta

from sqlalchemy import Select, select
from sqlalchemy.orm import Session

from adwarden.appeals import attachments
from adwarden.appeals.answers import answer_problem
from adwarden.appeals.messages import (
    Message,
    assigned_message,
    decided_message,
    filed_message,
    overdue_message,
)
from adwarden.appeals.models import Appeal, AppealAttachment
from adwarden.audit.services import record, record_created
from adwarden.auth.models import User
from adwarden.domain.actors import Actor
from adwarden.domain.enums import AppealOutcome, AppealStatus, DecisionStatus, NoticeKind, Role
from adwarden.domain.errors import ConflictError, ForbiddenError, InvalidInputError, NotFoundError
from adwarden.enforcement.models import Decision, Notice
from adwarden.enforcement.notices import render_html, render_text
from adwarden.enforcement.services import clause_of, decide, lift
from adwarden.enforcement.statement import appeal_deadline
from adwarden.screening.models import ScreeningHit
from adwarden.store.base import utcnow
from adwarden.store.queries import get

MAX_ARGUMENTS = 10
MIN_ARGUMENT = 10
MAX_ARGUMENT = 4000
# who may answer an appeal: qualified staff, never an automated process alone
DECIDERS = frozenset({Role.reviewer, Role.policy_admin})


@dataclass(frozen=True)
class AppealAnswer:
    """A reviewer's answer: the outcome, the reasons, and a reply to each argument in order.
    A modification names the clause the new decision is made under, and its facts."""

    outcome: AppealOutcome
    answer: str
    points: list[str]
    clause_id: str | None = None
    facts_summary: str | None = None


def visible_appeal(session: Session, actor: Actor, appeal_id: int) -> Appeal:
    """The appeal if the actor may see it; an advertiser sees only its own (others: not found)."""
    appeal = session.get(Appeal, appeal_id)
    if appeal is None or (not actor.is_staff and appeal.advertiser_id != actor.advertiser_id):
        raise NotFoundError("appeal", appeal_id)
    return appeal


def _check_arguments(arguments: list[str]) -> list[str]:
    points = [a.strip() for a in arguments if a.strip()]
    if not points:
        raise InvalidInputError(
            "give at least one argument: what is wrong with the decision", "arguments"
        )
    if len(points) > MAX_ARGUMENTS:
        raise InvalidInputError(f"give at most {MAX_ARGUMENTS} arguments", "arguments")
    for number, point in enumerate(points, 1):
        if len(point) < MIN_ARGUMENT:
            raise InvalidInputError(
                f"argument {number} is {len(point)} characters; say in at least "
                f"{MIN_ARGUMENT} what is wrong",
                f"arguments.{number - 1}",
            )
        if len(point) > MAX_ARGUMENT:
            raise InvalidInputError(
                f"argument {number} is {len(point)} characters; at most {MAX_ARGUMENT}",
                f"arguments.{number - 1}",
            )
    return points


def open_appeal_of(session: Session, decision_id: int) -> Appeal | None:
    return session.scalars(
        select(Appeal).where(Appeal.decision_id == decision_id, Appeal.status == AppealStatus.open)
    ).first()


def file_appeal(
    session: Session,
    actor: Actor,
    decision_id: int,
    arguments: list[str],
    files: list[tuple[str, bytes]] | None = None,
    *,
    now: datetime | None = None,
) -> Appeal:
    """An advertiser user appeals one of its own decisions, within the clause's window."""
    if actor.role is not Role.advertiser or actor.user_id is None:
        raise ForbiddenError("only a signed-in user of the advertiser appeals its decisions")
    decision = session.get(Decision, decision_id)
    if decision is None or decision.advertiser_id != actor.advertiser_id:
        raise NotFoundError("decision", decision_id)
    now = now or utcnow()
    _, clause = clause_of(session, decision)
    if decision.status is not DecisionStatus.active:
        raise ConflictError(
            f"decision {decision.id} is {decision.status.value} ({decision.status_reason}); "
            "only a decision in force can be appealed"
        )
    deadline = appeal_deadline(decision, clause)
    if now > deadline:
        raise ConflictError(
            f"the appeal window for decision {decision.id} closed on {deadline:%Y-%m-%d} "
            f"({clause.appeal_window_days} days after the decision under clause {clause.id})"
        )
    pending = open_appeal_of(session, decision.id)
    if pending is not None:
        raise ConflictError(
            f"decision {decision.id} already has an open appeal ({pending.id}, filed "
            f"{pending.filed_at:%Y-%m-%d}, to be answered by {pending.due_at:%Y-%m-%d}); "
            "add to it by replying when it is answered, or wait for that answer"
        )
    points = _check_arguments(arguments)
    checked = [attachments.check(name, data) for name, data in files or []]
    if len(checked) > attachments.MAX_PER_APPEAL:
        raise InvalidInputError(f"attach at most {attachments.MAX_PER_APPEAL} files", "attachments")
    appeal = Appeal(
        decision_id=decision.id,
        advertiser_id=decision.advertiser_id,
        filed_by=actor.user_id,
        filed_at=now,
        arguments=points,
        clause_id=decision.clause_id,
        due_at=now + timedelta(days=clause.appeal_sla_days),
        status=AppealStatus.open,
    )
    record_created(
        session, actor, "appeal", appeal, reason=f"appeal of decision {decision.id}",
        changes={"arguments": len(points), "attachments": len(checked)},
    )  # fmt: skip
    for (name, kind), (_, data) in zip(checked, files or [], strict=True):
        _attach(session, actor, appeal, name, kind, data)
    _send(session, actor, appeal, decision, filed_message(appeal, decision, clause))
    return appeal


def _attach(
    session: Session,
    actor: Actor,
    appeal: Appeal,
    name: str,
    kind: attachments.FileType,
    data: bytes,
) -> AppealAttachment:
    stored = AppealAttachment(
        appeal_id=appeal.id,
        filename=name,
        media_type=kind.media_type,
        size=len(data),
        sha256=attachments.store(data),
    )
    record_created(session, actor, "appeal_attachment", stored, reason=f"appeal {appeal.id}")
    session.refresh(appeal, ["attachments"])
    return stored


def add_attachment(
    session: Session, actor: Actor, appeal_id: int, filename: str, data: bytes
) -> AppealAttachment:
    """Another file for an open appeal, from the advertiser that filed it."""
    appeal = visible_appeal(session, actor, appeal_id)
    if actor.role is not Role.advertiser:
        raise ForbiddenError("only the advertiser adds files to its appeal")
    if appeal.status is not AppealStatus.open:
        raise ConflictError(f"appeal {appeal.id} is decided; file a new appeal to add more")
    if len(appeal.attachments) >= attachments.MAX_PER_APPEAL:
        raise ConflictError(
            f"appeal {appeal.id} already has {attachments.MAX_PER_APPEAL} attachments, the most "
            "it can hold"
        )
    name, kind = attachments.check(filename, data)
    return _attach(session, actor, appeal, name, kind, data)


def attachment_bytes(
    session: Session, actor: Actor, attachment_id: int
) -> tuple[AppealAttachment, bytes]:
    found = session.get(AppealAttachment, attachment_id)
    if found is None:
        raise NotFoundError("attachment", attachment_id)
    visible_appeal(session, actor, found.appeal_id)  # the same rule as for the appeal
    return found, attachments.load(found.sha256)


def participants(session: Session, decision: Decision) -> set[int]:
    """Everyone who took part in the decision: who decided it (and the decisions it replaced),
    who confirmed the screening hits it rests on, and who answered earlier appeals of it."""
    people: set[int] = set()
    seen: set[int] = set()
    pending = [decision]
    while pending:
        current = pending.pop()
        seen.add(current.id)
        if current.decided_by is not None:
            people.add(current.decided_by)
        hit_ids = [item["hit_id"] for item in current.evidence if "hit_id" in item]
        if hit_ids:
            people |= {
                user
                for user in session.scalars(
                    select(ScreeningHit.reviewed_by).where(ScreeningHit.id.in_(hit_ids))
                )
                if user is not None
            }
        people |= {
            user
            for user in session.scalars(
                select(Appeal.decided_by).where(Appeal.decision_id == current.id)
            )
            if user is not None
        }
        pending += [
            older
            for older in session.scalars(
                select(Decision).where(Decision.superseded_by == current.id)
            )
            if older.id not in seen
        ]
    return people


def _may_decide(session: Session, user: User, decision: Decision) -> str | None:
    """Why this staff member may not take an appeal of this decision, or None."""
    if user.role not in DECIDERS or user.disabled_at is not None:
        return f"{user.email} is not an active reviewer or policy admin"
    if user.id in participants(session, decision):
        return (
            f"{user.email} took part in decision {decision.id}; an appeal goes to "
            "someone who did not (four eyes)"
        )
    return None


def assign(
    session: Session,
    actor: Actor,
    appeal_id: int,
    reviewer_id: int | None = None,
    *,
    now: datetime | None = None,
) -> Appeal:
    """Give an open appeal to a reviewer: a reviewer takes it for themself; a policy admin may
    give it to anyone eligible. Never to someone who took part in the decision."""
    if not actor.is_staff or actor.user_id is None:
        raise ForbiddenError("only staff assign appeals")
    appeal = get(session, Appeal, appeal_id)
    if appeal.status is not AppealStatus.open:
        raise ConflictError(f"appeal {appeal.id} is already {appeal.status.value}")
    target_id = reviewer_id if reviewer_id is not None else actor.user_id
    if target_id != actor.user_id and actor.role is not Role.policy_admin:
        raise ForbiddenError("only a policy admin assigns an appeal to someone else")
    target = session.get(User, target_id)
    if target is None:
        raise NotFoundError("user", target_id)
    decision = get(session, Decision, appeal.decision_id)
    problem = _may_decide(session, target, decision)
    if problem:
        raise ConflictError(problem)
    if appeal.assigned_to == target.id:
        return appeal
    record(
        session, actor, "appeal", "assign", appeal.id, reason=f"to {target.email}",
        changes={"assigned_to": [appeal.assigned_to, target.id]},
    )  # fmt: skip
    appeal.assigned_to = target.id
    appeal.assigned_at = now or utcnow()
    _, clause = clause_of(session, decision)
    _send(session, actor, appeal, decision, assigned_message(appeal, decision, clause))
    return appeal


def escalate_overdue(
    session: Session, actor: Actor, *, now: datetime | None = None
) -> list[Appeal]:
    """Open appeals past their deadline go to the policy admins, and the advertiser is told.
    Runs whenever staff open the queue, and from `adwarden appeals escalate`."""
    now = now or utcnow()
    late = list(
        session.scalars(
            select(Appeal).where(
                Appeal.status == AppealStatus.open,
                Appeal.due_at < now,
                Appeal.escalated_at.is_(None),
            )
        )
    )
    for appeal in late:
        record(
            session, actor, "appeal", "escalate", appeal.id,
            reason=f"not answered by {appeal.due_at:%Y-%m-%d %H:%M} UTC; escalated to policy admins",
        )  # fmt: skip
        appeal.escalated_at = now
        decision = get(session, Decision, appeal.decision_id)
        _, clause = clause_of(session, decision)
        _send(session, actor, appeal, decision, overdue_message(appeal, decision, clause))
    return late


def queue_query(*, open_only: bool = True) -> Select[Appeal]:
    query = select(Appeal)
    if open_only:
        query = query.where(Appeal.status == AppealStatus.open)
    return query.order_by(Appeal.due_at, Appeal.id)


def _earlier_texts(session: Session, appeal: Appeal, decision: Decision) -> list[tuple[str, str]]:
    """What an answer may not repeat: the decision's notices and every earlier answer under
    the same clause (boilerplate travels between advertisers)."""
    notices = session.scalars(
        select(Notice)
        .where(Notice.decision_id == decision.id, Notice.kind == NoticeKind.decision)
        .order_by(Notice.id)
    )
    earlier = [(f"the notice for decision {decision.id}", n.body_text) for n in notices]
    earlier.append((f"the facts of decision {decision.id}", decision.facts_summary))
    answers = session.scalars(
        select(Appeal)
        .where(
            Appeal.clause_id == appeal.clause_id, Appeal.answer.is_not(None), Appeal.id != appeal.id
        )
        .order_by(Appeal.id)
    )
    earlier += [(f"the answer to appeal {a.id}", a.answer) for a in answers if a.answer]
    return earlier


def decide_appeal(
    session: Session,
    actor: Actor,
    appeal_id: int,
    answer: AppealAnswer,
    *,
    now: datetime | None = None,
) -> Appeal:
    """Uphold, reverse or modify the appealed decision, with an answer to each argument."""
    if actor.role not in DECIDERS or actor.user_id is None:
        raise ForbiddenError("only a reviewer or policy admin decides appeals")
    appeal = get(session, Appeal, appeal_id)
    if appeal.status is not AppealStatus.open:
        raise ConflictError(f"appeal {appeal.id} was already decided ({appeal.outcome})")
    decision = get(session, Decision, appeal.decision_id)
    me = get(session, User, actor.user_id)
    problem = _may_decide(session, me, decision)
    if problem:
        raise ForbiddenError(problem)
    escalated_admin = appeal.escalated_at is not None and actor.role is Role.policy_admin
    if appeal.assigned_to not in (None, actor.user_id) and not escalated_admin:
        assignee = get(session, User, appeal.assigned_to)
        raise ConflictError(f"appeal {appeal.id} is assigned to {assignee.email}")
    if len(answer.points) != len(appeal.arguments):
        raise InvalidInputError(
            f"answer each of the {len(appeal.arguments)} arguments (got {len(answer.points)})",
            "points",
        )
    for number, point in enumerate(answer.points, 1):
        if len(point.strip()) < MIN_ARGUMENT:
            raise InvalidInputError(
                f"say how the answer addresses argument {number}", f"points.{number - 1}"
            )
    text = answer.answer.strip()
    problem = answer_problem(text, _earlier_texts(session, appeal, decision))
    if problem:
        raise InvalidInputError(problem, "answer")
    if decision.status is not DecisionStatus.active and answer.outcome is not AppealOutcome.upheld:
        raise ConflictError(
            f"decision {decision.id} is no longer in force ({decision.status.value}); "
            "it can only be upheld as it stood"
        )
    now = now or utcnow()
    new_decision = None
    if answer.outcome is AppealOutcome.reversed:
        lift(session, actor, decision.id, f"reversed on appeal {appeal.id}: {text}", reversed_=True)
    elif answer.outcome is AppealOutcome.modified:
        new_decision = _modify(session, actor, appeal, decision, answer)
    record(
        session, actor, "appeal", "decide", appeal.id, reason=text,
        changes={"outcome": answer.outcome.value, "new_decision": new_decision and new_decision.id},
    )  # fmt: skip
    if appeal.assigned_to is None:
        appeal.assigned_to, appeal.assigned_at = actor.user_id, now
    appeal.status = AppealStatus.decided
    appeal.outcome = answer.outcome
    appeal.answer = text
    appeal.points = [
        {"argument": argument, "addressed": point.strip()}
        for argument, point in zip(appeal.arguments, answer.points, strict=True)
    ]
    appeal.decided_by = actor.user_id
    appeal.decided_by_label = actor.label
    appeal.decided_at = now
    appeal.new_decision_id = new_decision.id if new_decision else None
    _, clause = clause_of(session, decision)
    _send(session, actor, appeal, decision, decided_message(appeal, decision, clause, new_decision))
    return appeal


def _modify(
    session: Session, actor: Actor, appeal: Appeal, decision: Decision, answer: AppealAnswer
) -> Decision:
    if not answer.clause_id or not answer.facts_summary:
        raise InvalidInputError(
            "a modification names the clause of the new decision and summarises its facts",
            "clause_id" if not answer.clause_id else "facts_summary",
        )
    if answer.clause_id == decision.clause_id:
        raise InvalidInputError(
            f"decision {decision.id} is already under clause {decision.clause_id}: uphold it, "
            "or modify it under another clause",
            "clause_id",
        )
    replacement = decide(
        session,
        actor,
        decision.level,
        decision.subject_id,
        answer.clause_id,
        f"On appeal {appeal.id} of decision {decision.id}: {answer.facts_summary.strip()}",
    )
    if decision.status is DecisionStatus.active:  # a clause with another outcome kind
        lift(
            session,
            actor,
            decision.id,
            f"modified on appeal {appeal.id}: decision {replacement.id}",
        )
    return replacement


def _send(
    session: Session, actor: Actor, appeal: Appeal, decision: Decision, message: Message
) -> Notice:
    sent = Notice(
        decision_id=decision.id,
        advertiser_id=decision.advertiser_id,
        kind=message.kind,
        appeal_id=appeal.id,
        subject=message.subject[:300],
        body_text=render_text(message.subject, message.sections),
        body_html=render_html(message.subject, message.sections),
    )
    record_created(
        session, actor, "notice", sent, reason=f"appeal {appeal.id}: {message.kind.value}"
    )
    return sent
