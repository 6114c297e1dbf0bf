"""An advertiser user reaches only its own advertiser's data, on every route.

The test walks every route the app has. Each non-public route must appear in
CASES, so a new route without a case fails here until someone decides what
another advertiser's user may see of it.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

import httpx
import pytest
from starlette.routing import Mount

from adwarden.enforcement.services import notice_of
from adwarden.store.engine import Database
from adwarden.web.app import create_app
from support import (
    PASSWORD,
    Tenant,
    api_client,
    live_server,
    make_appeal,
    make_decision,
    make_tenant,
)

PUBLIC = {
    ("GET", "/"),
    ("GET", "/login"),
    ("POST", "/login"),
    ("POST", "/logout"),
    ("GET", "/api/v1/health"),
    ("POST", "/api/v1/tokens"),
    ("POST", "/api/v1/public/self-check"),
    ("GET", "/self-check"),
    ("POST", "/self-check"),
    ("GET", "/api/v1/openapi.json"),
    ("GET", "/api/v1/docs"),
    ("GET", "/api/v1/docs/oauth2-redirect"),
    # the ad server: a platform's pages ask it for ads; its event URLs are signed, not secret
    ("POST", "/api/v1/serve"),
    ("GET", "/api/v1/events/{token}"),
    # the transparency center: published records, the same for everyone (test_public.py
    # checks that they carry no personal data)
    ("GET", "/ads"),
    ("GET", "/ads/{ad_id}"),
    ("GET", "/api/v1/public/ads"),
    ("GET", "/api/v1/public/ads/{ad_id}"),
    ("GET", "/api/v1/public/decisions"),
    ("GET", "/api/v1/public/decisions/{decision_id}"),
    ("GET", "/api/v1/public/exports/ads.{fmt}"),
    ("GET", "/api/v1/public/exports/decisions.{fmt}"),
    ("GET", "/api/v1/public/log/entries"),
    ("GET", "/api/v1/public/log/key"),
    ("GET", "/api/v1/public/log/proof/consistency"),
    ("GET", "/api/v1/public/log/proof/inclusion"),
    ("GET", "/api/v1/public/log/tree-head"),
    ("GET", "/api/v1/public/log/tree-heads/{tree_size}"),
    ("GET", "/api/v1/public/policy"),
    ("GET", "/api/v1/public/policy/diff"),
    ("GET", "/api/v1/public/policy/versions"),
    ("GET", "/api/v1/public/policy/versions/{number}"),
    ("GET", "/api/v1/public/reports/{dimension}"),
    ("GET", "/data"),
    ("GET", "/decisions"),
    ("GET", "/decisions/{decision_id}"),
    ("GET", "/policy"),
    ("GET", "/policy/changelog"),
    ("GET", "/policy/diff"),
    ("GET", "/policy/versions"),
    ("GET", "/policy/v{number}"),
    ("GET", "/reports"),
    ("GET", "/reports/{dimension}"),
    ("GET", "/reports/{dimension}.csv"),
}
PUBLIC_MOUNTS = {"/static"}

Body = Callable[[Tenant], dict[str, Any]]


def campaign_body(_t: Tenant) -> dict[str, Any]:
    return {"name": "Probe", "daily_budget": "1.00", "lifetime_budget": "2.00", "bid_cpm": "1.00"}


def post_body(t: Tenant) -> dict[str, Any]:
    return {"account_id": t.account_id, "text": "Probe"}


@dataclass(frozen=True)
class Case:
    """How to call a route for a tenant, and what its own user gets (the control)."""

    params: Callable[[Tenant], dict[str, int]]
    body: Body | None = None
    own_status: int = 200
    upload: bool = False  # a multipart file instead of a JSON body


def advertiser(t: Tenant) -> dict[str, int]:
    return {"advertiser_id": t.advertiser_id}


def account(t: Tenant) -> dict[str, int]:
    return {"account_id": t.account_id}


def campaign(t: Tenant) -> dict[str, int]:
    return {"campaign_id": t.campaign_id}


def promoted(t: Tenant) -> dict[str, int]:
    return {"post_id": t.promoted_post_id}


def person(t: Tenant) -> dict[str, int]:
    return {"person_id": t.person_id}


def none(_t: Tenant) -> dict[str, int]:
    return {}


# each tenant's decision, and its appeal with one attachment, made by the `tenants` fixture
DECISIONS: dict[int, int] = {}
APPEALS: dict[int, tuple[int, int]] = {}
MESSAGES: dict[int, int] = {}


def decision(t: Tenant) -> dict[str, int]:
    return {"decision_id": DECISIONS[t.advertiser_id]}


def appeal(t: Tenant) -> dict[str, int]:
    return {"appeal_id": APPEALS[t.advertiser_id][0]}


def attachment(t: Tenant) -> dict[str, int]:
    appeal_id, attachment_id = APPEALS[t.advertiser_id]
    return {"appeal_id": appeal_id, "attachment_id": attachment_id}


def message(t: Tenant) -> dict[str, int]:
    return {"notice_id": MESSAGES[t.advertiser_id]}


def first_task(_t: Tenant) -> dict[str, int]:
    return {"task_id": 1}


def first_hit(_t: Tenant) -> dict[str, int]:
    return {"hit_id": 1}


STAFF_ONLY = 403

CASES: dict[tuple[str, str], Case] = {
    ("GET", "/api/v1/advertisers"): Case(none, own_status=STAFF_ONLY),
    ("POST", "/api/v1/advertisers"): Case(
        none, lambda t: {"kind": "organization", "name": "Probe"}, own_status=STAFF_ONLY
    ),
    ("GET", "/api/v1/advertisers/{advertiser_id}"): Case(advertiser),
    ("PATCH", "/api/v1/advertisers/{advertiser_id}"): Case(
        advertiser, lambda t: {"name": "Renamed"}, own_status=STAFF_ONLY
    ),
    ("POST", "/api/v1/advertisers/{advertiser_id}/names"): Case(
        advertiser, lambda t: {"name": "Alias"}, own_status=STAFF_ONLY
    ),
    ("GET", "/api/v1/advertisers/{advertiser_id}/people"): Case(advertiser),
    ("POST", "/api/v1/advertisers/{advertiser_id}/people"): Case(
        advertiser, lambda t: {"person_id": t.person_id, "role": "owner"}, own_status=STAFF_ONLY
    ),
    ("GET", "/api/v1/advertisers/{advertiser_id}/accounts"): Case(advertiser),
    ("GET", "/api/v1/advertisers/{advertiser_id}/campaigns"): Case(advertiser),
    ("POST", "/api/v1/advertisers/{advertiser_id}/campaigns"): Case(
        advertiser, campaign_body, own_status=201
    ),
    ("GET", "/api/v1/people"): Case(none, own_status=STAFF_ONLY),
    ("POST", "/api/v1/people"): Case(none, lambda t: {"name": "Probe"}, own_status=STAFF_ONLY),
    ("GET", "/api/v1/people/{person_id}"): Case(person, own_status=STAFF_ONLY),
    ("GET", "/api/v1/accounts"): Case(none, own_status=STAFF_ONLY),
    ("POST", "/api/v1/accounts"): Case(
        none, lambda t: {"handle": "probe", "display_name": "Probe"}, own_status=STAFF_ONLY
    ),
    ("GET", "/api/v1/accounts/{account_id}"): Case(account),
    ("PATCH", "/api/v1/accounts/{account_id}"): Case(
        account, lambda t: {"display_name": "Probe"}, own_status=STAFF_ONLY
    ),
    ("GET", "/api/v1/accounts/{account_id}/posts"): Case(account),
    ("POST", "/api/v1/accounts/{account_id}/posts"): Case(
        account, lambda t: {"text": "Probe", "posted_at": "2026-01-02T03:04:05Z"}, own_status=201
    ),
    ("GET", "/api/v1/campaigns/{campaign_id}"): Case(campaign),
    ("PATCH", "/api/v1/campaigns/{campaign_id}"): Case(campaign, lambda t: {"name": "Probe 2"}),
    ("GET", "/api/v1/campaigns/{campaign_id}/promoted-posts"): Case(campaign),
    ("POST", "/api/v1/campaigns/{campaign_id}/promoted-posts"): Case(
        campaign, post_body, own_status=201
    ),
    ("GET", "/api/v1/promoted-posts/{post_id}"): Case(promoted),
    ("PATCH", "/api/v1/promoted-posts/{post_id}"): Case(promoted, lambda t: {"text": "Probe 2"}),
    # Screening is staff work: an advertiser's user learns nothing, not even whether a hit exists.
    ("POST", "/api/v1/screening/match"): Case(
        none, lambda t: {"name": "Probe"}, own_status=STAFF_ONLY
    ),
    ("GET", "/api/v1/screening/hits"): Case(none, own_status=STAFF_ONLY),
    ("GET", "/api/v1/screening/hits/{hit_id}"): Case(first_hit, own_status=STAFF_ONLY),
    ("POST", "/api/v1/screening/hits/{hit_id}/review"): Case(
        first_hit, lambda t: {"decision": "dismiss", "reason": "Probe"}, own_status=STAFF_ONLY
    ),
    # Decisions: an advertiser reads its own; only staff lift them or work review tasks.
    ("GET", "/api/v1/decisions"): Case(none),
    ("GET", "/api/v1/decisions/{decision_id}"): Case(decision),
    ("GET", "/api/v1/decisions/{decision_id}/statement"): Case(decision),
    ("GET", "/api/v1/decisions/{decision_id}/notice"): Case(decision),
    ("POST", "/api/v1/decisions/{decision_id}/lift"): Case(
        decision, lambda t: {"reason": "Probe"}, own_status=STAFF_ONLY
    ),
    ("GET", "/api/v1/review-tasks"): Case(none, own_status=STAFF_ONLY),
    ("GET", "/api/v1/review-tasks/due"): Case(none, own_status=STAFF_ONLY),
    ("POST", "/api/v1/review-tasks/due"): Case(none, own_status=STAFF_ONLY),
    ("POST", "/api/v1/review-tasks/{task_id}/decide"): Case(
        first_task,
        lambda t: {"clause_id": "3.1", "facts_summary": "Probe " * 10},
        own_status=STAFF_ONLY,
    ),
    ("POST", "/api/v1/review-tasks/{task_id}/close"): Case(
        first_task, lambda t: {"resolution": "Probe " * 10}, own_status=STAFF_ONLY
    ),
    ("GET", "/api/v1/decisions/{decision_id}/history"): Case(decision),
    # Appeals: an advertiser files and follows its own; staff work the queue.
    ("POST", "/api/v1/decisions/{decision_id}/appeals"): Case(
        decision, lambda t: {"arguments": ["Probe argument, long enough."]}, own_status=409
    ),
    ("GET", "/api/v1/appeals"): Case(none),
    ("GET", "/api/v1/appeals/metrics"): Case(none, own_status=STAFF_ONLY),
    ("POST", "/api/v1/appeal-escalations"): Case(none, own_status=STAFF_ONLY),
    ("GET", "/api/v1/appeals/{appeal_id}"): Case(appeal),
    ("POST", "/api/v1/appeals/{appeal_id}/attachments"): Case(appeal, upload=True, own_status=201),
    ("GET", "/api/v1/appeals/{appeal_id}/attachments/{attachment_id}"): Case(attachment),
    ("POST", "/api/v1/appeals/{appeal_id}/assign"): Case(
        appeal, lambda t: {}, own_status=STAFF_ONLY
    ),
    ("POST", "/api/v1/appeals/{appeal_id}/decide"): Case(
        appeal,
        lambda t: {"outcome": "upheld", "answer": "Probe " * 10, "points": ["Probe " * 3]},
        own_status=STAFF_ONLY,
    ),
    ("GET", "/api/v1/messages"): Case(none),
    ("GET", "/api/v1/advertisers/{advertiser_id}/report"): Case(advertiser),
    ("GET", "/api/v1/placements"): Case(none, own_status=STAFF_ONLY),
    ("POST", "/api/v1/placements"): Case(
        none, lambda t: {"key": "probe", "reserve_cpm": "1.00"}, own_status=STAFF_ONLY
    ),
    ("POST", "/api/v1/policy/whatif"): Case(
        none, lambda t: {"policy": "clauses: []"}, own_status=STAFF_ONLY
    ),
    # Routes without ids of their own: they must show the caller's data and nobody else's.
    ("GET", "/api/v1/me"): Case(none),
    ("GET", "/api/v1/me/standing"): Case(none),
}

# Pages, called with a signed-in browser session. The staff console refuses advertiser users
# outright; the advertiser area shows its own and answers 404 for anyone else's.
STAFF_PAGE = 403
PAGE_CASES: dict[tuple[str, str], Case] = {
    ("GET", "/account"): Case(none),
    ("GET", "/my"): Case(none),
    ("GET", "/my/messages"): Case(none),
    ("GET", "/my/messages/{notice_id}"): Case(message),
    ("GET", "/my/decisions"): Case(none),
    ("GET", "/my/decisions/{decision_id}"): Case(decision),
    ("POST", "/my/decisions/{decision_id}/appeal"): Case(
        decision, lambda t: {"argument-1": "Probe argument, long enough."}, own_status=409
    ),
    ("GET", "/my/appeals"): Case(none),
    ("GET", "/my/report"): Case(none),
    ("GET", "/my/report.csv"): Case(none),
    ("GET", "/my/appeals/{appeal_id}"): Case(appeal),
    ("GET", "/my/appeals/{appeal_id}/attachments/{attachment_id}"): Case(attachment),
    ("GET", "/staff"): Case(none, own_status=STAFF_PAGE),
    ("GET", "/staff/hits"): Case(none, own_status=STAFF_PAGE),
    ("GET", "/staff/hits/{hit_id}"): Case(first_hit, own_status=STAFF_PAGE),
    ("POST", "/staff/hits/{hit_id}"): Case(
        first_hit, lambda t: {"review": "dismiss", "reason": "Probe"}, own_status=STAFF_PAGE
    ),
    ("GET", "/staff/tasks"): Case(none, own_status=STAFF_PAGE),
    ("POST", "/staff/tasks/due"): Case(none, lambda t: {}, own_status=STAFF_PAGE),
    ("GET", "/staff/tasks/{task_id}"): Case(first_task, own_status=STAFF_PAGE),
    ("POST", "/staff/tasks/{task_id}/decide"): Case(
        first_task,
        lambda t: {"clause_id": "3.1", "facts_summary": "Probe " * 10},
        own_status=STAFF_PAGE,
    ),
    ("POST", "/staff/tasks/{task_id}/close"): Case(
        first_task, lambda t: {"resolution": "Probe " * 10}, own_status=STAFF_PAGE
    ),
    ("GET", "/staff/appeals"): Case(none, own_status=STAFF_PAGE),
    ("GET", "/staff/appeals/{appeal_id}"): Case(appeal, own_status=STAFF_PAGE),
    ("GET", "/staff/appeals/{appeal_id}/attachments/{attachment_id}"): Case(
        attachment, own_status=STAFF_PAGE
    ),
    ("POST", "/staff/appeals/{appeal_id}/take"): Case(appeal, lambda t: {}, own_status=STAFF_PAGE),
    ("POST", "/staff/appeals/{appeal_id}/assign"): Case(
        appeal, lambda t: {"reviewer_id": "1"}, own_status=STAFF_PAGE
    ),
    ("POST", "/staff/appeals/{appeal_id}/decide"): Case(
        appeal,
        lambda t: {"outcome": "upheld", "answer": "Probe " * 10, "points-0": "Probe " * 3},
        own_status=STAFF_PAGE,
    ),
    ("GET", "/staff/decisions"): Case(none, own_status=STAFF_PAGE),
    ("GET", "/staff/decisions/{decision_id}"): Case(decision, own_status=STAFF_PAGE),
    ("POST", "/staff/decisions/{decision_id}/lift"): Case(
        decision, lambda t: {"reason": "Probe"}, own_status=STAFF_PAGE
    ),
    ("GET", "/staff/advertisers"): Case(none, own_status=STAFF_PAGE),
    ("GET", "/staff/advertisers/{advertiser_id}"): Case(advertiser, own_status=STAFF_PAGE),
}


def app_routes() -> set[tuple[str, str]]:
    """Every (method, path) the app answers, taken from the app itself."""
    app = create_app(Database("sqlite://"))
    found: set[tuple[str, str]] = set()
    for route in app.routes:
        if isinstance(route, Mount):
            assert route.path in PUBLIC_MOUNTS, f"mount {route.path} has no isolation case"
            continue
        # FastAPI 0.16x includes routers lazily; their routes are reached through
        # effective_route_contexts(). An unknown kind of route fails loudly.
        contexts = (
            list(route.effective_route_contexts())
            if hasattr(route, "effective_route_contexts")
            else [route]
        )
        for context in contexts:
            assert isinstance(context.path, str), f"cannot read the path of {context!r}"
            methods = set(context.methods or ()) - {"HEAD"}
            assert methods, f"cannot read the methods of {context.path}"
            found |= {(method, context.path) for method in methods}
    return found


def test_every_route_is_public_or_has_an_isolation_case() -> None:
    routes = app_routes()
    uncovered = routes - PUBLIC - set(CASES) - set(PAGE_CASES)
    assert not uncovered, f"routes without an isolation case: {sorted(uncovered)}"
    stale = (set(CASES) | set(PAGE_CASES)) - routes
    assert not stale, f"isolation cases for routes that no longer exist: {sorted(stale)}"


def _call(
    client: httpx.Client, method: str, path: str, case: Case, tenant: Tenant
) -> httpx.Response:
    url = path.format(**case.params(tenant))
    if case.upload:
        return client.request(method, url, files={"file": ("probe.txt", b"a probe file")})
    body = case.body(tenant) if case.body else None
    return client.request(method, url, json=body)


@pytest.fixture
def tenants(db: Database) -> tuple[Tenant, Tenant]:
    pair = make_tenant(db, "Alpha"), make_tenant(db, "Bravo")
    for tenant in pair:
        DECISIONS[tenant.advertiser_id] = make_decision(db, tenant)
        APPEALS[tenant.advertiser_id] = make_appeal(db, tenant, DECISIONS[tenant.advertiser_id])
        with db.sessions() as session:
            MESSAGES[tenant.advertiser_id] = notice_of(session, DECISIONS[tenant.advertiser_id]).id
    return pair


def _leaks(response: httpx.Response, other: Tenant) -> bool:
    text = response.text
    return "Bravo" in text or other.user_email in text


def test_api_routes_refuse_other_advertisers_data(
    db: Database, tenants: tuple[Tenant, Tenant]
) -> None:
    own, other = tenants
    problems: list[str] = []
    with api_client(db, own.user_email) as client:
        for (method, path), case in sorted(CASES.items()):
            if case.params(other):
                answer = _call(client, method, path, case, other)
                if answer.status_code not in (403, 404) or _leaks(answer, other):
                    problems.append(f"{method} {path} on another advertiser: {answer.status_code}")
            # Control: the same call on the caller's own records is not refused
            # for want of isolation, so the refusal above is about ownership.
            control = _call(client, method, path, case, own)
            if control.status_code != case.own_status or _leaks(control, other):
                problems.append(f"{method} {path} on its own records: {control.status_code}")
    assert not problems, "\n".join(problems)


def test_pages_refuse_other_advertisers_data(db: Database, tenants: tuple[Tenant, Tenant]) -> None:
    own, other = tenants
    problems: list[str] = []
    with live_server(create_app(db)) as base, httpx.Client(base_url=base) as client:
        signed_in = client.post("/login", data={"email": own.user_email, "password": PASSWORD})
        assert signed_in.status_code == 303
        for (method, path), case in sorted(PAGE_CASES.items()):
            for tenant, expected in ((other, (403, 404)), (own, (case.own_status,))):
                if tenant is other and not case.params(other):
                    continue
                url = path.format(**case.params(tenant))
                body = case.body(tenant) if case.body else None
                answer = client.request(method, url, data=body)
                if answer.status_code not in expected or _leaks(answer, other):
                    whose = "another advertiser's" if tenant is other else "its own"
                    problems.append(f"{method} {path} on {whose} records: {answer.status_code}")
        account = client.get("/account")
    assert not problems, "\n".join(problems)
    assert "Alpha Ltd" in account.text
