"""The staff console: screening hits, review tasks, appeals, decisions and advertisers.

Every page is server-rendered and every action is a plain form post, so the console works
without JavaScript. A form the services refuse comes back with the person's input kept and
the reason next to the field it concerns.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Annotated, Any
from urllib.parse import quote

from fastapi import APIRouter, Depends, Form, Query, Request, status
from fastapi.responses import HTMLResponse, Response
from sqlalchemy import Select, func, select
from sqlalchemy.orm import Session

from adwarden.appeals.attachments import AttachmentAlteredError
from adwarden.appeals.history import decision_history
from adwarden.appeals.models import Appeal
from adwarden.appeals.services import (
    AppealAnswer,
    assign,
    attachment_bytes,
    decide_appeal,
    escalate_overdue,
    participants,
    queue_query,
)
from adwarden.auth.models import User
from adwarden.domain.actors import Actor
from adwarden.domain.enums import (
    AppealOutcome,
    AppealStatus,
    DecisionStatus,
    HitStatus,
    Role,
    SubjectLevel,
    TaskKind,
    TaskStatus,
)
from adwarden.domain.errors import (
    AdwardenError,
    ConflictError,
    ForbiddenError,
    InvalidInputError,
    NotFoundError,
)
from adwarden.enforcement.due import due_reviews, run_due
from adwarden.enforcement.models import Decision, Notice, ReviewTask
from adwarden.enforcement.services import (
    close_task,
    decide,
    lift,
    notice_of,
    published,
    statement_for,
)
from adwarden.lists.models import WatchList
from adwarden.policy.document import Clause
from adwarden.policy.models import PolicyVersion
from adwarden.policy.services import policy_of
from adwarden.registry.models import Account, Advertiser, AdvertiserPerson
from adwarden.screening.models import ScreeningHit
from adwarden.screening.services import HitReview, review_hit
from adwarden.serving.models import Campaign
from adwarden.store.base import utcnow
from adwarden.store.queries import get, page
from adwarden.web.deps import DbSession, IdPath, WebUser
from adwarden.web.pages import same_origin
from adwarden.web.views import (
    PAGE_SIZE,
    Pager,
    error_page,
    offset_of,
    redirect,
    render,
    web_actor,
    when,
)

router = APIRouter(prefix="/staff", include_in_schema=False)

# Generous for a reason or an answer, and small enough that nobody stores a book by mistake.
MAX_TEXT = 20_000

# What a service may refuse a form with; anything else is not the form's business.
REFUSALS = (InvalidInputError, ConflictError, ForbiddenError)

TextField = Annotated[str, Form()]


def _sentence(message: str) -> str:
    """A service's message as a sentence on the page; an opening email or id stays as it is."""
    first = message.split(" ", 1)[0]
    return message[:1].upper() + message[1:] if first.isalpha() and first.islower() else message


def _show(
    request: Request,
    user: User | None,
    name: str,
    context: dict[str, Any],
    status_code: int = status.HTTP_200_OK,
) -> Response:
    return render(request, f"staff/{name}", user, {"when": when, **context}, status_code)


def _too_long(values: dict[str, str]) -> dict[str, str]:
    return {
        name: f"Keep this under {MAX_TEXT:,} characters (it has {len(value):,})."
        for name, value in values.items()
        if len(value) > MAX_TEXT
    }


def _refused(exc: AdwardenError, fields: set[str]) -> tuple[dict[str, str], int]:
    """The errors to show for a refusal, and the status the re-rendered form answers with.

    A field the service names (`points.1`) is the form's `points-1`; a refusal that names no
    field of this form is shown for the whole form.
    """
    message = _sentence(str(exc))
    if isinstance(exc, InvalidInputError):
        name = (exc.field or "").replace(".", "-")
        return {name if name in fields else "form": message}, status.HTTP_422_UNPROCESSABLE_CONTENT
    if isinstance(exc, ForbiddenError):
        return {"form": message}, status.HTTP_403_FORBIDDEN
    return {"form": message}, status.HTTP_409_CONFLICT


async def _form_fields(request: Request) -> dict[str, str]:
    """Every text field of a posted form, for forms whose field names depend on the record."""
    form = await request.form()
    return {name: value for name, value in form.items() if isinstance(value, str)}


