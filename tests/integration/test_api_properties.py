"""Property-based tests of the JSON API against its own OpenAPI spec.

Schemathesis reads /api/v1/openapi.json from the real app served over real
HTTP, and sends generated requests, valid and malformed, to every operation:
once with an admin's token and once with an advertiser user's token, on
SQLite and on PostgreSQL, over a database where some ids exist. Every answer
must be documented (status, content type, body shape), malformed input must
be refused with a 4xx, and nothing may give a 500.
"""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest
import schemathesis
from hypothesis import settings
from schemathesis import Case
from schemathesis.checks import (
    content_type_conformance,
    negative_data_rejection,
    not_a_server_error,
    response_schema_conformance,
    status_code_conformance,
)
from schemathesis.config import SchemathesisConfig
from schemathesis.schemas import BaseSchema

from adwarden.domain.enums import Role
from adwarden.store.engine import Database
from adwarden.web.app import create_app
from conftest import fresh_database_url
from support import live_server, make_staff, make_tenant, token_for

SEED = 20240611
MAX_EXAMPLES = 20


@pytest.fixture(params=["sqlite", pytest.param("postgresql", marks=pytest.mark.postgres)])
def engine(request: pytest.FixtureRequest) -> str:
    engine_name: str = request.param
    return engine_name


@pytest.fixture(params=[Role.admin, Role.advertiser], ids=lambda role: role.value)
def role(request: pytest.FixtureRequest) -> Role:
    chosen: Role = request.param
    return chosen


@pytest.fixture
def api_schema(
    request: pytest.FixtureRequest, engine: str, role: Role, tmp_path: Path
) -> Iterator[BaseSchema]:
    """The spec of the live app over a database seeded with two tenants, signed in as `role`."""
    db = Database(fresh_database_url(request, engine, tmp_path))
    try:
        own = make_tenant(db, "Own")
        make_tenant(db, "Other")
        email = make_staff(db, Role.admin) if role is Role.admin else own.user_email
        config = SchemathesisConfig.from_dict(
            {
                "seed": SEED,
                "auth": {"openapi": {"HTTPBearer": {"bearer": token_for(db, email)}}},
            }
        )
        with live_server(create_app(db)) as base_url:
            yield schemathesis.openapi.from_url(f"{base_url}/api/v1/openapi.json", config=config)
    finally:
        db.dispose()


schema = schemathesis.pytest.from_fixture("api_schema")


@schema.parametrize()
@settings(max_examples=MAX_EXAMPLES, derandomize=True, database=None, deadline=None)
def test_api_conforms_to_its_spec(case: Case) -> None:
    case.call_and_validate(
        checks=[
            not_a_server_error,
            status_code_conformance,
            content_type_conformance,
            response_schema_conformance,
            negative_data_rejection,
        ]
    )
