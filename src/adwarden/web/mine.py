"""The advertiser area: my standing, my messages, my decisions, filing and following appeals.

Every page is for an advertiser user and shows only its own advertiser's records; another
advertiser's id answers 404 exactly like a missing one.
"""

from __future__ import annotations

from typing import Any, TypeVar
from urllib.parse import quote

from fastapi import APIRouter, Request, status
from fastapi.concurrency import run_in_threadpool
from fastapi.responses import HTMLResponse, Response
from sqlalchemy import select
from sqlalchemy.orm import Session
from starlette.datastructures import UploadFile

from adwarden.appeals.attachments import MAX_BYTES, MAX_PER_APPEAL
from adwarden.appeals.history import decision_history
from adwarden.appeals.models import Appeal, AppealAttachment
from adwarden.appeals.services import (
    MIN_ARGUMENT,
    attachment_bytes,
    file_appeal,
    open_appeal_of,
    visible_appeal,
)
from adwarden.auth.models import User
from adwarden.domain.actors import Actor
from adwarden.domain.enums import AppealStatus, DecisionStatus, Outcome
from adwarden.domain.errors import ConflictError, InvalidInputError, NotFoundError
from adwarden.enforcement.models import Decision, Notice
from adwarden.enforcement.services import clause_of, notice_of, statement_for
from adwarden.enforcement.statement import appeal_deadline
from adwarden.policy.services import current_version
from adwarden.registry.models import Account, Advertiser
from adwarden.serving.money import in_units
from adwarden.serving.reports import daily_report, report_csv, spend_by_day
from adwarden.store.base import utcnow
from adwarden.store.queries import get, page
from adwarden.web.api.selfcheck import standing_of
from adwarden.web.charts import stacked_bars
from adwarden.web.deps import DbSession, IdPath, WebUser, ensure_visible
from adwarden.web.pages import same_origin
from adwarden.web.views import PAGE_SIZE, Pager, offset_of, redirect, render, web_actor

router = APIRouter(prefix="/my", include_in_schema=False)

ARGUMENT_BOXES = 5
LATEST_MESSAGES = 5
# Enough room for the service to refuse a sixth file with its own message; beyond
# this the parser refuses the request before anything is read.
MAX_FILE_PARTS = MAX_PER_APPEAL * 4
MAX_FIELDS = ARGUMENT_BOXES * 4
# A label or a review flag leaves the ads running; these stop some or all of them.
RESTRICTING = frozenset(
    {Outcome.off_board, Outcome.account_ineligible, Outcome.pause_campaign, Outcome.reject_post}
)
ARGUMENT_HINT = (
    f"Each argument is answered on its own: one point per box, at least {MIN_ARGUMENT} "
    "characters. Leave the rest empty."
)
ATTACHMENT_HINT = (
    f"PDF, PNG, JPEG or plain text; at most {MAX_BYTES // 1048576} MB each, "
    f"at most {MAX_PER_APPEAL} files."
)
_Owned = TypeVar("_Owned", Decision, Notice)


def _advertiser_id(actor: Actor) -> int:
    # web_actor(advertiser=True) guarantees it, and the users table's check constraint too
    assert actor.advertiser_id is not None
    return actor.advertiser_id


def _own(session: Session, actor: Actor, model: type[_Owned], ident: int, kind: str) -> _Owned:
    """The record if it is this advertiser's; a missing one and another's read the same."""
    found = session.get(model, ident)
    if found is None:
        raise NotFoundError(kind, ident)
    ensure_visible(actor, found.advertiser_id, kind, ident)
    return found


def _sentence(message: str, *, capitalise: bool = True) -> str:
    """A service message (lower case, no stop) as a sentence on a page. One that opens with
    a file name keeps it as typed."""
    text = message[:1].upper() + message[1:] if capitalise else message
    return text if text.endswith((".", "?", "!")) else f"{text}."


# --- my standing ---------------------------------------------------------------------------