FormFields = Annotated[dict[str, str], Depends(_form_fields)]


def _users(session: Session, ids: set[int | None]) -> dict[int, User]:
    wanted = {ident for ident in ids if ident is not None}
    if not wanted:
        return {}
    return {u.id: u for u in session.scalars(select(User).where(User.id.in_(wanted)))}


def _paged(request: Request, session: Session, query: Select[Any]) -> tuple[list[Any], Pager]:
    offset = offset_of(request)
    rows, total = page(session, query, offset, PAGE_SIZE)
    return rows, Pager(request, offset, total)


def _clause_options(session: Session, level: SubjectLevel) -> list[tuple[str, str]]:
    """The published policy's clauses a decision at this level may be made under."""
    try:
        _, policy = published(session)
    except ConflictError:
        return []
    return [
        (loaded.clause.id, f"{loaded.clause.id} {loaded.clause.title}")
        for loaded in policy.at_level(level)
    ]


def _clause_in(session: Session, version_id: int, clause_id: str) -> Clause | None:
    """A clause as it stood in the version a task or decision was made under."""
    try:
        return policy_of(get(session, PolicyVersion, version_id)).clause(clause_id).clause
    except KeyError:
        return None


def _subject_href(session: Session, subject_type: str, subject_id: int) -> str | None:
    """Where to read about a hit's subject or a decision's; hits and levels spell the kinds
    alike. A person may stand behind several advertisers, so no single page is theirs."""
    if subject_type == SubjectLevel.advertiser.value:
        return f"/staff/advertisers/{subject_id}"
    if subject_type == SubjectLevel.account.value:
        account = session.get(Account, subject_id)
        if account is not None and account.advertiser_id is not None:
            return f"/staff/advertisers/{account.advertiser_id}"
    return None


def _is_overdue(appeal: Appeal, now: datetime) -> bool:
    return appeal.status is AppealStatus.open and appeal.due_at < now


# --- dashboard ---------------------------------------------------------------------------


def _count(session: Session, query: Select[Any]) -> int:
    return session.scalar(select(func.count()).select_from(query.subquery())) or 0


@router.get("", response_class=HTMLResponse)
def dashboard(request: Request, session: DbSession, user: WebUser) -> Response:
    web_actor(user, staff=True)
    now = utcnow()
    open_appeals = select(Appeal.id).where(Appeal.status == AppealStatus.open)
    counts = [
        (
            "Open screening hits",
            _count(session, select(ScreeningHit.id).where(ScreeningHit.status == HitStatus.open)),
            "/staff/hits",
        ),
        (
            "Open review tasks",
            _count(session, select(ReviewTask.id).where(ReviewTask.status == TaskStatus.open)),
            "/staff/tasks",
        ),
        ("Open appeals", _count(session, open_appeals), "/staff/appeals"),
        (
            "Overdue appeals",
            _count(session, open_appeals.where(Appeal.due_at < now)),
            "/staff/appeals",
        ),
    ]
    return _show(request, user, "dashboard.html", {"section": "dashboard", "counts": counts})


# --- screening hits ----------------------------------------------------------------------


@dataclass(frozen=True)
class HitRow:
    hit: ScreeningHit
    list_slug: str
    subject_href: str | None


def _hit_rows(session: Session, hits: list[ScreeningHit]) -> list[HitRow]:
    ids = {hit.list_id for hit in hits}
    query = select(WatchList.id, WatchList.slug).where(WatchList.id.in_(ids))
    slugs = {ident: slug for ident, slug in session.execute(query)}
    return [
        HitRow(
            hit,
            slugs.get(hit.list_id, "?"),
            _subject_href(session, hit.subject_type, hit.subject_id),
        )
        for hit in hits
    ]


REVIEW_CHOICES = [
    (HitReview.confirm.value, "Confirm: the entry names this subject"),
    (HitReview.dismiss.value, "Dismiss: a different party with a similar name"),
]


@router.get("/hits", response_class=HTMLResponse)
def hits(request: Request, session: DbSession, user: WebUser) -> Response:
    web_actor(user, staff=True)
    query = (
        select(ScreeningHit)
        .where(ScreeningHit.status == HitStatus.open)
        .order_by(ScreeningHit.score.desc(), ScreeningHit.id)
    )
    rows, pager = _paged(request, session, query)
    context = {
        "section": "hits",
        "rows": _hit_rows(session, rows),
        "page": pager,
        "choices": REVIEW_CHOICES,
    }
    return _show(request, user, "hits.html", context)


