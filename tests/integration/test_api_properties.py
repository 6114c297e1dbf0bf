"""Property-based tests of the JSON API against its own OpenAPI spec.

Schemathesis generates requests, valid and malformed, for every operation in
the spec and sends them over real HTTP to the app served on loopback, over a
database where some ids exist: signed in as an admin and as an advertiser's
user, on SQLite and on PostgreSQL. Every answer must be documented (status,
content type, headers, body shape), malformed input must be refused with a
4xx, and nothing may give a 500.

The schema is built from the app at import so that pytest collects one test
per operation; `schemathesis.pytest.from_fixture` would load it from the live
server instead, but schemathesis 4.32.5's lazy loader sets `Node._nodeid`,
which pytest 9.2 no longer has. The server fixtures check that the live
server publishes this same spec.

To stay fast, the coverage phase (boundary and wrong-type values, the
slowest) runs on PostgreSQL only, where column widths are enforced, and there
under the role that may call the operation; SQLite gets examples and fuzzing.
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass
from typing import Any

import httpx
import pytest
import schemathesis
from hypothesis import settings
from hypothesis import strategies as st
from schemathesis import AuthContext, Case, HookContext
from schemathesis.checks import allow_header_conformance, positive_data_acceptance
from schemathesis.config import SchemathesisConfig
from schemathesis.schemas import BaseSchema

from adwarden.domain.enums import Role
from adwarden.store.engine import Database
from adwarden.web.app import create_app
from adwarden.web.deps import MAX_ID
from conftest import fresh_database_url
from support import live_server, make_staff, make_tenant, token_for

SEED = 20240611
MAX_EXAMPLES = 10
SPEC_PATH = "/api/v1/openapi.json"
# Public operations: the same for every caller, so only the staff run sends them.
PUBLIC_PATHS = ["/api/v1/health", "/api/v1/tokens"]
# The seeded tenants hold ids 1 ("Own", the advertiser user's) and 2 ("Other");
# 3 exists once a test has created it. Random ids would almost never hit a record.
KNOWN_IDS = st.sampled_from([1, 2, 3])
ID_FIELDS = {"advertiser_id", "account_id", "campaign_id", "post_id", "person_id"}
EXCLUDED_CHECKS = [
    # The spec cannot state every rule the API rightly enforces with a 422
    # (no blank names or control characters, daily budget <= lifetime budget).
    positive_data_acceptance,
    # Starlette's 405 lists only the methods of the first route matching the
    # path (FastAPI makes one route per method), a framework limitation.
    allow_header_conformance,
]


def _spec() -> dict[str, Any]:
    db = Database("sqlite://")
    try:
        return create_app(db).openapi()
    finally:
        db.dispose()


SPEC = _spec()


def _toward_known_ids(values: object) -> st.SearchStrategy[Any]:
    """Swap valid ids for ids that exist. Invalid ids stay, so a negative case stays negative."""
    if not isinstance(values, dict):
        return st.just(values)
    return st.fixed_dictionaries(
        {
            key: KNOWN_IDS
            if key in ID_FIELDS and type(value) is int and 1 <= value <= MAX_ID
            else st.just(value)
            for key, value in values.items()
        }
    )


def before_generate_path_parameters(
    context: HookContext, strategy: st.SearchStrategy[Any]
) -> st.SearchStrategy[Any]:
    return st.one_of(strategy, strategy.flatmap(_toward_known_ids))


def before_generate_body(
    context: HookContext, strategy: st.SearchStrategy[Any]
) -> st.SearchStrategy[Any]:
    return st.one_of(strategy, strategy.flatmap(_toward_known_ids))


def _schema(role: Role, *, coverage: bool) -> BaseSchema:
    """The spec as `role` calls it, signed in with its token except where a case drops it."""
    # Staff may not write campaigns and advertiser users may write nothing else:
    # the coverage phase runs each operation under the role that may call it.
    campaigns = {"exclude-tag" if role is Role.advertiser else "include-tag": "campaigns"}
    config: dict[str, Any] = {"seed": SEED}
    if coverage:
        config["operations"] = [{**campaigns, "phases": {"coverage": {"enabled": False}}}]
    else:
        config["phases"] = {"coverage": {"enabled": False}}
    schema = schemathesis.openapi.from_dict(SPEC, config=SchemathesisConfig.from_dict(config))
    if role is Role.advertiser:
        schema = schema.exclude(path=PUBLIC_PATHS)
    schema.hook(before_generate_path_parameters)
    schema.hook(before_generate_body)

    @schema.auth(refresh_interval=None)
    class BearerToken:
        # Examples are built at collection, before any token exists: the role's
        # name stands in for its token until `_send` swaps in the real one.
        def get(self, case: Case, ctx: AuthContext) -> str:
            return role.value

        def set(self, case: Case, data: str, ctx: AuthContext) -> None:
            case.headers = {**(case.headers or {}), "Authorization": f"Bearer {data}"}

    return schema


@dataclass(frozen=True)
class LiveApi:
    base_url: str
    tokens: dict[Role, str]


def _send(case: Case, api: LiveApi) -> None:
    headers = case.headers or {}
    for role, token in api.tokens.items():
        if headers.get("Authorization") == f"Bearer {role.value}":
            headers["Authorization"] = f"Bearer {token}"
    case.call_and_validate(base_url=api.base_url, excluded_checks=EXCLUDED_CHECKS)


def _live_api(
    request: pytest.FixtureRequest, tmp_path_factory: pytest.TempPathFactory, engine: str
) -> Iterator[LiveApi]:
    """The app over real HTTP and a database with two tenants; tokens for both roles."""
    db = Database(fresh_database_url(request, engine, tmp_path_factory.mktemp(engine)))
    try:
        # the tenants' policy is published, and so logged: signed with the run's key (this
        # module-wide setup comes before any test's own settings)
        with pytest.MonkeyPatch.context() as env:
            env.setenv("ADWARDEN_LOG_KEY", str(request.getfixturevalue("log_key")))
            own = make_tenant(db, "Own")
            make_tenant(db, "Other")
        tokens = {
            Role.admin: token_for(db, make_staff(db, Role.admin)),
            Role.advertiser: token_for(db, own.user_email),
        }
        with live_server(create_app(db)) as base_url:
            published = httpx.get(f"{base_url}{SPEC_PATH}")
            assert published.status_code == 200
            assert published.json() == SPEC, "the live server publishes another spec"
            yield LiveApi(base_url, tokens)
    finally:
        db.dispose()


@pytest.fixture(scope="module")
def sqlite_api(
    request: pytest.FixtureRequest, tmp_path_factory: pytest.TempPathFactory
) -> Iterator[LiveApi]:
    yield from _live_api(request, tmp_path_factory, "sqlite")


@pytest.fixture(scope="module")
def postgresql_api(
    request: pytest.FixtureRequest, tmp_path_factory: pytest.TempPathFactory
) -> Iterator[LiveApi]:
    yield from _live_api(request, tmp_path_factory, "postgresql")


HYPOTHESIS = settings(max_examples=MAX_EXAMPLES, derandomize=True, database=None, deadline=None)
STAFF_SQLITE = _schema(Role.admin, coverage=False)
ADVERTISER_SQLITE = _schema(Role.advertiser, coverage=False)
STAFF_POSTGRESQL = _schema(Role.admin, coverage=True)
ADVERTISER_POSTGRESQL = _schema(Role.advertiser, coverage=True)


@STAFF_SQLITE.parametrize()
@HYPOTHESIS
def test_staff_on_sqlite(case: Case, sqlite_api: LiveApi) -> None:
    _send(case, sqlite_api)


@ADVERTISER_SQLITE.parametrize()
@HYPOTHESIS
def test_advertiser_on_sqlite(case: Case, sqlite_api: LiveApi) -> None:
    _send(case, sqlite_api)


@pytest.mark.postgres
@STAFF_POSTGRESQL.parametrize()
@HYPOTHESIS
def test_staff_on_postgresql(case: Case, postgresql_api: LiveApi) -> None:
    _send(case, postgresql_api)


@pytest.mark.postgres
@ADVERTISER_POSTGRESQL.parametrize()
@HYPOTHESIS
def test_advertiser_on_postgresql(case: Case, postgresql_api: LiveApi) -> None:
    _send(case, postgresql_api)


# Inputs that gave a 500 and that random generation rarely builds: values the
# spec allows that overflow a column or a date, or that repeat a unique row.
RARE_INPUTS = [
    pytest.param(
        "/api/v1/advertisers/1/names",
        {"name": "Alias", "lang": "en-abcdefgh"},  # the lang column holds 8
        422,
        id="lang-longer-than-its-column",
    ),
    pytest.param(
        "/api/v1/advertisers",
        {"kind": "person", "name": "Long", "website": "https://shop.example/" + "a" * 500},
        422,
        id="website-longer-than-its-column",
    ),
    pytest.param(
        "/api/v1/advertisers",
        {
            "kind": "person",
            "name": "Wide",
            "registration_ids": [{"scheme": "\u0958" * 50, "value": "1"}],
        },
        422,
        id="scheme-longer-once-normalised",  # NFC splits U+0958 in two
    ),
    pytest.param(
        "/api/v1/advertisers",
        {
            "kind": "person",
            "name": "Twice",
            "registration_ids": [{"scheme": "LEI", "value": "1"}] * 2,
        },
        201,
        id="registration-id-given-twice",
    ),
    pytest.param(
        "/api/v1/accounts",
        {"handle": "early", "display_name": "Early", "opened_at": "0001-01-01T00:00:00+05:00"},
        422,
        id="timestamp-before-year-1-in-utc",
    ),
    pytest.param("/api/v1/people", {"name": "Epoch", "birth_date": 0}, 422, id="date-as-unix-time"),
]


@pytest.mark.parametrize(
    "api", ["sqlite_api", pytest.param("postgresql_api", marks=pytest.mark.postgres)]
)
@pytest.mark.parametrize(("path", "body", "status"), RARE_INPUTS)
def test_rare_inputs_get_no_500(
    request: pytest.FixtureRequest, api: str, path: str, body: dict[str, Any], status: int
) -> None:
    live: LiveApi = request.getfixturevalue(api)
    headers = {"Authorization": f"Bearer {live.tokens[Role.admin]}"}
    answer = httpx.post(f"{live.base_url}{path}", json=body, headers=headers)
    assert answer.status_code == status, answer.text
