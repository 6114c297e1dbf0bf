"""Appeals over the API: an advertiser files and follows its own; staff take, assign and
decide them, see the queue by deadline, and read the figures."""

from __future__ import annotations

from datetime import datetime
from typing import Annotated, Any

from fastapi import APIRouter, File, Query, UploadFile, status
from fastapi.responses import Response
from pydantic import Field
from sqlalchemy import select

from adwarden.appeals import services
from adwarden.appeals.attachments import MAX_BYTES
from adwarden.appeals.history import decision_history
from adwarden.appeals.metrics import appeal_metrics
from adwarden.appeals.models import Appeal
from adwarden.domain.enums import AppealOutcome, AppealStatus, NoticeKind
from adwarden.domain.errors import InvalidInputError
from adwarden.domain.fields import Text
from adwarden.domain.inputs import Input
from adwarden.enforcement.models import Decision, Notice
from adwarden.store.base import utcnow
from adwarden.store.queries import get, page
from adwarden.web.api.errors import AUTHENTICATED, WRITES
from adwarden.web.api.schemas import Out, Page
from adwarden.web.deps import (
    AdvertiserActor,
    ApiActor,
    DbSession,
    IdPath,
    Limit,
    Offset,
    StaffActor,
    ensure_visible,
)

router = APIRouter(tags=["appeals"], responses=AUTHENTICATED)


class AttachmentOut(Out):
    id: int
    filename: str
    media_type: str
    size: int
    sha256: str


class PointOut(Out):
    argument: str
    addressed: str


class AppealOut(Out):
    id: int
    decision_id: int
    advertiser_id: int
    clause_id: str
    filed_at: datetime
    arguments: list[str]
    attachments: list[AttachmentOut]
    due_at: datetime
    overdue: bool = Field(description="open and past its deadline")
    status: AppealStatus
    assigned_to: int | None
    escalated_at: datetime | None
    outcome: AppealOutcome | None
    answer: str | None
    points: list[PointOut] | None
    decided_by_label: str | None
    decided_at: datetime | None
    new_decision_id: int | None

    @classmethod
    def of(cls, appeal: Appeal) -> AppealOut:
        overdue = appeal.status is AppealStatus.open and appeal.due_at < utcnow()
        return cls.model_validate({**_columns(appeal), "overdue": overdue})


def _columns(appeal: Appeal) -> dict[str, Any]:
    fields = set(AppealOut.model_fields) - {"overdue", "attachments"}
    return {name: getattr(appeal, name) for name in fields} | {
        "attachments": list(appeal.attachments)
    }


class AppealIn(Input):
    arguments: list[Text] = Field(
        min_length=1,
        max_length=services.MAX_ARGUMENTS,
        description="each point you make against the decision; each is answered on its own",
    )


class AssignIn(Input):
    reviewer_id: int | None = Field(
        None, ge=1, le=2**31 - 1, description="who gets it; yourself if left out"
    )


class AnswerIn(Input):
    outcome: AppealOutcome
    answer: Text = Field(description="the reasons, addressing the appeal in your own words")
    points: list[Text] = Field(
        max_length=services.MAX_ARGUMENTS,
        description="for each argument, in order: how the answer addresses it",
    )
    clause_id: str | None = Field(
        None, pattern=r"^\d+(\.\d+)*$", max_length=20, description="modify: the new clause"
    )
    facts_summary: Text | None = Field(None, description="modify: the new decision's facts")


class MessageOut(Out):
    id: int
    decision_id: int
    appeal_id: int | None
    kind: NoticeKind
    subject: str
    body_text: str
    body_html: str
    created_at: datetime


class StepOut(Out):
    at: datetime
    what: str
    detail: str
    notice_id: int | None
    appeal_id: int | None


@router.post(
    "/decisions/{decision_id}/appeals",
    response_model=AppealOut,
    status_code=status.HTTP_201_CREATED,
    responses=WRITES,
)
def file_appeal(
    decision_id: IdPath, body: AppealIn, actor: AdvertiserActor, session: DbSession
) -> AppealOut:
    """Appeal one of your decisions, free of charge, within its appeal window. Add files with
    POST /appeals/{id}/attachments."""
    return AppealOut.of(services.file_appeal(session, actor, decision_id, body.arguments))


@router.get("/appeals", response_model=Page[AppealOut])
def list_appeals(
    actor: ApiActor,
    session: DbSession,
    status_: Annotated[AppealStatus | None, Query(alias="status")] = None,
    offset: Offset = 0,
    limit: Limit = 50,
) -> Page[AppealOut]:
    """Staff: the queue, earliest deadline first (overdue appeals are escalated on the way).
    Advertiser users: their own appeals."""
    if actor.is_staff:
        services.escalate_overdue(session, actor)
    query = services.queue_query(open_only=False)
    if status_ is not None:
        query = query.where(Appeal.status == status_)
    if not actor.is_staff:
        query = query.where(Appeal.advertiser_id == actor.advertiser_id)
    rows, total = page(session, query, offset, limit)
    return Page.of(rows, total, offset, limit, AppealOut.of)