def _hit_page(
    request: Request,
    session: Session,
    user: User | None,
    hit: ScreeningHit,
    errors: dict[str, str] | None = None,
    values: dict[str, str] | None = None,
    status_code: int = status.HTTP_200_OK,
) -> Response:
    [row] = _hit_rows(session, [hit])
    context = {
        "section": "hits",
        "row": row,
        "choices": REVIEW_CHOICES,
        "errors": errors or {},
        "values": values or {},
        "reviewer": _users(session, {hit.reviewed_by}).get(hit.reviewed_by or 0),
    }
    return _show(request, user, "hit.html", context, status_code)


@router.get("/hits/{hit_id}", response_class=HTMLResponse)
def hit_page(request: Request, session: DbSession, user: WebUser, hit_id: IdPath) -> Response:
    web_actor(user, staff=True)
    return _hit_page(request, session, user, get(session, ScreeningHit, hit_id))


@router.post("/hits/{hit_id}", response_class=HTMLResponse)
def review_hit_form(
    request: Request,
    session: DbSession,
    user: WebUser,
    hit_id: IdPath,
    review: TextField = "",
    reason: TextField = "",
) -> Response:
    same_origin(request)
    actor = web_actor(user, staff=True)
    hit = get(session, ScreeningHit, hit_id)
    values = {"review": review, "reason": reason}
    errors = _too_long(values)
    if review not in {choice.value for choice in HitReview}:
        errors["review"] = "Choose whether to confirm or dismiss the hit."
    code = status.HTTP_422_UNPROCESSABLE_CONTENT
    if not errors:
        try:
            # a savepoint, so a refused call leaves nothing half-done behind the re-rendered form
            with session.begin_nested():
                review_hit(session, actor, hit.id, HitReview(review), reason.strip())
        except REFUSALS as exc:
            errors, code = _refused(exc, set(values))
        else:
            return redirect("/staff/hits")
    return _hit_page(request, session, user, hit, errors, values, code)


# --- review tasks --------------------------------------------------------------------------


# what each kind of task asks of the reviewer, in the console's words
ASKS = {
    TaskKind.apply.value: "apply the clause",
    TaskKind.reconsider.value: "reconsider: the clause no longer applies",
    TaskKind.rereview.value: "periodic re-review",
}


@router.get("/tasks", response_class=HTMLResponse)
def tasks(request: Request, session: DbSession, user: WebUser) -> Response:
    web_actor(user, staff=True)
    query = select(ReviewTask).where(ReviewTask.status == TaskStatus.open).order_by(ReviewTask.id)
    rows, pager = _paged(request, session, query)
    context = {
        "section": "tasks",
        "tasks": rows,
        "page": pager,
        "asks": ASKS,
        "due": due_reviews(session),
        "hrefs": {
            task.id: _subject_href(session, task.level.value, task.subject_id) for task in rows
        },
    }
    return _show(request, user, "tasks.html", context)


@router.post("/tasks/due", response_class=HTMLResponse)
def run_due_form(request: Request, session: DbSession, user: WebUser) -> Response:
    """Open the re-review tasks that are due now, as `adwarden enforcement due` would."""
    same_origin(request)
    actor = web_actor(user, staff=True)
    run_due(session, actor, due_reviews(session))
    return redirect("/staff/tasks")


def _task_page(
    request: Request,
    session: Session,
    user: User | None,
    task: ReviewTask,
    *,
    decide_errors: dict[str, str] | None = None,
    close_errors: dict[str, str] | None = None,
    values: dict[str, str] | None = None,
    status_code: int = status.HTTP_200_OK,
) -> Response:
    decision_id = session.scalar(
        select(Decision.id).where(Decision.review_task_id == task.id).order_by(Decision.id)
    )
    context = {
        "section": "tasks",
        "task": task,
        "clause": _clause_in(session, task.policy_version_id, task.clause_id),
        "subject_href": _subject_href(session, task.level.value, task.subject_id),
        "clause_options": _clause_options(session, task.level),
        "decision_id": decision_id,
        "asks": ASKS,
        "resolver": _users(session, {task.resolved_by}).get(task.resolved_by or 0),
        "decide_errors": decide_errors or {},
        "close_errors": close_errors or {},
        "values": {"clause_id": task.clause_id, **(values or {})},
    }
    return _show(request, user, "task.html", context, status_code)


