"""Appeal figures the transparency reports publish: how many, how fast, how often reversed."""

from __future__ import annotations

from datetime import datetime
from statistics import median, quantiles
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from adwarden.appeals.models import Appeal
from adwarden.domain.enums import AppealOutcome, AppealStatus
from adwarden.store.base import utcnow


def _p95(values: list[float]) -> float:
    if len(values) == 1:
        return values[0]
    # the inclusive method keeps the figure within the observed range on small samples
    return quantiles(values, n=20, method="inclusive")[-1]


def appeal_metrics(session: Session, *, now: datetime | None = None) -> dict[str, Any]:
    now = now or utcnow()
    appeals = list(session.scalars(select(Appeal).order_by(Appeal.id)))
    decided = [a for a in appeals if a.status is AppealStatus.decided and a.decided_at]
    hours = sorted(
        (a.decided_at - a.filed_at).total_seconds() / 3600 for a in decided if a.decided_at
    )
    by_clause: dict[str, dict[str, Any]] = {}
    for appeal in decided:
        row = by_clause.setdefault(
            appeal.clause_id, {"decided": 0, "upheld": 0, "reversed": 0, "modified": 0}
        )
        row["decided"] += 1
        row[(appeal.outcome or AppealOutcome.upheld).value] += 1
    for row in by_clause.values():
        row["share_reversed"] = round(row["reversed"] / row["decided"], 4)
    overdue = [a for a in appeals if a.status is AppealStatus.open and a.due_at < now]
    late_answers = [a for a in decided if a.decided_at and a.decided_at > a.due_at]
    return {
        "filed": len(appeals),
        "decided": len(decided),
        "open": len(appeals) - len(decided),
        "overdue": len(overdue),
        "decided_late": len(late_answers),
        "hours_to_decision_median": round(median(hours), 2) if hours else None,
        "hours_to_decision_p95": round(_p95(hours), 2) if hours else None,
        "by_clause": dict(sorted(by_clause.items())),
    }
