"""Factories for tests: records made through the real services, and signed-in API clients."""

from __future__ import annotations

import itertools
import os
import socket
import threading
import time
import uuid
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import datetime
from decimal import Decimal
from pathlib import Path

import httpx
import uvicorn
from fastapi import FastAPI
from sqlalchemy import select, update

from adwarden.auth.models import User
from adwarden.auth.services import actor_for, create_user, issue_api_token
from adwarden.domain.actors import Actor, Source
from adwarden.domain.enums import (
    AdvertiserKind,
    AppealOutcome,
    CampaignStatus,
    HitStatus,
    LedgerKind,
    ListFormat,
    ListKind,
    Role,
    SubjectLevel,
)
from adwarden.enforcement.models import Decision
from adwarden.enforcement.services import decide
from adwarden.policy.loader import load_policy
from adwarden.policy.services import current_version, publish_policy
from adwarden.registry.inputs import AccountIn, AdvertiserIn, PersonIn
from adwarden.registry.models import Advertiser
from adwarden.registry.services import create_account, create_advertiser, create_person
from adwarden.screening.models import ScreeningHit
from adwarden.screening.services import HitReview, import_and_screen, review_hit
from adwarden.serving.inputs import CampaignIn, PromotedPostIn
from adwarden.serving.services import create_campaign, create_promoted_post
from adwarden.serving.tokens import EventClaim, viewer_of
from adwarden.store.engine import Database
from adwarden.web.app import create_app
from adwarden.web.sockets import tcp_listener

SYSTEM = Actor.system(Source.system)
PASSWORD = "correct horse battery staple"
_serial = itertools.count(1)


@dataclass(frozen=True)
class Tenant:
    """One advertiser with an account, a campaign and a promoted post, and a user of its own."""

    advertiser_id: int
    account_id: int
    campaign_id: int
    promoted_post_id: int
    person_id: int
    user_email: str


def make_tenant(db: Database, label: str, *, publish: bool = True) -> Tenant:
    """A tenant whose post runs: the default policy is published first (unless `publish` is
    false), since a post waits to be judged under a published policy before it may run."""
    if publish:
        publish_default_policy(db)
    n = next(_serial)
    with db.transaction() as session:
        advertiser = create_advertiser(
            session,
            SYSTEM,
            AdvertiserIn(kind=AdvertiserKind.organization, name=f"{label} Ltd", country="DE"),
        )
        account = create_account(
            session,
            SYSTEM,
            AccountIn(
                handle=f"{label.lower()}_{n}", display_name=label, advertiser_id=advertiser.id
            ),
        )
        campaign = create_campaign(
            session,
            SYSTEM,
            advertiser.id,
            CampaignIn(
                name=f"{label} spring",
                daily_budget=Decimal("10.00"),
                lifetime_budget=Decimal("100.00"),
                bid_cpm=Decimal("2.50"),
            ),
        )
        post = create_promoted_post(
            session,
            SYSTEM,
            campaign.id,
            PromotedPostIn(account_id=account.id, text=f"{label} sale"),
        )
        person = create_person(session, SYSTEM, PersonIn(name=f"{label} Owner"))
        email = f"{label.lower()}{n}@tenant.example"
        create_user(
            session,
            SYSTEM,
            email=email,
            name=f"{label} user",
            role=Role.advertiser,
            password=PASSWORD,
            advertiser_id=advertiser.id,
        )
        return Tenant(advertiser.id, account.id, campaign.id, post.id, person.id, email)


def make_staff(db: Database, role: Role = Role.reviewer) -> str:
    email = f"{role.value}{next(_serial)}@staff.example"
    with db.transaction() as session:
        create_user(
            session, SYSTEM, email=email, name=f"{role.value} user", role=role, password=PASSWORD
        )
    return email


def token_for(db: Database, email: str) -> str:
    from sqlalchemy import select

    from adwarden.auth.models import User

    with db.transaction() as session:
        user = session.scalars(select(User).where(User.email == email)).one()
        return issue_api_token(session, user, "test")


class _Server(uvicorn.Server):
    """A uvicorn server that says when it is listening, instead of being polled."""

    def __init__(self, config: uvicorn.Config) -> None:
        super().__init__(config)
        self.ready = threading.Event()

    async def startup(self, sockets: list[socket.socket] | None = None) -> None:
        await super().startup(sockets)
        self.ready.set()