@router.get("/tasks/{task_id}", response_class=HTMLResponse)
def task_page(request: Request, session: DbSession, user: WebUser, task_id: IdPath) -> Response:
    web_actor(user, staff=True)
    return _task_page(request, session, user, get(session, ReviewTask, task_id))


@router.post("/tasks/{task_id}/decide", response_class=HTMLResponse)
def decide_task_form(
    request: Request,
    session: DbSession,
    user: WebUser,
    task_id: IdPath,
    clause_id: TextField = "",
    facts_summary: TextField = "",
) -> Response:
    same_origin(request)
    actor = web_actor(user, staff=True)
    task = get(session, ReviewTask, task_id)
    values = {"clause_id": clause_id, "facts_summary": facts_summary}
    errors = _too_long(values)
    code = status.HTTP_422_UNPROCESSABLE_CONTENT
    if task.status is not TaskStatus.open:
        errors = {"form": f"Review task {task.id} is already {task.status.value}."}
        code = status.HTTP_409_CONFLICT
    elif clause_id not in {value for value, _ in _clause_options(session, task.level)}:
        errors["clause_id"] = f"Choose a clause of the published policy for {task.level.value}s."
    if not errors:
        try:
            with session.begin_nested():
                decision = decide(
                    session,
                    actor,
                    task.level,
                    task.subject_id,
                    clause_id,
                    facts_summary,
                    task_id=task.id,
                )
        except REFUSALS as exc:
            errors, code = _refused(exc, set(values))
        else:
            return redirect(f"/staff/decisions/{decision.id}")
    return _task_page(
        request, session, user, task, decide_errors=errors, values=values, status_code=code
    )


@router.post("/tasks/{task_id}/close", response_class=HTMLResponse)
def close_task_form(
    request: Request,
    session: DbSession,
    user: WebUser,
    task_id: IdPath,
    resolution: TextField = "",
) -> Response:
    same_origin(request)
    actor = web_actor(user, staff=True)
    task = get(session, ReviewTask, task_id)
    values = {"resolution": resolution}
    errors = _too_long(values)
    code = status.HTTP_422_UNPROCESSABLE_CONTENT
    if not errors:
        try:
            with session.begin_nested():
                close_task(session, actor, task.id, resolution)
        except REFUSALS as exc:
            errors, code = _refused(exc, set(values))
        else:
            return redirect("/staff/tasks")
    return _task_page(
        request, session, user, task, close_errors=errors, values=values, status_code=code
    )


# --- appeals -------------------------------------------------------------------------------


@router.get("/appeals", response_class=HTMLResponse)
def appeals(
    request: Request,
    session: DbSession,
    user: WebUser,
    which: Annotated[str, Query(alias="status")] = "",
) -> Response:
    actor = web_actor(user, staff=True)
    # opening the queue is when late appeals go up to the policy admins
    escalate_overdue(session, actor)
    shown = AppealStatus.decided if which == AppealStatus.decided.value else AppealStatus.open
    query = queue_query(open_only=False).where(Appeal.status == shown)
    rows, pager = _paged(request, session, query)
    decisions = {
        d.id: d
        for d in session.scalars(
            select(Decision).where(Decision.id.in_({a.decision_id for a in rows}))
        )
    }
    now = utcnow()
    context = {
        "section": "appeals",
        "appeals": rows,
        "page": pager,
        "shown": shown.value,
        "decisions": decisions,
        "users": _users(session, {a.assigned_to for a in rows} | {a.decided_by for a in rows}),
        "overdue": {a.id for a in rows if _is_overdue(a, now)},
    }
    return _show(request, user, "appeals.html", context)