@router.get("", response_class=HTMLResponse)
def standing_page(request: Request, session: DbSession, user: WebUser) -> Response:
    actor = web_actor(user, advertiser=True)
    advertiser_id = _advertiser_id(actor)
    advertiser = get(session, Advertiser, advertiser_id)
    # With no policy published no clause can apply and no decision exists yet; the page
    # says so instead of failing as the API does.
    standing = standing_of(session, advertiser_id) if current_version(session) is not None else None
    ids = [item["id"] for item in standing["decisions_in_force"]] if standing else []
    for clause in standing["clauses_your_facts_meet"] if standing else []:
        clause["fact_lines"] = _fact_lines(clause["facts"])
    in_force = [
        _in_force(session, decision)
        for decision in session.scalars(
            select(Decision).where(Decision.id.in_(ids)).order_by(Decision.id)
        )
    ]
    accounts = list(
        session.scalars(
            select(Account).where(Account.advertiser_id == advertiser_id).order_by(Account.id)
        )
    )
    may_advertise, why = _may_advertise([row["decision"] for row in in_force], accounts)
    open_appeals = session.scalars(
        select(Appeal)
        .where(Appeal.advertiser_id == advertiser_id, Appeal.status == AppealStatus.open)
        .order_by(Appeal.due_at, Appeal.id)
    ).all()
    latest = session.scalars(
        select(Notice)
        .where(Notice.advertiser_id == advertiser_id)
        .order_by(Notice.created_at.desc(), Notice.id.desc())
        .limit(LATEST_MESSAGES)
    ).all()
    context = {
        "advertiser": advertiser,
        "standing": standing,
        "in_force": in_force,
        "accounts": accounts,
        "may_advertise": may_advertise,
        "why": why,
        "open_appeals": open_appeals,
        "latest": latest,
        "now": utcnow(),
    }
    return render(request, "my/standing.html", user, context)


def _in_force(session: Session, decision: Decision) -> dict[str, Any]:
    _, clause = clause_of(session, decision)
    return {
        "decision": decision,
        "end_rule": clause.end_rule,
        "appeal_by": appeal_deadline(decision, clause),
        "open_appeal": open_appeal_of(session, decision.id),
    }


def _fact_lines(facts: dict[str, Any]) -> list[str]:
    """The facts a clause read, one per line; a map such as `hits` only by its non-empty keys,
    since the empty ones are not why the clause applies."""
    lines: list[str] = []
    for name, value in facts.items():
        if isinstance(value, dict):
            named = [f"{name}.{key} = {_value(item)}" for key, item in value.items() if item]
            lines += named or [f"{name} is empty"]
        else:
            lines.append(f"{name} = {_value(value)}")
    return lines


def _value(value: Any) -> str:
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, list | tuple):
        return ", ".join(str(item) for item in value) if value else "none"
    return str(value)


def _may_advertise(decisions: list[Decision], accounts: list[Account]) -> tuple[bool, str]:
    """Whether ads can run now, and the one reason that decides it."""
    for decision in decisions:
        if decision.outcome is Outcome.off_board:
            return False, (
                f"Decision {decision.id} off-boards you under clause {decision.clause_id}: "
                "none of your accounts may promote posts while it is in force."
            )
    if not accounts:
        return False, "You have no platform account to promote posts from."
    eligible = sum(1 for account in accounts if account.ads_eligible)
    if not eligible:
        return False, "None of your accounts may promote posts."
    partial = any(decision.outcome in RESTRICTING for decision in decisions)
    limits = (
        " Some of what you run is restricted by the decisions in force below." if partial else ""
    )
    return True, f"{eligible} of {len(accounts)} of your accounts may promote posts.{limits}"


# --- messages -------------------------------------------------------------------------------


@router.get("/messages", response_class=HTMLResponse)
def messages_page(request: Request, session: DbSession, user: WebUser) -> Response:
    actor = web_actor(user, advertiser=True)
    offset = offset_of(request)
    query = (
        select(Notice)
        .where(Notice.advertiser_id == _advertiser_id(actor))
        .order_by(Notice.created_at.desc(), Notice.id.desc())
    )
    rows, total = page(session, query, offset, PAGE_SIZE)
    context = {"messages": rows, "page": Pager(request, offset, total)}
    return render(request, "my/messages.html", user, context)


@router.get("/messages/{notice_id}", response_class=HTMLResponse)
def message_page(
    notice_id: IdPath, request: Request, session: DbSession, user: WebUser
) -> Response:
    actor = web_actor(user, advertiser=True)
    notice = _own(session, actor, Notice, notice_id, "message")
    return render(request, "my/message.html", user, {"message": notice})


# --- decisions ------------------------------------------------------------------------------


