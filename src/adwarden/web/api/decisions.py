"""Decisions (an advertiser sees its own), their statements of reasons and notices; review
tasks and deciding them (staff)."""

from __future__ import annotations

from dataclasses import asdict
from datetime import datetime
from typing import Annotated, Any, Literal

from fastapi import APIRouter, Query, status
from pydantic import BaseModel, Field
from sqlalchemy import select

from adwarden.domain.enums import (
    DecisionStatus,
    NoticeKind,
    Outcome,
    SubjectLevel,
    TaskKind,
    TaskStatus,
)
from adwarden.domain.fields import CountryCode, Text
from adwarden.domain.inputs import Input
from adwarden.enforcement import services
from adwarden.enforcement.due import due_reviews, run_due
from adwarden.enforcement.models import Decision, ReviewTask
from adwarden.store.queries import get, page
from adwarden.web.api.errors import AUTHENTICATED, WRITES
from adwarden.web.api.schemas import Out, Page
from adwarden.web.deps import ApiActor, DbSession, IdPath, Limit, Offset, StaffActor, ensure_visible

router = APIRouter(tags=["decisions"], responses=AUTHENTICATED)


class DecisionOut(Out):
    id: int
    level: SubjectLevel
    subject_id: int
    subject_label: str
    advertiser_id: int
    outcome: Outcome
    clause_id: str
    policy_hash: str
    facts: dict[str, Any]
    facts_summary: str
    evidence: list[dict[str, Any]]
    decided_by: int | None
    decided_by_label: str
    automated_detection: bool
    automated_decision: bool
    starts_at: datetime
    ends_at: datetime | None
    territorial_scope: list[str]
    status: DecisionStatus
    status_reason: str | None
    superseded_by: int | None


class TaskOut(Out):
    id: int
    level: SubjectLevel
    subject_id: int
    subject_label: str
    advertiser_id: int
    clause_id: str
    outcome: Outcome
    facts: dict[str, Any]
    evidence: list[dict[str, Any]]
    status: TaskStatus
    kind: TaskKind = Field(
        description="apply: a clause needs a person; reconsider: a decision in force whose "
        "clause no longer applies; rereview: a decision due for its clause's periodic look"
    )
    decision_id: int | None = Field(description="the decision to look at (reconsider, rereview)")
    resolution: str | None
    created_at: datetime


class DueOut(BaseModel):
    decision_id: int
    level: SubjectLevel
    subject_id: int
    subject: str
    clause_id: str
    every_days: int
    since: datetime
    due_at: datetime
    task_id: int | None = Field(default=None, description="the re-review task opened for it")


class NoticeOut(Out):
    decision_id: int
    kind: NoticeKind
    subject: str
    body_text: str
    body_html: str
    created_at: datetime


class DecideIn(Input):
    clause_id: str = Field(pattern=r"^\d+(\.\d+)*$", max_length=20)
    facts_summary: Text = Field(description="the facts in your words, at least 40 characters")
    territorial_scope: list[CountryCode] | None = Field(
        None, description="where the decision applies; everywhere if left out"
    )


class CloseIn(Input):
    resolution: Text


class LiftIn(Input):
    reason: Text
    reversed: bool = Field(False, description="the decision was wrong, not merely over")


@router.get("/decisions", response_model=Page[DecisionOut])
def list_decisions(
    actor: ApiActor,
    session: DbSession,
    status_: Annotated[DecisionStatus | None, Query(alias="status")] = None,
    offset: Offset = 0,
    limit: Limit = 50,
) -> Page[DecisionOut]:
    query = select(Decision).order_by(Decision.id.desc())
    if not actor.is_staff:
        query = query.where(Decision.advertiser_id == actor.advertiser_id)
    if status_ is not None:
        query = query.where(Decision.status == status_)
    rows, total = page(session, query, offset, limit)
    return Page.of(rows, total, offset, limit, DecisionOut.model_validate)


