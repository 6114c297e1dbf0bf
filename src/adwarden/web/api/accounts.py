"""Platform accounts and their organic posts. Staff manage them; owners may read their own."""

from __future__ import annotations

from fastapi import APIRouter, status

from adwarden.registry import services
from adwarden.registry.inputs import AccountIn, AccountPatch, OrganicPostIn
from adwarden.registry.models import Account
from adwarden.store.queries import get
from adwarden.web.api.errors import AUTHENTICATED, WRITES
from adwarden.web.api.schemas import AccountOut, OrganicPostOut, Page
from adwarden.web.deps import ApiActor, DbSession, IdPath, Limit, Offset, StaffActor, ensure_visible

router = APIRouter(tags=["accounts"], responses=AUTHENTICATED)


@router.get("/accounts", response_model=Page[AccountOut])
def list_accounts(
    actor: StaffActor, session: DbSession, offset: Offset = 0, limit: Limit = 50
) -> Page[AccountOut]:
    rows, total = services.list_accounts(session, offset=offset, limit=limit)
    return Page.of(rows, total, offset, limit, AccountOut.model_validate)


@router.post(
    "/accounts", response_model=AccountOut, status_code=status.HTTP_201_CREATED, responses=WRITES
)
def create_account(body: AccountIn, actor: StaffActor, session: DbSession) -> AccountOut:
    return AccountOut.model_validate(services.create_account(session, actor, body))


@router.get("/advertisers/{advertiser_id}/accounts", response_model=Page[AccountOut])
def list_advertiser_accounts(
    advertiser_id: IdPath,
    actor: ApiActor,
    session: DbSession,
    offset: Offset = 0,
    limit: Limit = 50,
) -> Page[AccountOut]:
    ensure_visible(actor, advertiser_id, "advertiser", advertiser_id)
    rows, total = services.list_accounts(
        session, advertiser_id=advertiser_id, offset=offset, limit=limit
    )
    return Page.of(rows, total, offset, limit, AccountOut.model_validate)


def _visible_account(session: DbSession, actor: ApiActor, account_id: int) -> Account:
    account = get(session, Account, account_id)
    ensure_visible(actor, account.advertiser_id, "account", account_id)
    return account


@router.get("/accounts/{account_id}", response_model=AccountOut)
def read_account(account_id: IdPath, actor: ApiActor, session: DbSession) -> AccountOut:
    return AccountOut.model_validate(_visible_account(session, actor, account_id))


@router.patch("/accounts/{account_id}", response_model=AccountOut, responses=WRITES)
def update_account(
    account_id: IdPath, body: AccountPatch, actor: StaffActor, session: DbSession
) -> AccountOut:
    return AccountOut.model_validate(services.update_account(session, actor, account_id, body))


@router.get("/accounts/{account_id}/posts", response_model=Page[OrganicPostOut])
def list_posts(
    account_id: IdPath,
    actor: ApiActor,
    session: DbSession,
    offset: Offset = 0,
    limit: Limit = 50,
) -> Page[OrganicPostOut]:
    _visible_account(session, actor, account_id)
    rows, total = services.list_organic_posts(session, account_id, offset=offset, limit=limit)
    return Page.of(rows, total, offset, limit, OrganicPostOut.model_validate)


@router.post(
    "/accounts/{account_id}/posts",
    response_model=OrganicPostOut,
    status_code=status.HTTP_201_CREATED,
    responses=WRITES,
)
def add_post(
    account_id: IdPath, body: OrganicPostIn, actor: ApiActor, session: DbSession
) -> OrganicPostOut:
    """Post organically from an account: its owner's users or staff. Off-boarding from ads
    never stops this."""
    _visible_account(session, actor, account_id)
    return OrganicPostOut.model_validate(
        services.add_organic_post(session, actor, account_id, body)
    )
