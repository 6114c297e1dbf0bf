"""The transparency center's pages: the ads repository, the decisions database, and the page
for downloads and the verifiable log. Plain HTML forms with GET, so every search is a link."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import date
from enum import StrEnum
from typing import Any, TypeVar

from fastapi import APIRouter, Request
from fastapi.responses import HTMLResponse, Response

from adwarden.domain.enums import DecisionStatus, GroundKind, Outcome, SubjectLevel
from adwarden.domain.errors import NotFoundError
from adwarden.enforcement.models import Decision
from adwarden.store.queries import get
from adwarden.transparency import ads as ad_repository
from adwarden.transparency import decisions as decision_database
from adwarden.transparency import keys, log
from adwarden.transparency.log import size_of
from adwarden.web.deps import DbSession, IdPath
from adwarden.web.views import PAGE_SIZE, Pager, offset_of, public_page

router = APIRouter(include_in_schema=False)

E = TypeVar("E", bound=StrEnum)


@dataclass
class Form:
    """A search form read from the query string: values as typed, and what was wrong."""

    request: Request
    values: dict[str, str] = field(default_factory=dict)
    errors: dict[str, str] = field(default_factory=dict)

    def text(self, name: str, limit: int = 200) -> str | None:
        value = self.request.query_params.get(name, "").strip()
        self.values[name] = value
        if len(value) > limit:
            self.errors[name] = f"at most {limit} characters"
            return None
        return value or None

    def choice(self, name: str, kind: type[E]) -> E | None:
        value = self.text(name)
        if value is None:
            return None
        try:
            return kind(value)
        except ValueError:
            self.errors[name] = f"choose one of: {', '.join(item.value for item in kind)}"
            return None

    def day(self, name: str) -> date | None:
        value = self.text(name)
        if value is None:
            return None
        try:
            return date.fromisoformat(value)
        except ValueError:
            self.errors[name] = "a date as YYYY-MM-DD"
            return None

    def check(self, rule: bool, name: str, message: str) -> None:
        if not rule and name not in self.errors:
            self.errors[name] = message


def _options(kind: type[StrEnum], label: Callable[[str], str] = str) -> list[tuple[str, str]]:
    return [("", "any"), *((item.value, label(item.value)) for item in kind)]


def _words(value: str) -> str:
    return value.replace("_", " ")


@router.get("/ads", response_class=HTMLResponse)
def ads_page(request: Request, session: DbSession) -> Response:
    form = Form(request)
    advertiser = form.text("advertiser")
    text = form.text("text")
    country = form.text("country")
    form.check(country is None or (len(country) == 2 and country.isalpha()), "country",
               "a two-letter country code, such as DE")  # fmt: skip
    since, until = form.day("since"), form.day("until")
    form.check(not (since and until and since > until), "since", "must not be after the until date")
    ad_status = form.choice("status", ad_repository.AdStatus)
    sort = form.choice("sort", ad_repository.AdSort) or ad_repository.AdSort.newest
    context: dict[str, Any] = {
        "form": form,
        "statuses": _options(ad_repository.AdStatus),
        "sorts": [(item.value, _words(item.value)) for item in ad_repository.AdSort],
    }
    if form.errors:
        return public_page(request, "public/ads.html", {**context, "ads": [], "page": None}, 422)
    offset = min(offset_of(request), decision_database.SEARCH_DEPTH)
    filters = ad_repository.AdFilters(
        advertiser, text, country if not form.errors.get("country") else None, since, until,
        ad_status, sort,
    )  # fmt: skip
    found = ad_repository.search(session, filters, offset=offset, limit=PAGE_SIZE)
    page = Pager(request, offset, found.shown_total)
    return public_page(
        request,
        "public/ads.html",
        {**context, "ads": found.items, "page": page, "more": found.more_than_cap},
    )


@router.get("/ads/{ad_id}", response_class=HTMLResponse)
def ad_page(request: Request, session: DbSession, ad_id: IdPath) -> Response:
    found = ad_repository.ad_by_id(session, ad_id)
    if found is None:
        raise NotFoundError("ad", ad_id)
    return public_page(request, "public/ad.html", {"ad": found})


@router.get("/decisions", response_class=HTMLResponse)
def decisions_page(request: Request, session: DbSession) -> Response:
    form = Form(request)
    advertiser = form.text("advertiser")
    clause = form.text("clause", 20)
    form.check(
        clause is None or all(part.isdigit() for part in clause.split(".")),
        "clause",
        "a clause number, such as 3.1",
    )
    outcome = form.choice("outcome", Outcome)
    level = form.choice("level", SubjectLevel)
    ground = form.choice("ground", GroundKind)
    automated_value = form.text("automated")
    form.check(automated_value in (None, "yes", "no"), "automated", "choose yes or no")
    decision_status = form.choice("status", DecisionStatus)
    since, until = form.day("since"), form.day("until")
    form.check(not (since and until and since > until), "since", "must not be after the until date")
    context: dict[str, Any] = {
        "form": form,
        "outcomes": _options(Outcome, _words),
        "levels": _options(SubjectLevel),
        "grounds": [("", "any"), ("legal", "the law"), ("terms", "our terms")],
        "automated": [("", "either"), ("yes", "automated"), ("no", "by a person")],
        "statuses": _options(DecisionStatus),
    }
    if form.errors:
        return public_page(
            request, "public/decisions.html", {**context, "decisions": [], "page": None}, 422
        )
    filters = decision_database.DecisionFilters(
        advertiser, clause, outcome, level, ground,
        None if automated_value is None else automated_value == "yes", decision_status,
        since, until,
    )  # fmt: skip
    offset = min(offset_of(request), decision_database.SEARCH_DEPTH)
    found = decision_database.search(session, filters, offset=offset, limit=PAGE_SIZE)
    views = decision_database.public_decisions(session, found.items)
    page = Pager(request, offset, found.shown_total)
    return public_page(
        request,
        "public/decisions.html",
        {**context, "decisions": views, "page": page, "more": found.more_than_cap},
    )


@router.get("/decisions/{decision_id}", response_class=HTMLResponse)
def decision_page(request: Request, session: DbSession, decision_id: IdPath) -> Response:
    decision = get(session, Decision, decision_id)
    view = decision_database.public_decisions(session, [decision])[0]
    size = size_of(session)
    return public_page(request, "public/decision.html", {"view": view, "log_size": size})


@router.get("/data", response_class=HTMLResponse)
def data_page(request: Request, session: DbSession) -> Response:
    size = size_of(session)
    head = log.latest_head(session) if size else None
    recent = log.entries(session, max(0, size - 10), size)
    return public_page(
        request,
        "public/data.html",
        {
            "head": head,
            "key": keys.public_key(),
            "recent": list(reversed(recent)),
            "base": str(request.base_url).rstrip("/"),
        },
    )