def _appeal_page(
    request: Request,
    session: Session,
    user: User | None,
    actor: Actor,
    appeal: Appeal,
    *,
    errors: dict[str, str] | None = None,
    take_errors: dict[str, str] | None = None,
    assign_errors: dict[str, str] | None = None,
    values: dict[str, str] | None = None,
    status_code: int = status.HTTP_200_OK,
) -> Response:
    decision = get(session, Decision, appeal.decision_id)
    try:
        notice: Notice | None = notice_of(session, decision.id)
    except NotFoundError:
        notice = None
    messages = session.scalars(
        select(Notice).where(Notice.appeal_id == appeal.id).order_by(Notice.id)
    ).all()
    reviewers: list[User] = []
    if actor.role is Role.policy_admin and appeal.status is AppealStatus.open:
        reviewers = list(
            session.scalars(
                select(User)
                .where(
                    User.role.in_([Role.reviewer, Role.policy_admin]),
                    User.disabled_at.is_(None),
                )
                .order_by(User.name, User.id)
            )
        )
    took_part = participants(session, decision) if appeal.status is AppealStatus.open else set()
    context = {
        "section": "appeals",
        "appeal": appeal,
        "decision": decision,
        "clause": _clause_in(session, decision.policy_version_id, decision.clause_id),
        "subject_href": _subject_href(session, decision.level.value, decision.subject_id),
        "notice": notice,
        "messages": messages,
        "overdue": _is_overdue(appeal, utcnow()),
        "users": _users(session, {appeal.assigned_to, appeal.decided_by, appeal.filed_by}),
        "i_took_part": actor.user_id in took_part,
        "reviewers": [
            (
                str(u.id),
                f"{u.name} ({u.email}){' — took part in the decision' if u.id in took_part else ''}",
            )
            for u in reviewers
        ],
        "clause_options": [("", "Choose a clause"), *_clause_options(session, decision.level)],
        "outcomes": [
            (AppealOutcome.upheld.value, "Upheld: the decision stands"),
            (AppealOutcome.reversed.value, "Reversed: the decision was wrong and is lifted"),
            (AppealOutcome.modified.value, "Modified: a decision under another clause replaces it"),
        ],
        "errors": errors or {},
        "take_errors": take_errors or {},
        "assign_errors": assign_errors or {},
        "values": values or {},
    }
    return _show(request, user, "appeal.html", context, status_code)


@router.get("/appeals/{appeal_id}", response_class=HTMLResponse)
def appeal_page(request: Request, session: DbSession, user: WebUser, appeal_id: IdPath) -> Response:
    actor = web_actor(user, staff=True)
    return _appeal_page(request, session, user, actor, get(session, Appeal, appeal_id))


@router.get("/appeals/{appeal_id}/attachments/{attachment_id}")
def appeal_attachment(
    request: Request,
    session: DbSession,
    user: WebUser,
    appeal_id: IdPath,
    attachment_id: IdPath,
) -> Response:
    actor = web_actor(user, staff=True)
    try:
        found, data = attachment_bytes(session, actor, attachment_id)
    except AttachmentAlteredError as exc:
        # the stored file no longer matches what the advertiser sent: say so, serve nothing
        return error_page(request, user, status.HTTP_500_INTERNAL_SERVER_ERROR, str(exc))
    if found.appeal_id != appeal_id:
        raise NotFoundError("attachment", attachment_id)
    fallback = found.filename.encode("ascii", "replace").decode().replace('"', "'")
    return Response(
        data,
        media_type=found.media_type,
        headers={
            "Content-Disposition": (
                f"attachment; filename=\"{fallback}\"; filename*=UTF-8''{quote(found.filename)}"
            ),
            "X-Content-Type-Options": "nosniff",
        },
    )


@router.post("/appeals/{appeal_id}/take", response_class=HTMLResponse)
def take_appeal(request: Request, session: DbSession, user: WebUser, appeal_id: IdPath) -> Response:
    same_origin(request)
    actor = web_actor(user, staff=True)
    appeal = get(session, Appeal, appeal_id)
    try:
        with session.begin_nested():
            assign(session, actor, appeal.id)
    except REFUSALS as exc:
        errors, code = _refused(exc, set())
        return _appeal_page(
            request, session, user, actor, appeal, take_errors=errors, status_code=code
        )
    return redirect(f"/staff/appeals/{appeal.id}")