@router.get("/appeals/metrics")
def metrics(actor: StaffActor, session: DbSession) -> dict[str, Any]:
    """Appeals filed, decided, open and overdue; median and 95th-percentile hours to a
    decision; and per clause how many were upheld, reversed or modified."""
    return appeal_metrics(session)


@router.post("/appeal-escalations", response_model=list[AppealOut])
def escalate(actor: StaffActor, session: DbSession) -> list[AppealOut]:
    """Escalate every open appeal past its deadline to the policy admins, now."""
    return [AppealOut.of(a) for a in services.escalate_overdue(session, actor)]


@router.get("/appeals/{appeal_id}", response_model=AppealOut)
def read_appeal(appeal_id: IdPath, actor: ApiActor, session: DbSession) -> AppealOut:
    return AppealOut.of(services.visible_appeal(session, actor, appeal_id))


@router.post(
    "/appeals/{appeal_id}/attachments",
    response_model=AttachmentOut,
    status_code=status.HTTP_201_CREATED,
    responses=WRITES,
)
async def add_attachment(
    appeal_id: IdPath,
    file: Annotated[UploadFile, File(description="PDF, PNG, JPEG or plain text; at most 5 MB")],
    actor: AdvertiserActor,
    session: DbSession,
) -> AttachmentOut:
    data = await file.read(MAX_BYTES + 1)
    if len(data) > MAX_BYTES:
        raise InvalidInputError(
            f"{file.filename} is over {MAX_BYTES // 1048576} MB, the most an attachment may be",
            "file",
        )
    stored = services.add_attachment(session, actor, appeal_id, file.filename or "", data)
    return AttachmentOut.model_validate(stored)


@router.get(
    "/appeals/{appeal_id}/attachments/{attachment_id}",
    response_class=Response,
    responses={200: {"content": {"application/octet-stream": {}}}},
)
def download_attachment(
    appeal_id: IdPath, attachment_id: IdPath, actor: ApiActor, session: DbSession
) -> Response:
    """The file as the advertiser sent it, checked against its SHA-256 on the way out."""
    found, data = services.attachment_bytes(session, actor, attachment_id)
    if found.appeal_id != appeal_id:
        services.visible_appeal(session, actor, appeal_id)
        raise InvalidInputError(f"attachment {attachment_id} belongs to another appeal", "path")
    return Response(
        data,
        media_type=found.media_type,
        headers={"Content-Disposition": f'attachment; filename="{found.filename}"'},
    )


@router.post("/appeals/{appeal_id}/assign", response_model=AppealOut, responses=WRITES)
def assign(appeal_id: IdPath, body: AssignIn, actor: StaffActor, session: DbSession) -> AppealOut:
    """Take an appeal yourself, or (policy admins) give it to a reviewer. Never to anyone who
    took part in the decision."""
    return AppealOut.of(services.assign(session, actor, appeal_id, body.reviewer_id))


@router.post("/appeals/{appeal_id}/decide", response_model=AppealOut, responses=WRITES)
def decide(appeal_id: IdPath, body: AnswerIn, actor: StaffActor, session: DbSession) -> AppealOut:
    """Uphold, reverse or modify, answering each argument. The answer is refused when it is
    empty or repeats the notice or an earlier answer."""
    answer = services.AppealAnswer(
        outcome=body.outcome,
        answer=body.answer,
        points=list(body.points),
        clause_id=body.clause_id,
        facts_summary=body.facts_summary,
    )
    return AppealOut.of(services.decide_appeal(session, actor, appeal_id, answer))


@router.get("/decisions/{decision_id}/history", response_model=list[StepOut])
def history(decision_id: IdPath, actor: ApiActor, session: DbSession) -> list[StepOut]:
    """Everything that happened to the decision, oldest first: the decision, each message
    sent about it, each appeal step, and any reversal or replacement."""
    decision = get(session, Decision, decision_id)
    ensure_visible(actor, decision.advertiser_id, "decision", decision_id)
    return [StepOut.model_validate(step) for step in decision_history(session, decision)]


@router.get("/messages", response_model=Page[MessageOut])
def messages(
    actor: ApiActor,
    session: DbSession,
    decision_id: Annotated[int | None, Query(ge=1, le=2**31 - 1)] = None,
    offset: Offset = 0,
    limit: Limit = 50,
) -> Page[MessageOut]:
    """Every notice and appeal message, newest first: an advertiser user sees its own."""
    query = select(Notice).order_by(Notice.id.desc())
    if not actor.is_staff:
        query = query.where(Notice.advertiser_id == actor.advertiser_id)
    if decision_id is not None:
        query = query.where(Notice.decision_id == decision_id)
    rows, total = page(session, query, offset, limit)
    return Page.of(rows, total, offset, limit, MessageOut.model_validate)