def _visible(actor: ApiActor, session: DbSession, decision_id: int) -> Decision:
    decision = get(session, Decision, decision_id)
    ensure_visible(actor, decision.advertiser_id, "decision", decision_id)
    return decision


@router.get("/decisions/{decision_id}", response_model=DecisionOut)
def read_decision(decision_id: IdPath, actor: ApiActor, session: DbSession) -> DecisionOut:
    return DecisionOut.model_validate(_visible(actor, session, decision_id))


@router.get("/decisions/{decision_id}/statement")
def read_statement(
    decision_id: IdPath,
    actor: ApiActor,
    session: DbSession,
    format_: Annotated[Literal["dsa"], Query(alias="format")] = "dsa",
) -> dict[str, Any]:
    """The statement of reasons in the DSA Transparency Database API v2 shape, with `redress`."""
    return services.statement_for(session, _visible(actor, session, decision_id))


@router.get("/decisions/{decision_id}/notice", response_model=NoticeOut)
def read_notice(decision_id: IdPath, actor: ApiActor, session: DbSession) -> NoticeOut:
    """The notice exactly as the advertiser received it: subject, text and HTML."""
    _visible(actor, session, decision_id)
    return NoticeOut.model_validate(services.notice_of(session, decision_id))


@router.post("/decisions/{decision_id}/lift", response_model=DecisionOut, responses=WRITES)
def lift_decision(
    decision_id: IdPath, body: LiftIn, actor: StaffActor, session: DbSession
) -> DecisionOut:
    decision = services.lift(session, actor, decision_id, body.reason, reversed_=body.reversed)
    return DecisionOut.model_validate(decision)


@router.get("/review-tasks", response_model=Page[TaskOut])
def list_tasks(
    actor: StaffActor,
    session: DbSession,
    status_: Annotated[TaskStatus | None, Query(alias="status")] = None,
    offset: Offset = 0,
    limit: Limit = 50,
) -> Page[TaskOut]:
    query = select(ReviewTask).order_by(ReviewTask.id)
    if status_ is not None:
        query = query.where(ReviewTask.status == status_)
    rows, total = page(session, query, offset, limit)
    return Page.of(rows, total, offset, limit, TaskOut.model_validate)


@router.get("/review-tasks/due", response_model=list[DueOut])
def list_due(actor: StaffActor, session: DbSession) -> list[DueOut]:
    """Decisions due for their clause's periodic re-review, earliest first."""
    return [DueOut.model_validate(asdict(item)) for item in due_reviews(session)]


@router.post("/review-tasks/due", response_model=list[DueOut], responses=WRITES)
def run_due_reviews(actor: StaffActor, session: DbSession) -> list[DueOut]:
    """Open a re-review task for each decision that is due (what `adwarden enforcement due`
    does from cron), and judge each subject again."""
    due = due_reviews(session)
    opened = run_due(session, actor, due)
    return [
        DueOut.model_validate({**asdict(item), "task_id": opened[item.decision_id].id})
        for item in due
    ]


@router.post(
    "/review-tasks/{task_id}/decide",
    response_model=DecisionOut,
    status_code=status.HTTP_201_CREATED,
    responses=WRITES,
)
def decide_task(
    task_id: IdPath, body: DecideIn, actor: StaffActor, session: DbSession
) -> DecisionOut:
    """Decide a review task under a clause that applies to the subject, in your own words."""
    task = get(session, ReviewTask, task_id)
    decision = services.decide(
        session,
        actor,
        task.level,
        task.subject_id,
        body.clause_id,
        body.facts_summary,
        task_id=task.id,
        territorial_scope=body.territorial_scope,
    )
    return DecisionOut.model_validate(decision)


@router.post("/review-tasks/{task_id}/close", response_model=TaskOut, responses=WRITES)
def close_task(task_id: IdPath, body: CloseIn, actor: StaffActor, session: DbSession) -> TaskOut:
    return TaskOut.model_validate(services.close_task(session, actor, task_id, body.resolution))
