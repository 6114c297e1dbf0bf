"""Every state change writes an audit row in its own transaction; a failed one writes none."""

from __future__ import annotations

import pytest
from sqlalchemy import func, select

from adwarden.audit.models import AuditEvent
from adwarden.audit.services import DeletionRefusedError, UnauditedChangeError, events_for
from adwarden.domain.enums import AdvertiserKind
from adwarden.domain.errors import ConflictError
from adwarden.registry.inputs import AccountIn, AdvertiserIn
from adwarden.registry.models import Account, Advertiser
from adwarden.registry.services import create_account, create_advertiser
from adwarden.store.engine import Database
from support import SYSTEM, api_client, make_tenant


def audit_count(db: Database) -> int:
    with db.sessions() as session:
        return session.scalar(select(func.count()).select_from(AuditEvent)) or 0


def test_successful_action_leaves_exactly_one_row(db: Database) -> None:
    before = audit_count(db)
    with db.transaction() as session:
        advertiser = create_advertiser(
            session, SYSTEM, AdvertiserIn(kind=AdvertiserKind.organization, name="Quillby Ltd")
        )
    assert audit_count(db) == before + 1
    with db.sessions() as session:
        [event] = events_for(session, "advertiser", advertiser.id)
    assert event.action == "system:advertiser:create"
    assert event.actor == "system:system"
    assert event.changes["name"] == "Quillby Ltd"
    assert event.at.tzinfo is not None


def test_failed_action_leaves_no_row_and_no_change(db: Database) -> None:
    with db.transaction() as session:
        create_account(session, SYSTEM, AccountIn(handle="taken", display_name="First"))
    before = audit_count(db)

    def second_advertiser_on_a_taken_handle() -> None:
        with db.transaction() as session:
            create_advertiser(
                session, SYSTEM, AdvertiserIn(kind=AdvertiserKind.organization, name="Second Ltd")
            )
            create_account(session, SYSTEM, AccountIn(handle="TAKEN", display_name="Second"))

    with pytest.raises(ConflictError, match="@TAKEN is taken"):
        second_advertiser_on_a_taken_handle()
    assert audit_count(db) == before
    with db.sessions() as session:
        names = session.scalars(select(Advertiser.name)).all()
    assert "Second Ltd" not in names


def test_change_without_audit_row_is_refused(db: Database) -> None:
    with db.sessions() as session:
        session.add(Account(handle="sneaky", display_name="No audit"))
        with pytest.raises(UnauditedChangeError, match="Account"):
            session.commit()
    with db.sessions() as session:
        assert session.scalar(select(Account).where(Account.handle == "sneaky")) is None


def test_audit_flag_does_not_outlive_its_transaction(db: Database) -> None:
    with db.sessions() as session:
        with session.begin():
            create_account(session, SYSTEM, AccountIn(handle="first", display_name="First"))
        session.add(Account(handle="second", display_name="Second"))
        with pytest.raises(UnauditedChangeError):
            session.commit()


def test_delete_is_refused(db: Database) -> None:
    with db.transaction() as session:
        account = create_account(session, SYSTEM, AccountIn(handle="kept", display_name="Kept"))
    with db.sessions() as session:
        session.delete(session.get(Account, account.id))
        with pytest.raises(DeletionRefusedError, match="nothing is deleted"):
            session.commit()
    with db.sessions() as session:
        assert session.get(Account, account.id) is not None


def test_api_success_records_the_user_and_failure_records_nothing(db: Database) -> None:
    tenant = make_tenant(db, "Auditee")
    with api_client(db, tenant.user_email) as client:
        before = audit_count(db)
        ok = client.patch(f"/api/v1/campaigns/{tenant.campaign_id}", json={"name": "Renamed"})
        assert ok.status_code == 200, ok.text
        assert audit_count(db) == before + 1
        bad = client.patch(
            f"/api/v1/campaigns/{tenant.campaign_id}", json={"daily_budget": "1000.00"}
        )
        assert bad.status_code == 422, bad.text
        assert audit_count(db) == before + 1
    with db.sessions() as session:
        last = session.scalars(select(AuditEvent).order_by(AuditEvent.id.desc())).first()
    assert last is not None
    assert last.action == "api:campaign:update"
    assert last.actor == tenant.user_email
    assert last.actor_user_id is not None
    assert last.changes == {"name": ["Auditee spring", "Renamed"]}
