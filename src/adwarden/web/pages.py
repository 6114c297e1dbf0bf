"""Server-rendered pages: the home page and signing in and out."""

from __future__ import annotations

from typing import Annotated
from urllib.parse import urlsplit

from fastapi import APIRouter, Form, HTTPException, Request, status
from fastapi.responses import HTMLResponse, RedirectResponse, Response
from sqlalchemy import func, select

from adwarden import settings
from adwarden.auth.services import authenticate, end_web_session, start_web_session
from adwarden.policy.selfcheck import ASSUMPTION, self_check
from adwarden.policy.services import current_version, policy_of
from adwarden.registry.models import Account, Advertiser, OrganicPost, Person
from adwarden.screening.index import request_index
from adwarden.serving.models import Campaign, PromotedPost
from adwarden.web.api.selfcheck import clauses_out
from adwarden.web.deps import DbSession, WebUser, reads_only
from adwarden.web.views import templates

router = APIRouter(include_in_schema=False)


def same_origin(request: Request) -> None:
    """Refuse a form post sent from another site (the session cookie is also SameSite=Lax)."""
    origin = request.headers.get("origin")
    if origin and urlsplit(origin).netloc != request.headers.get("host"):
        raise HTTPException(status.HTTP_403_FORBIDDEN, "form posted from another site")


@router.get("/", response_class=HTMLResponse)
def home(request: Request, session: DbSession, user: WebUser) -> Response:
    counts = {
        label: session.scalar(select(func.count()).select_from(model)) or 0
        for label, model in (
            ("advertisers", Advertiser),
            ("people", Person),
            ("accounts", Account),
            ("organic posts", OrganicPost),
            ("campaigns", Campaign),
            ("promoted posts", PromotedPost),
        )
    }
    return templates.TemplateResponse(request, "home.html", {"user": user, "counts": counts})


def _safe_next(target: str) -> str:
    """Where to go after signing in: a path on this site only, never another host."""
    return target if target.startswith("/") and not target.startswith(("//", "/\\")) else ""


@router.get("/login", response_class=HTMLResponse)
def login_form(request: Request, user: WebUser, next: str = "") -> Response:
    context: dict[str, object] = {"user": user, "errors": {}, "next": _safe_next(next)}
    return templates.TemplateResponse(request, "login.html", context)


@router.post("/login", response_class=HTMLResponse)
def login(
    request: Request,
    session: DbSession,
    email: Annotated[str, Form(max_length=254)] = "",
    password: Annotated[str, Form(max_length=1000)] = "",
    next: Annotated[str, Form(max_length=2000)] = "",
) -> Response:
    same_origin(request)
    errors = {}
    if not email.strip():
        errors["email"] = "Enter your email address."
    if not password:
        errors["password"] = "Enter your password."  # noqa: S105  (a form message)
    user = authenticate(session, email, password) if not errors else None
    if user is None:
        errors.setdefault("form", "That email and password do not match an active account.")
        return templates.TemplateResponse(
            request,
            "login.html",
            {"user": None, "errors": errors, "email": email, "next": _safe_next(next)},
            status_code=status.HTTP_400_BAD_REQUEST,
        )
    token = start_web_session(session, user)
    landing = _safe_next(next) or ("/staff" if user.role.is_staff else "/my")
    response = RedirectResponse(landing, status.HTTP_303_SEE_OTHER)
    response.set_cookie(
        settings.SESSION_COOKIE,
        token,
        max_age=settings.SESSION_HOURS * 3600,
        httponly=True,
        samesite="lax",
        secure=settings.COOKIE_SECURE,
    )
    return response


@router.post("/logout")
def logout(request: Request, session: DbSession) -> Response:
    same_origin(request)
    token = request.cookies.get(settings.SESSION_COOKIE)
    if token:
        end_web_session(session, token)
    response = RedirectResponse("/", status.HTTP_303_SEE_OTHER)
    response.delete_cookie(settings.SESSION_COOKIE)
    return response


@router.get("/account", response_class=HTMLResponse)
def account(request: Request, session: DbSession, user: WebUser) -> Response:
    if user is None:
        return RedirectResponse("/login", status.HTTP_303_SEE_OTHER)
    advertiser = session.get(Advertiser, user.advertiser_id) if user.advertiser_id else None
    return templates.TemplateResponse(
        request, "account.html", {"user": user, "advertiser": advertiser}
    )


@router.get("/self-check", response_class=HTMLResponse)
def self_check_form(request: Request, session: DbSession, user: WebUser) -> Response:
    version = current_version(session)
    context: dict[str, object] = {
        "user": user,
        "errors": {},
        "checked": False,
        "version": version and version.number,
    }
    return templates.TemplateResponse(request, "selfcheck.html", context)


@router.post("/self-check", response_class=HTMLResponse)
@reads_only
def self_check_page(
    request: Request,
    session: DbSession,
    user: WebUser,
    names: Annotated[str, Form(max_length=3000)] = "",
    country: Annotated[str, Form(max_length=10)] = "",
) -> Response:
    same_origin(request)
    given = [line.strip() for line in names.splitlines() if line.strip()][:20]
    code = country.strip().upper()
    errors = {}
    if not given:
        errors["names"] = "Enter at least one name."
    if code and (len(code) != 2 or not code.isalpha()):
        errors["country"] = "Use a two-letter ISO country code, such as RU, or leave it empty."
    # before the session has a connection (for anyone not signed in): a cold process waits
    # here for its screening index
    index = request_index(session) if not errors else None
    version = current_version(session)
    if version is None:
        errors["form"] = "No policy is published yet."
    context: dict[str, object] = {
        "user": user,
        "errors": errors,
        "names": names,
        "country": country,
        "checked": not errors,
        "version": version and version.number,
    }
    if errors or version is None:
        return templates.TemplateResponse(
            request, "selfcheck.html", context, status_code=status.HTTP_400_BAD_REQUEST
        )
    policy = policy_of(version)
    result = self_check(session, policy, given, country=code or None, index=index)
    context.update(
        clauses=clauses_out(policy, result.verdict), matches=result.matches, assumption=ASSUMPTION
    )
    return templates.TemplateResponse(request, "selfcheck.html", context)