@router.get("/decisions", response_class=HTMLResponse)
def decisions_page(request: Request, session: DbSession, user: WebUser) -> Response:
    actor = web_actor(user, advertiser=True)
    offset = offset_of(request)
    query = (
        select(Decision)
        .where(Decision.advertiser_id == _advertiser_id(actor))
        .order_by(Decision.starts_at.desc(), Decision.id.desc())
    )
    rows, total = page(session, query, offset, PAGE_SIZE)
    context = {"decisions": rows, "page": Pager(request, offset, total)}
    return render(request, "my/decisions.html", user, context)


@router.get("/decisions/{decision_id}", response_class=HTMLResponse)
def decision_page(
    decision_id: IdPath, request: Request, session: DbSession, user: WebUser
) -> Response:
    actor = web_actor(user, advertiser=True)
    decision = _own(session, actor, Decision, decision_id, "decision")
    return _render_decision(request, session, user, decision)


def _render_decision(
    request: Request,
    session: Session,
    user: User | None,
    decision: Decision,
    *,
    errors: dict[str, str] | None = None,
    values: dict[str, str] | None = None,
    status_code: int = status.HTTP_200_OK,
    files_dropped: bool = False,
) -> Response:
    _, clause = clause_of(session, decision)
    deadline = appeal_deadline(decision, clause)
    pending = open_appeal_of(session, decision.id)
    if decision.status is not DecisionStatus.active:
        blocked = "not_in_force"
    elif pending is not None:
        blocked = "under_appeal"
    elif utcnow() > deadline:
        blocked = "closed"
    else:
        blocked = ""
    errors = dict(errors or {})
    if blocked and errors and "form" not in errors:
        # without the form there is no field to show a field's error beside
        errors = {"form": next(iter(errors.values()))}
    try:
        notice: Notice | None = notice_of(session, decision.id)
    except NotFoundError:
        notice = None
    appeals = session.scalars(
        select(Appeal).where(Appeal.decision_id == decision.id).order_by(Appeal.id)
    ).all()
    context = {
        "decision": decision,
        "clause": clause,
        "statement": statement_for(session, decision),
        "notice": notice,
        "history": decision_history(session, decision),
        "appeals": appeals,
        "pending": pending,
        "deadline": deadline,
        "blocked": blocked,
        "errors": errors,
        "values": values or {},
        "boxes": range(1, ARGUMENT_BOXES + 1),
        "argument_hint": ARGUMENT_HINT,
        "attachment_hint": ATTACHMENT_HINT,
        "files_dropped": files_dropped,
        "now": utcnow(),
    }
    return render(request, "my/decision.html", user, context, status_code)


@router.post("/decisions/{decision_id}/appeal", response_class=HTMLResponse)
async def file_appeal_page(
    decision_id: IdPath, request: Request, session: DbSession, user: WebUser
) -> Response:
    same_origin(request)
    actor = web_actor(user, advertiser=True)
    async with request.form(max_files=MAX_FILE_PARTS, max_fields=MAX_FIELDS) as form:
        typed = [form.get(f"argument-{n}") for n in range(1, ARGUMENT_BOXES + 1)]
        arguments = [text for text in typed if isinstance(text, str) and text.strip()]
        files: list[tuple[str, bytes]] = []
        too_big = ""
        for part in form.getlist("attachments"):
            if not isinstance(part, UploadFile):
                continue
            name = part.filename or ""
            # one byte past the limit is enough to know it is too big, without reading it all
            data = await part.read(MAX_BYTES + 1)
            if not name and not data:
                continue  # the empty part a browser sends when no file was chosen
            if len(data) > MAX_BYTES:
                too_big = too_big or (
                    f"{name} is over {MAX_BYTES // 1048576} MB, the most an attachment may be."
                )
            files.append((name, data))
    # the services and the database are synchronous; keep them off the event loop
    return await run_in_threadpool(
        _file, request, session, user, actor, decision_id, arguments, files, too_big
    )


def _file(
    request: Request,
    session: Session,
    user: User | None,
    actor: Actor,
    decision_id: int,
    arguments: list[str],
    files: list[tuple[str, bytes]],
    too_big: str,
) -> Response:
    decision = _own(session, actor, Decision, decision_id, "decision")
    # Empty boxes are dropped before the service numbers the arguments, so the boxes are
    # refilled in the same order: "argument 2" in a message is then the second box.
    values = {f"argument-{n}": text for n, text in enumerate(arguments, 1)}
    errors: dict[str, str] = {}
    code = status.HTTP_422_UNPROCESSABLE_CONTENT
    if too_big:
        errors["attachments"] = too_big
    else:
        try:
            appeal = file_appeal(session, actor, decision.id, arguments, files=files)
        except InvalidInputError as exc:
            field = _form_field(exc.field)
            errors[field] = _sentence(str(exc), capitalise=field != "attachments")
        except ConflictError as exc:
            errors["form"] = _sentence(str(exc))
            code = status.HTTP_409_CONFLICT
        else:
            return redirect(f"/my/appeals/{appeal.id}")
    return _render_decision(
        request,
        session,
        user,
        decision,
        errors=errors,
        values=values,
        status_code=code,
        files_dropped=bool(files),
    )


