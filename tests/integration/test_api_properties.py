"""Property-based tests of the JSON API against its own OpenAPI spec.

Schemathesis generates requests, valid and malformed, for every operation in
the spec and sends them over real HTTP to the app served on loopback, over a
database where some ids exist: once signed in as an admin and once as an
advertiser's user, on SQLite and on PostgreSQL. Every answer must be
documented (status, content type, body shape), malformed input must be
refused with a 4xx, and nothing may give a 500.

The schema is built from the app at import so that pytest collects one test
per operation; `schemathesis.pytest.from_fixture` would load it from the live
server instead, but schemathesis 4.32.5's lazy loader sets `Node._nodeid`,
which pytest 9.2 no longer has. The `live_api` fixture checks that the spec
the live server publishes is this same spec.
"""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import httpx
import pytest
import schemathesis
from hypothesis import settings
from schemathesis import AuthContext, Case
from schemathesis.checks import (
    content_type_conformance,
    negative_data_rejection,
    not_a_server_error,
    response_schema_conformance,
    status_code_conformance,
)
from schemathesis.config import SchemathesisConfig

from adwarden.domain.enums import Role
from adwarden.store.engine import Database
from adwarden.web.app import create_app
from conftest import fresh_database_url
from support import live_server, make_staff, make_tenant, token_for

SEED = 20240611
MAX_EXAMPLES = 150
SPEC_PATH = "/api/v1/openapi.json"


def _spec() -> dict[str, Any]:
    db = Database("sqlite://")
    try:
        return create_app(db).openapi()
    finally:
        db.dispose()


SPEC = _spec()
schema = schemathesis.openapi.from_dict(SPEC, config=SchemathesisConfig.from_dict({"seed": SEED}))


class _Token:
    """The API token of the run in progress; the `live_api` fixture sets it."""

    value: str | None = None


@schema.auth(refresh_interval=None)
class BearerToken:
    """Sign every case in, except those where schemathesis leaves the token out on purpose."""

    def get(self, case: Case, ctx: AuthContext) -> str | None:
        return _Token.value

    def set(self, case: Case, data: str, ctx: AuthContext) -> None:
        case.headers = {**(case.headers or {}), "Authorization": f"Bearer {data}"}


@pytest.fixture(
    scope="module",
    params=[
        pytest.param(("sqlite", Role.admin), id="sqlite-admin"),
        pytest.param(("sqlite", Role.advertiser), id="sqlite-advertiser"),
        pytest.param(("postgresql", Role.admin), id="postgresql-admin", marks=pytest.mark.postgres),
        pytest.param(
            ("postgresql", Role.advertiser), id="postgresql-advertiser", marks=pytest.mark.postgres
        ),
    ],
)
def live_api(
    request: pytest.FixtureRequest, tmp_path_factory: pytest.TempPathFactory
) -> Iterator[str]:
    """The app over real HTTP and a database with two tenants, and a token for one role."""
    engine, role = request.param
    db = Database(fresh_database_url(request, engine, tmp_path_factory.mktemp(engine)))
    try:
        own = make_tenant(db, "Own")
        make_tenant(db, "Other")
        email = make_staff(db, Role.admin) if role is Role.admin else own.user_email
        _Token.value = token_for(db, email)
        with live_server(create_app(db)) as base_url:
            published = httpx.get(f"{base_url}{SPEC_PATH}")
            assert published.status_code == 200
            assert published.json() == SPEC, "the live server publishes another spec"
            yield base_url
    finally:
        _Token.value = None
        db.dispose()


@schema.parametrize()
@settings(max_examples=MAX_EXAMPLES, derandomize=True, database=None, deadline=None)
def test_api_conforms_to_its_spec(case: Case, live_api: str) -> None:
    case.call_and_validate(
        base_url=live_api,
        checks=[
            not_a_server_error,
            status_code_conformance,
            content_type_conformance,
            response_schema_conformance,
            negative_data_rejection,
        ],
    )
