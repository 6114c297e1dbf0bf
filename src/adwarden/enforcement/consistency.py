"""Like cases, treated alike? Groups of subjects whose facts trigger the same clause on the
same list (or content category) but whose standing differs."""

from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass

from sqlalchemy import select
from sqlalchemy.orm import Session

from adwarden.domain.enums import DecisionStatus, SubjectLevel, TaskStatus
from adwarden.enforcement.models import Decision, ReviewTask
from adwarden.enforcement.services import classifier_for
from adwarden.policy.evaluate import evaluate
from adwarden.policy.loader import Policy
from adwarden.policy.whatif import subjects


@dataclass(frozen=True)
class Member:
    level: SubjectLevel
    subject_id: int
    subject: str
    standing: str  # "off_board (decision 4)", "review task 2 open", "nothing"


@dataclass(frozen=True)
class Inconsistency:
    clause_id: str
    trigger: str  # the list or category the clause fired on
    members: tuple[Member, ...]


def _standing(session: Session, level: SubjectLevel, subject_id: int, clause_id: str) -> str:
    decision = session.scalars(
        select(Decision).where(
            Decision.level == level,
            Decision.subject_id == subject_id,
            Decision.status == DecisionStatus.active,
        )
    ).first()
    if decision is not None:
        return f"{decision.outcome.value} under {decision.clause_id} (decision {decision.id})"
    task = session.scalars(
        select(ReviewTask).where(
            ReviewTask.level == level,
            ReviewTask.subject_id == subject_id,
            ReviewTask.clause_id == clause_id,
        )
    ).first()
    if task is not None and task.status is TaskStatus.open:
        return f"review task {task.id} open"
    if task is not None:
        return f"review task {task.id} {task.status.value}: {task.resolution or ''}".strip()
    return "nothing"


def consistency(session: Session, policy: Policy) -> list[Inconsistency]:
    groups: defaultdict[tuple[str, str], list[Member]] = defaultdict(list)
    for facts in subjects(session, classifier_for(policy)):
        for firing in evaluate(policy, facts).fired:
            triggers = {str(e.get("list") or e.get("category")) for e in firing.evidence} or {"-"}
            for trigger in sorted(triggers):
                standing = _standing(session, facts.level, facts.subject_id, firing.clause_id)
                member = Member(facts.level, facts.subject_id, facts.label, standing)
                groups[(firing.clause_id, trigger)].append(member)
    found = []
    for (clause_id, trigger), members in sorted(groups.items()):
        kinds = {member.standing.split(" (")[0].split(" ")[0] for member in members}
        if len(kinds) > 1:
            found.append(Inconsistency(clause_id, trigger, tuple(members)))
    return found