def _form_field(field: str | None) -> str:
    """The form control a service's field name points at; the top of the form otherwise."""
    if field == "arguments":
        return "argument-1"
    if field is not None and field.startswith("arguments."):
        index = field.removeprefix("arguments.")
        if index.isdigit() and int(index) < ARGUMENT_BOXES:
            return f"argument-{int(index) + 1}"
    if field == "attachments":
        return "attachments"
    return "form"


# --- appeals --------------------------------------------------------------------------------


@router.get("/appeals", response_class=HTMLResponse)
def appeals_page(request: Request, session: DbSession, user: WebUser) -> Response:
    actor = web_actor(user, advertiser=True)
    offset = offset_of(request)
    query = (
        select(Appeal)
        .where(Appeal.advertiser_id == _advertiser_id(actor))
        .order_by(Appeal.filed_at.desc(), Appeal.id.desc())
    )
    rows, total = page(session, query, offset, PAGE_SIZE)
    context = {"appeals": rows, "page": Pager(request, offset, total), "now": utcnow()}
    return render(request, "my/appeals.html", user, context)


@router.get("/appeals/{appeal_id}", response_class=HTMLResponse)
def appeal_page(appeal_id: IdPath, request: Request, session: DbSession, user: WebUser) -> Response:
    actor = web_actor(user, advertiser=True)
    appeal = visible_appeal(session, actor, appeal_id)
    messages = session.scalars(
        select(Notice).where(Notice.appeal_id == appeal.id).order_by(Notice.id)
    ).all()
    context = {
        "appeal": appeal,
        "decision": get(session, Decision, appeal.decision_id),
        "messages": messages,
        "now": utcnow(),
    }
    return render(request, "my/appeal.html", user, context)


@router.get("/appeals/{appeal_id}/attachments/{attachment_id}")
def attachment_download(
    appeal_id: IdPath, attachment_id: IdPath, session: DbSession, user: WebUser
) -> Response:
    actor = web_actor(user, advertiser=True)
    appeal = visible_appeal(session, actor, appeal_id)
    stored = session.get(AppealAttachment, attachment_id)
    if stored is None or stored.appeal_id != appeal.id:
        raise NotFoundError("attachment", attachment_id)
    found, data = attachment_bytes(session, actor, attachment_id)
    return Response(
        data,
        media_type=found.media_type,
        headers={
            "Content-Disposition": _disposition(found.filename),
            # the type was checked by content on the way in; browsers must not guess another
            "X-Content-Type-Options": "nosniff",
        },
    )


def _disposition(filename: str) -> str:
    """A download header that survives any file name: headers are Latin-1, names are not."""
    fallback = "".join(
        c if c.isascii() and c.isprintable() and c not in '"\\' else "_" for c in filename
    )
    return f"attachment; filename=\"{fallback}\"; filename*=UTF-8''{quote(filename, safe='')}"


# --- my ads' results -----------------------------------------------------------------------


@router.get("/report", response_class=HTMLResponse)
def report_page(request: Request, session: DbSession, user: WebUser) -> Response:
    actor = web_actor(user, advertiser=True)
    rows = daily_report(session, _advertiser_id(actor))
    days, series = spend_by_day(rows)
    chart = stacked_bars("Spend by day and campaign", days, series, "spend") if rows else None
    context = {"rows": rows, "chart": chart, "money": in_units}
    return render(request, "my/report.html", user, context)


@router.get("/report.csv")
def report_download(session: DbSession, user: WebUser) -> Response:
    actor = web_actor(user, advertiser=True)
    advertiser_id = _advertiser_id(actor)
    return Response(
        report_csv(daily_report(session, advertiser_id)),
        media_type="text/csv; charset=utf-8",
        headers={"Content-Disposition": f'attachment; filename="report-{advertiser_id}.csv"'},
    )