@router.post("/appeals/{appeal_id}/assign", response_class=HTMLResponse)
def assign_appeal(
    request: Request,
    session: DbSession,
    user: WebUser,
    appeal_id: IdPath,
    reviewer_id: TextField = "",
) -> Response:
    same_origin(request)
    actor = web_actor(user, staff=True)
    appeal = get(session, Appeal, appeal_id)
    errors: dict[str, str] = {}
    code = status.HTTP_422_UNPROCESSABLE_CONTENT
    if not reviewer_id.isdigit() or not 0 < int(reviewer_id) < 2**31:
        errors["reviewer_id"] = "Choose who gets the appeal."
    else:
        try:
            with session.begin_nested():
                assign(session, actor, appeal.id, int(reviewer_id))
        except NotFoundError:
            errors["reviewer_id"] = f"There is no user {reviewer_id}; choose one from the list."
        except REFUSALS as exc:
            errors, code = _refused(exc, {"reviewer_id"})
        else:
            return redirect(f"/staff/appeals/{appeal.id}")
    return _appeal_page(
        request,
        session,
        user,
        actor,
        appeal,
        assign_errors=errors,
        values={"reviewer_id": reviewer_id},
        status_code=code,
    )


@router.post("/appeals/{appeal_id}/decide", response_class=HTMLResponse)
def decide_appeal_form(
    request: Request,
    session: DbSession,
    user: WebUser,
    appeal_id: IdPath,
    fields: FormFields,
) -> Response:
    same_origin(request)
    actor = web_actor(user, staff=True)
    appeal = get(session, Appeal, appeal_id)
    decision = get(session, Decision, appeal.decision_id)
    point_names = [f"points-{index}" for index in range(len(appeal.arguments))]
    names = ["outcome", "answer", *point_names, "clause_id", "facts_summary"]
    values = {name: fields.get(name, "") for name in names}
    errors = _too_long(values)
    if values["outcome"] not in {outcome.value for outcome in AppealOutcome}:
        errors["outcome"] = "Choose whether the decision is upheld, reversed or modified."
    modified = values["outcome"] == AppealOutcome.modified.value
    clause_id = values["clause_id"]
    if modified and clause_id:
        allowed = {value for value, _ in _clause_options(session, decision.level)}
        if clause_id not in allowed:
            errors["clause_id"] = "Choose a clause of the published policy from the list."
    code = status.HTTP_422_UNPROCESSABLE_CONTENT
    if not errors:
        answer = AppealAnswer(
            outcome=AppealOutcome(values["outcome"]),
            answer=values["answer"],
            points=[values[name] for name in point_names],
            clause_id=(clause_id or None) if modified else None,
            facts_summary=(values["facts_summary"] or None) if modified else None,
        )
        try:
            with session.begin_nested():
                decide_appeal(session, actor, appeal.id, answer)
        except REFUSALS as exc:
            errors, code = _refused(exc, set(names))
        else:
            return redirect(f"/staff/appeals/{appeal.id}")
    return _appeal_page(
        request, session, user, actor, appeal, errors=errors, values=values, status_code=code
    )


# --- decisions -----------------------------------------------------------------------------


@router.get("/decisions", response_class=HTMLResponse)
def decisions(
    request: Request,
    session: DbSession,
    user: WebUser,
    which: Annotated[str, Query(alias="status")] = "",
) -> Response:
    web_actor(user, staff=True)
    query = select(Decision).order_by(Decision.id.desc())
    shown = which if which in {s.value for s in DecisionStatus} else ""
    if shown:
        query = query.where(Decision.status == DecisionStatus(shown))
    rows, pager = _paged(request, session, query)
    context = {
        "section": "decisions",
        "decisions": rows,
        "page": pager,
        "shown": shown,
        "statuses": [("", "All"), *((s.value, s.value.capitalize()) for s in DecisionStatus)],
    }
    return _show(request, user, "decisions.html", context)


