"""A decision's whole story, in order: made, notified, appealed, answered, reversed or replaced.

Every appeal step sends the advertiser a message, so the messages tell the appeal's story;
the audit log adds the decision's own status changes."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import select
from sqlalchemy.orm import Session

from adwarden.audit.models import AuditEvent
from adwarden.enforcement.models import Decision, Notice


@dataclass(frozen=True)
class Step:
    at: datetime
    what: str
    detail: str
    notice_id: int | None = None
    appeal_id: int | None = None


# the decision's own status changes, as the audit log recorded them
_STATUS_VERBS = {"supersede": "Superseded", "lift": "Lifted", "reverse": "Reversed"}


def decision_history(session: Session, decision: Decision) -> list[Step]:
    steps = [
        Step(
            decision.starts_at,
            "Decided",
            f"{decision.outcome.value.replace('_', ' ')} under clause {decision.clause_id}, "
            f"by {decision.decided_by_label}",
        )
    ]
    for notice in session.scalars(
        select(Notice).where(Notice.decision_id == decision.id).order_by(Notice.id)
    ):
        steps.append(
            Step(
                notice.created_at,
                "Message sent",
                notice.subject,
                notice_id=notice.id,
                appeal_id=notice.appeal_id,
            )
        )
    for event in session.scalars(
        select(AuditEvent)
        .where(
            AuditEvent.subject_type == "decision",
            AuditEvent.subject_id == str(decision.id),
        )
        .order_by(AuditEvent.id)
    ):
        verb = event.action.rsplit(":", 1)[-1]
        if verb in _STATUS_VERBS:
            steps.append(Step(event.at, _STATUS_VERBS[verb], event.reason or ""))
    return sorted(steps, key=lambda step: step.at)