@contextmanager
def live_server(app: FastAPI) -> Iterator[str]:
    """Serve `app` over real HTTP on a free loopback port; yield its base URL."""
    sock = tcp_listener("127.0.0.1", 0)
    port = sock.getsockname()[1]
    server = _Server(uvicorn.Config(app, log_level="warning", lifespan="off"))
    thread = threading.Thread(target=server.run, kwargs={"sockets": [sock]}, daemon=True)
    thread.start()
    try:
        if not server.ready.wait(timeout=10):
            raise RuntimeError("test server did not start within 10 s")
        yield f"http://127.0.0.1:{port}"
    finally:
        server.should_exit = True
        thread.join(timeout=10)
        sock.close()
        serving = getattr(app.state, "serving", None)
        if serving is not None:  # the lifespan that would close it is off here
            serving.close()


@contextmanager
def api_client(db: Database, email: str | None = None) -> Iterator[httpx.Client]:
    """The real app over the real database and real HTTP, signed in as `email` if given."""
    headers = {"Authorization": f"Bearer {token_for(db, email)}"} if email else {}
    with (
        live_server(create_app(db)) as base_url,
        httpx.Client(
            base_url=base_url, headers=headers, follow_redirects=False, timeout=60
        ) as client,
    ):
        yield client


DEFAULT_POLICY = Path(__file__).resolve().parents[1] / "policies" / "ads-policy.yaml"


def staff_actor(db: Database, role: Role = Role.reviewer) -> Actor:
    """A new staff member of `role`, as the actor the API would make of them."""
    email = make_staff(db, role)
    with db.sessions() as session:
        return actor_for(session.scalars(select(User).where(User.email == email)).one(), Source.api)


def running_ad(
    db: Database,
    tenant: Tenant,
    *,
    payer: str | None = None,
    text: str,
    ends_at: datetime | None = None,
) -> int:
    """An active campaign's ad, shown in AT and DE for "gardening"."""
    with db.transaction() as session:
        campaign = create_campaign(
            session,
            SYSTEM,
            tenant.advertiser_id,
            CampaignIn(
                name="Open days",
                daily_budget=Decimal("50.00"),
                lifetime_budget=Decimal("500.00"),
                bid_cpm=Decimal("4.00"),
                payer=payer,
                keywords=["gardening"],
                countries=["AT", "DE"],
                status=CampaignStatus.active,
                ends_at=ends_at,
            ),
        )
        post = create_promoted_post(
            session,
            SYSTEM,
            campaign.id,
            PromotedPostIn(
                account_id=tenant.account_id, text=text, landing_url="https://x.example/"
            ),
        )
        return post.id


def publish_default_policy(db: Database) -> None:
    """Publish the project's default policy, once per database."""
    with db.transaction() as session:
        if current_version(session) is not None:
            return
    admin = staff_actor(db, Role.policy_admin)
    with db.transaction() as session:
        publish_policy(session, admin, load_policy(DEFAULT_POLICY), "Test policy.")


def make_decision(db: Database, tenant: Tenant) -> int:
    """A decision on the tenant: a token-sale post it promotes, rejected under clause 5.1."""
    publish_default_policy(db)
    with db.transaction() as session:
        post = create_promoted_post(
            session,
            SYSTEM,
            tenant.campaign_id,
            PromotedPostIn(account_id=tenant.account_id, text="Our token sale is live."),
        )
    # judged as it committed: the post is rejected under 5.1 by then
    with db.sessions() as session:
        return session.scalars(
            select(Decision.id).where(
                Decision.level == SubjectLevel.post, Decision.subject_id == post.id
            )
        ).one()


def listed(db: Database, tmp_path: Path, tenant_name: str, kind: ListKind) -> None:
    """Put the tenant on a list of `kind` and confirm the hit, as a reviewer would."""
    path = tmp_path / f"{kind.value}.csv"
    path.write_text(f"id,name\n{kind.value}-1,{tenant_name}\n", encoding="utf-8")
    with db.transaction() as session:
        import_and_screen(session, SYSTEM, path, ListFormat.csv, f"test-{kind.value}", kind)
    reviewer = staff_actor(db)
    with db.transaction() as session:
        hit = session.scalars(
            select(ScreeningHit).where(
                ScreeningHit.subject_type == "advertiser",
                ScreeningHit.subject_name == tenant_name,
                ScreeningHit.status == HitStatus.open,
            )
        ).one()
        review_hit(
            session, reviewer, hit.id, HitReview.confirm, "the listed vendor is this advertiser"
        )


