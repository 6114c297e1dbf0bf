"""Advertisers, people, accounts and organic posts, through the services and the API."""

from __future__ import annotations

from datetime import UTC, datetime

from sqlalchemy import select

from adwarden.domain.enums import AdvertiserKind, NameKind, PersonRole
from adwarden.registry.inputs import (
    AccountIn,
    AccountPatch,
    AdvertiserIn,
    AdvertiserPatch,
    NameIn,
    OrganicPostIn,
    PersonIn,
    PersonRoleIn,
)
from adwarden.registry.models import Advertiser, AdvertiserName
from adwarden.registry.services import (
    add_organic_post,
    create_account,
    create_advertiser,
    create_person,
    link_person,
    list_advertisers,
    list_organic_posts,
    update_account,
    update_advertiser,
)
from adwarden.store.engine import Database
from support import SYSTEM, api_client, make_staff


def test_names_in_any_script_survive_the_round_trip(db: Database) -> None:
    with db.transaction() as session:
        advertiser = create_advertiser(
            session,
            SYSTEM,
            AdvertiserIn(
                kind=AdvertiserKind.organization,
                name="Kaspersky Lab",
                names=[
                    NameIn(name="AO Kaspersky Lab", kind=NameKind.legal),
                    NameIn(name="Лаборатория Касперского", lang="ru"),
                    NameIn(name="kaspersky lab"),  # same as the primary name: kept once
                ],
                country="ru",
            ),
        )
    with db.sessions() as session:
        stored = session.get(Advertiser, advertiser.id)
        assert stored is not None
        assert [(n.name, n.kind) for n in stored.names] == [
            ("Kaspersky Lab", NameKind.primary),
            ("AO Kaspersky Lab", NameKind.legal),
            ("Лаборатория Касперского", NameKind.alias),
        ]
        assert stored.country == "RU"
        assert stored.created_at.tzinfo is UTC


def test_rename_keeps_the_old_name_as_former(db: Database) -> None:
    with db.transaction() as session:
        advertiser = create_advertiser(
            session, SYSTEM, AdvertiserIn(kind=AdvertiserKind.organization, name="Old Name")
        )
        update_advertiser(session, SYSTEM, advertiser.id, AdvertiserPatch(name="New Name"))
        update_advertiser(session, SYSTEM, advertiser.id, AdvertiserPatch(name="Newer Name"))
        update_advertiser(session, SYSTEM, advertiser.id, AdvertiserPatch(name="New Name"))
    with db.sessions() as session:
        names = session.execute(
            select(AdvertiserName.name, AdvertiserName.kind).order_by(AdvertiserName.id)
        ).all()
    assert [tuple(n) for n in names] == [
        ("Old Name", NameKind.former),
        ("New Name", NameKind.primary),
        ("Newer Name", NameKind.former),
    ]


def test_search_finds_advertisers_by_any_name(db: Database) -> None:
    with db.transaction() as session:
        for name, alias in (("Kaspersky Lab", "AO Kaspersky Lab"), ("Quill Coffee", "Kaffee Q")):
            create_advertiser(
                session,
                SYSTEM,
                AdvertiserIn(
                    kind=AdvertiserKind.organization, name=name, names=[NameIn(name=alias)]
                ),
            )
    with db.sessions() as session:
        rows, total = list_advertisers(session, query="ao kasp")
        assert total == 1
        assert rows[0].name == "Kaspersky Lab"


def test_people_roles_accounts_and_organic_posts(db: Database) -> None:
    posted = datetime(2018, 4, 20, 9, tzinfo=UTC)
    with db.transaction() as session:
        advertiser = create_advertiser(
            session, SYSTEM, AdvertiserIn(kind=AdvertiserKind.organization, name="Kaspersky Lab")
        )
        person = create_person(
            session,
            SYSTEM,
            PersonIn(
                name="Eugene Kaspersky",
                names=[NameIn(name="Yevgeny Kaspersky"), NameIn(name="Евгений Касперский")],
            ),
        )
        link = link_person(
            session,
            SYSTEM,
            advertiser.id,
            PersonRoleIn(person_id=person.id, role=PersonRole.founder),
        )
        owned = create_account(
            session,
            SYSTEM,
            AccountIn(
                handle="@kaspersky", display_name="Kaspersky Lab", advertiser_id=advertiser.id
            ),
        )
        plain = create_account(session, SYSTEM, AccountIn(handle="someone", display_name="Someone"))
        add_organic_post(session, SYSTEM, owned.id, OrganicPostIn(text="Hello", posted_at=posted))
    assert link.role is PersonRole.founder
    assert owned.handle == "kaspersky"
    assert plain.advertiser_id is None
    with db.transaction() as session:
        update_account(session, SYSTEM, plain.id, AccountPatch(advertiser_id=advertiser.id))
        update_account(session, SYSTEM, owned.id, AccountPatch(unowned=True))
    with db.sessions() as session:
        posts, total = list_organic_posts(session, owned.id)
        assert total == 1
        assert posts[0].posted_at == posted
        assert [n.name for n in person.names] == [
            "Eugene Kaspersky",
            "Yevgeny Kaspersky",
            "Евгений Касперский",
        ]


def test_staff_api_creates_and_reads_records(db: Database) -> None:
    with api_client(db, make_staff(db)) as client:
        created = client.post(
            "/api/v1/advertisers",
            json={
                "kind": "organization",
                "name": "Φούρνος Παράδειγμα",
                "names": [{"name": "Fournos Paradeigma", "kind": "transliteration"}],
                "country": "gr",
                "website": "https://fournos.example/",
            },
        )
        assert created.status_code == 201, created.text
        advertiser = created.json()
        assert advertiser["country"] == "GR"
        assert [n["name"] for n in advertiser["names"]] == [
            "Φούρνος Παράδειγμα",
            "Fournos Paradeigma",
        ]
        person = client.post("/api/v1/people", json={"name": "Maria Paradeigma"}).json()
        link = client.post(
            f"/api/v1/advertisers/{advertiser['id']}/people",
            json={"person_id": person["id"], "role": "owner"},
        )
        assert link.status_code == 201, link.text
        assert link.json()["person"]["name"] == "Maria Paradeigma"
        again = client.post(
            f"/api/v1/advertisers/{advertiser['id']}/people",
            json={"person_id": person["id"], "role": "owner"},
        )
        assert again.status_code == 409
        assert "already owner" in again.json()["detail"]
        account = client.post(
            "/api/v1/accounts",
            json={
                "handle": "fournos",
                "display_name": "Fournos",
                "advertiser_id": advertiser["id"],
            },
        )
        assert account.status_code == 201, account.text
        listed = client.get(f"/api/v1/advertisers/{advertiser['id']}/accounts").json()
        assert [a["handle"] for a in listed["items"]] == ["fournos"]
