"""What every server-rendered page shares: the templates, who is signed in, paging, and
turning a stage error into a page (pages never answer in JSON)."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import Any
from urllib.parse import urlencode

from fastapi import Request, status
from fastapi.responses import HTMLResponse, RedirectResponse, Response
from fastapi.templating import Jinja2Templates

from adwarden.auth.models import User
from adwarden.auth.services import actor_for
from adwarden.domain.actors import Actor, Source
from adwarden.domain.enums import Role

templates = Jinja2Templates(directory=Path(__file__).parent / "templates")

PAGE_SIZE = 25


def when(moment: datetime | None) -> str:
    return moment.astimezone(UTC).strftime("%Y-%m-%d %H:%M UTC") if moment else "—"


templates.env.globals["when"] = when


def render(
    request: Request,
    name: str,
    user: User | None,
    context: dict[str, Any] | None = None,
    status_code: int = status.HTTP_200_OK,
) -> HTMLResponse:
    return templates.TemplateResponse(
        request, name, {"user": user, **(context or {})}, status_code=status_code
    )


# Public pages are the same for everyone (no signed-in name in them), so any cache may keep
# them for a minute; what they show is published already.
PUBLIC_CACHE = "public, max-age=60"


def public_page(
    request: Request,
    name: str,
    context: dict[str, Any] | None = None,
    status_code: int = status.HTTP_200_OK,
) -> HTMLResponse:
    """A page of the transparency center: rendered for nobody in particular, cacheable."""
    response = render(request, name, None, context, status_code)
    response.headers["Cache-Control"] = PUBLIC_CACHE
    return response


def error_page(request: Request, user: User | None, status_code: int, message: str) -> Response:
    return render(request, "error.html", user, {"message": message}, status_code)


class SignInRequiredError(Exception):
    """Raised by `web_actor` when nobody is signed in; the app sends them to /login."""


class WrongRoleError(Exception):
    def __init__(self, message: str) -> None:
        super().__init__(message)


def web_actor(user: User | None, *, staff: bool = False, advertiser: bool = False) -> Actor:
    """The signed-in user as an actor for the services, or an exception the app turns into
    a sign-in redirect (nobody signed in) or a 403 page (the wrong role)."""
    if user is None:
        raise SignInRequiredError
    if staff and not user.role.is_staff:
        raise WrongRoleError("This page is for staff.")
    if advertiser and user.role is not Role.advertiser:
        raise WrongRoleError("This page is for advertiser users.")
    return actor_for(user, Source.web)


def sign_in_redirect(request: Request) -> Response:
    target = request.url.path + (f"?{request.url.query}" if request.url.query else "")
    return RedirectResponse(f"/login?{urlencode({'next': target})}", status.HTTP_303_SEE_OTHER)


def redirect(url: str) -> Response:
    """After a successful form post: see the result (post/redirect/get)."""
    return RedirectResponse(url, status.HTTP_303_SEE_OTHER)


@dataclass(frozen=True)
class Pager:
    """One page of a list: which rows, how many in all, and links to the neighbours."""

    request: Request
    offset: int
    total: int
    limit: int = PAGE_SIZE

    def _url(self, offset: int) -> str:
        params = dict(self.request.query_params) | {"offset": str(offset)}
        return f"{self.request.url.path}?{urlencode(params)}"

    @property
    def first(self) -> int:
        return self.offset + 1 if self.total else 0

    @property
    def last(self) -> int:
        return min(self.offset + self.limit, self.total)

    @property
    def previous_url(self) -> str | None:
        return self._url(max(0, self.offset - self.limit)) if self.offset > 0 else None

    @property
    def next_url(self) -> str | None:
        return self._url(self.offset + self.limit) if self.last < self.total else None


def offset_of(request: Request) -> int:
    """The `offset` query parameter, forgiving: anything odd reads as the first page."""
    raw = request.query_params.get("offset", "0")
    return int(raw) if raw.isdigit() and int(raw) < 10_000_000 else 0
