"""Statements built once per shape (`store.compiled`): each run gets its own values, a shape
is built only the first time, and the store keeps no more shapes than it may."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

import pytest
from sqlalchemy import Integer, Select, String, select

from adwarden.domain.actors import Actor, Source
from adwarden.domain.enums import AdvertiserKind
from adwarden.registry.inputs import AdvertiserIn
from adwarden.registry.models import Advertiser
from adwarden.registry.services import create_advertiser
from adwarden.store.base import UTCDateTime
from adwarden.store.compiled import Slots, Statements
from adwarden.store.engine import Database


@pytest.fixture
def names(db: Database) -> list[str]:
    made = ["Alder & Co %1", "Birch_Works", "Cedar (fictional) Ltd"]
    with db.transaction() as session:
        for name in made:
            create_advertiser(
                session,
                SYSTEM,
                AdvertiserIn(kind=AdvertiserKind.organization, name=name, country="DE"),
            )
    return made


SYSTEM = Actor.system(Source.system)


def _named(built: list[str]) -> Any:
    def build(slot: Slots) -> Select[Any]:
        built.append("named")
        return (
            select(Advertiser.name, Advertiser.created_at)
            .where(
                Advertiser.name >= slot("from", String()),
                Advertiser.created_at < slot("before", UTCDateTime()),
            )
            .order_by(Advertiser.name)
            .limit(slot("limit", Integer()))
        )

    return build


def test_a_shape_is_built_once_and_run_with_each_runs_values(
    db: Database, names: list[str]
) -> None:
    statements = Statements()
    built: list[str] = []
    later = datetime(2999, 1, 1, tzinfo=UTC)
    with db.sessions() as session:
        first = statements.rows(
            session, ("named",), _named(built), {"from": "B", "before": later, "limit": 5}
        )
        # a value no slot asks for is left alone; % and _ in values are values, not patterns
        second = statements.rows(
            session,
            ("named",),
            _named(built),
            {"from": "A", "before": later, "limit": 1, "unused": 1},
        )
        none = statements.rows(
            session,
            ("named",),
            _named(built),
            {"from": "A", "before": datetime(2000, 1, 1, tzinfo=UTC), "limit": 5},
        )
    assert [row[0] for row in first] == ["Birch_Works", "Cedar (fictional) Ltd"]
    assert [row[0] for row in second] == ["Alder & Co %1"]
    assert none == []
    assert built == ["named"]
    assert first[0][1].tzinfo is not None


def test_a_missing_value_is_refused_by_name(db: Database, names: list[str]) -> None:
    statements = Statements()
    with db.sessions() as session, pytest.raises(Exception, match="limit"):
        statements.rows(
            session,
            ("named",),
            _named([]),
            {"from": "A", "before": datetime(2999, 1, 1, tzinfo=UTC)},
        )


def test_the_store_lets_the_least_recently_run_shape_go(db: Database, names: list[str]) -> None:
    statements = Statements(size=2)
    built: list[str] = []

    def counting(shape: str) -> Any:
        def build(slot: Slots) -> Select[Any]:
            built.append(shape)
            return select(Advertiser.name).where(Advertiser.name == slot("name", String()))

        return build

    with db.sessions() as session:
        for shape in ("a", "b", "a", "c", "a", "b"):
            found = statements.rows(session, (shape,), counting(shape), {"name": names[0]})
            assert [row[0] for row in found] == [names[0]]
    # "b" was let go when "c" came, "a" being run more recently; "c" when "b" came back
    assert built == ["a", "b", "c", "b"]