def _decision_page(
    request: Request,
    session: Session,
    user: User | None,
    decision: Decision,
    *,
    errors: dict[str, str] | None = None,
    values: dict[str, str] | None = None,
    status_code: int = status.HTTP_200_OK,
) -> Response:
    try:
        notice: Notice | None = notice_of(session, decision.id)
    except NotFoundError:
        notice = None
    appeals_of = session.scalars(
        select(Appeal).where(Appeal.decision_id == decision.id).order_by(Appeal.id)
    ).all()
    context = {
        "section": "decisions",
        "decision": decision,
        "clause": _clause_in(session, decision.policy_version_id, decision.clause_id),
        "subject_href": _subject_href(session, decision.level.value, decision.subject_id),
        "statement": statement_for(session, decision),
        "notice": notice,
        "history": decision_history(session, decision),
        "appeals": appeals_of,
        "errors": errors or {},
        "values": values or {},
    }
    return _show(request, user, "decision.html", context, status_code)


@router.get("/decisions/{decision_id}", response_class=HTMLResponse)
def decision_page(
    request: Request, session: DbSession, user: WebUser, decision_id: IdPath
) -> Response:
    web_actor(user, staff=True)
    return _decision_page(request, session, user, get(session, Decision, decision_id))


@router.post("/decisions/{decision_id}/lift", response_class=HTMLResponse)
def lift_form(
    request: Request,
    session: DbSession,
    user: WebUser,
    decision_id: IdPath,
    reason: TextField = "",
    reverse: Annotated[str, Form(alias="reversed")] = "",
) -> Response:
    same_origin(request)
    actor = web_actor(user, staff=True)
    decision = get(session, Decision, decision_id)
    values = {"reason": reason, "reversed": reverse}
    errors = _too_long({"reason": reason})
    code = status.HTTP_422_UNPROCESSABLE_CONTENT
    if not errors:
        try:
            with session.begin_nested():
                lift(session, actor, decision.id, reason, reversed_=bool(reverse))
        except REFUSALS as exc:
            errors, code = _refused(exc, {"reason"})
        else:
            return redirect(f"/staff/decisions/{decision.id}")
    return _decision_page(
        request, session, user, decision, errors=errors, values=values, status_code=code
    )


# --- advertisers ---------------------------------------------------------------------------


@router.get("/advertisers", response_class=HTMLResponse)
def advertisers(
    request: Request,
    session: DbSession,
    user: WebUser,
    q: str = "",
) -> Response:
    web_actor(user, staff=True)
    query = select(Advertiser).order_by(Advertiser.name, Advertiser.id)
    wanted = q.strip()[:300]  # no name is longer; a longer search could match nothing anyway
    if wanted:
        query = query.where(Advertiser.name.icontains(wanted, autoescape=True))
    rows, pager = _paged(request, session, query)
    context = {"section": "advertisers", "advertisers": rows, "page": pager, "q": q}
    return _show(request, user, "advertisers.html", context)


@router.get("/advertisers/{advertiser_id}", response_class=HTMLResponse)
def advertiser_page(
    request: Request, session: DbSession, user: WebUser, advertiser_id: IdPath
) -> Response:
    web_actor(user, staff=True)
    advertiser = get(session, Advertiser, advertiser_id)
    people = session.scalars(
        select(AdvertiserPerson)
        .where(AdvertiserPerson.advertiser_id == advertiser.id)
        .order_by(AdvertiserPerson.id)
    ).all()
    accounts = session.scalars(
        select(Account).where(Account.advertiser_id == advertiser.id).order_by(Account.id)
    ).all()
    # the advertiser's own hits and those of the people and accounts behind it
    subjects = [
        ("advertiser", [advertiser.id]),
        ("person", [role.person_id for role in people]),
        ("account", [account.id for account in accounts]),
    ]
    found: list[ScreeningHit] = []
    for subject_type, ids in subjects:
        if ids:
            found += session.scalars(
                select(ScreeningHit)
                .where(ScreeningHit.subject_type == subject_type, ScreeningHit.subject_id.in_(ids))
                .order_by(ScreeningHit.id)
            )
    context = {
        "section": "advertisers",
        "advertiser": advertiser,
        "people": people,
        "accounts": accounts,
        "hits": _hit_rows(session, found),
        "decisions": session.scalars(
            select(Decision)
            .where(Decision.advertiser_id == advertiser.id)
            .order_by(Decision.id.desc())
        ).all(),
        "campaigns": session.scalars(
            select(Campaign).where(Campaign.advertiser_id == advertiser.id).order_by(Campaign.id)
        ).all(),
    }
    return _show(request, user, "advertiser.html", context)