def off_board(db: Database, tmp_path: Path, label: str) -> tuple[Tenant, int]:
    """A new tenant on a directive list, off-boarded under clause 3.1 by a reviewer (not the
    one who confirmed the hit). The policy must be published."""
    tenant = make_tenant(db, label)
    listed(db, tmp_path, f"{label} Ltd", ListKind.directive)
    reviewer = staff_actor(db)
    summary = (
        f"{label} Ltd makes the products a national security directive names; a reviewer "
        "confirmed the list entry is this advertiser."
    )
    with db.transaction() as session:
        decision = decide(
            session, reviewer, SubjectLevel.advertiser, tenant.advertiser_id, "3.1", summary
        )
        return tenant, decision.id


def user_actor(db: Database, email: str) -> Actor:
    """The user with this email, as the actor the API would make of them."""
    with db.sessions() as session:
        return actor_for(session.scalars(select(User).where(User.email == email)).one(), Source.api)


def appeal_as(
    db: Database,
    tenant: Tenant,
    decision_id: int,
    arguments: list[str],
    *,
    files: list[tuple[str, bytes]] | None = None,
    now: datetime | None = None,
) -> int:
    """The tenant's user appeals the decision; the appeal's id."""
    from adwarden.appeals.services import file_appeal

    with db.transaction() as session:
        actor = user_actor(db, tenant.user_email)
        return file_appeal(session, actor, decision_id, arguments, files=files, now=now).id


UPHELD_ANSWER = (
    "You say the directive does not concern advertising. Clause 3.1 uses it as evidence of a "
    "security concern about the vendor, not as a ruling on ads, and that is why it applies."
)


def upheld_appeal(db: Database, tenant: Tenant, decision_id: int, argument: str, point: str) -> int:
    """The tenant appeals with one argument; a second reviewer upholds the decision with
    UPHELD_ANSWER, answering the argument with `point`. The appeal's id."""
    from adwarden.appeals.services import AppealAnswer, assign, decide_appeal

    appeal_id = appeal_as(db, tenant, decision_id, [argument])
    second = staff_actor(db)
    with db.transaction() as session:
        assign(session, second, appeal_id)
    with db.transaction() as session:
        answer = AppealAnswer(AppealOutcome.upheld, UPHELD_ANSWER, [point])
        decide_appeal(session, second, appeal_id, answer)
    return appeal_id


def sole_trader(db: Database, label: str, name: str) -> Tenant:
    """A tenant whose advertiser is a natural person named `name`."""
    tenant = make_tenant(db, label)
    with db.engine.begin() as connection:
        connection.execute(
            update(Advertiser)
            .where(Advertiser.id == tenant.advertiser_id)
            .values(kind=AdvertiserKind.person, name=name)
        )
    return tenant


def make_appeal(db: Database, tenant: Tenant, decision_id: int) -> tuple[int, int]:
    """The tenant's user appeals the decision with one text attachment; (appeal, attachment)."""
    from adwarden.appeals.models import Appeal

    appeal_id = appeal_as(
        db,
        tenant,
        decision_id,
        ["The post announced a charity raffle, not a token sale."],
        files=[("letter.txt", b"Our letter about the raffle.")],
    )
    with db.sessions() as session:
        appeal = session.get(Appeal, appeal_id)
        assert appeal is not None
        return appeal_id, appeal.attachments[0].id


def impression_claims(
    campaign_id: int,
    advertiser_id: int,
    post_id: int,
    price: int,
    n: int,
    *,
    viewer: str | None = None,
) -> list[EventClaim]:
    """`n` impressions of one post at `price` micros, each its own decision; each from its
    own viewer unless `viewer` names one for all."""
    return [
        EventClaim(
            uuid.uuid4().hex,
            LedgerKind.impression,
            campaign_id,
            post_id,
            advertiser_id,
            "feed",
            price,
            int(time.time()),
            viewer_of(viewer or f"viewer-{uuid.uuid4().hex}"),
        )
        for _ in range(n)
    ]


def cli_env() -> dict[str, str]:
    """The environment for an `adwarden` process: no ADWARDEN_ setting from outside, but this
    test's own data folder and log signing key."""
    own = ("ADWARDEN_DATA_DIR", "ADWARDEN_LOG_KEY")
    return {k: v for k, v in os.environ.items() if not k.startswith("ADWARDEN_") or k in own}
