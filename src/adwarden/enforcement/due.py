"""Decisions that have come due for their clause's periodic look (`rereview_days`).

A clause says how often a human looks at a decision made under it again ("looked at again
every six months"). A decision is due when that many days have passed since it began or
since its last re-review task was opened, and no re-review task of it is open. Running what
is due opens one re-review task per decision (a reviewer lifts the decision or says why it
stands) and judges the subject afresh, so a clause that no longer fires is seen at once.
Nothing here lifts a decision.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from adwarden.domain.actors import Actor
from adwarden.domain.enums import DecisionStatus, SubjectLevel, TaskKind, TaskStatus
from adwarden.enforcement.models import Decision, ReviewTask
from adwarden.enforcement.services import judge, open_review
from adwarden.policy.models import PolicyVersion
from adwarden.policy.services import policy_of
from adwarden.store.base import utcnow


@dataclass(frozen=True)
class DueReview:
    decision_id: int
    level: SubjectLevel
    subject_id: int
    subject: str
    clause_id: str
    every_days: int
    since: datetime  # when the decision began, or its last re-review was opened
    due_at: datetime


def due_reviews(session: Session, now: datetime | None = None) -> list[DueReview]:
    """Every decision in force whose re-review is due, earliest first."""
    now = now or utcnow()
    last_opened: dict[int | None, datetime] = {
        decision_id: opened
        for decision_id, opened in session.execute(
            select(ReviewTask.decision_id, func.max(ReviewTask.created_at))
            .where(ReviewTask.kind == TaskKind.rereview)
            .group_by(ReviewTask.decision_id)
        )
    }
    open_ = set(
        session.scalars(
            select(ReviewTask.decision_id).where(
                ReviewTask.kind == TaskKind.rereview, ReviewTask.status == TaskStatus.open
            )
        )
    )
    every: dict[int, dict[str, int]] = {}
    found = []
    for decision in session.scalars(
        select(Decision).where(Decision.status == DecisionStatus.active).order_by(Decision.id)
    ):
        if decision.id in open_:
            continue
        if decision.policy_version_id not in every:
            version = session.get(PolicyVersion, decision.policy_version_id)
            assert version is not None  # a foreign key
            every[version.id] = {
                item.clause.id: item.clause.rereview_days for item in policy_of(version).clauses
            }
        days = every[decision.policy_version_id].get(decision.clause_id)
        if days is None:
            continue
        since = max(decision.starts_at, last_opened.get(decision.id) or decision.starts_at)
        due_at = since + timedelta(days=days)
        if due_at <= now:
            found.append(
                DueReview(
                    decision.id,
                    decision.level,
                    decision.subject_id,
                    decision.subject_label,
                    decision.clause_id,
                    days,
                    since,
                    due_at,
                )
            )
    return sorted(found, key=lambda item: (item.due_at, item.decision_id))


def run_due(session: Session, actor: Actor, due: list[DueReview]) -> dict[int, ReviewTask]:
    """Open a re-review task for each decision in `due` and judge its subject again; returns
    the tasks by decision id."""
    opened = {}
    for item in due:
        decision = session.get(Decision, item.decision_id)
        assert decision is not None
        why = (
            f"clause {item.clause_id} asks for a look every {item.every_days} days; decision "
            f"{item.decision_id} has stood since {item.since:%Y-%m-%d}: lift it or say why "
            "it stands"
        )
        opened[item.decision_id] = open_review(session, actor, decision, TaskKind.rereview, why)
        judge(session, actor, item.level, item.subject_id)
    return opened
