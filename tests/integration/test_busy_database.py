"""The database under load, over real HTTP: writers take turns and every wait is bounded.

Appeals filed and answered, campaigns edited, ads served and their impressions counted, all
at once against one server: no answer is a 500 and none takes longer than a request may
wait for the database. A pool with every connection taken, or a write kept waiting past its
turn, answers 503 with Retry-After at once, and the next request after is served.
"""

from __future__ import annotations

import sqlite3
import threading
import time
from collections.abc import Callable, Iterator
from concurrent.futures import ThreadPoolExecutor
from contextlib import ExitStack, contextmanager
from dataclasses import dataclass
from decimal import Decimal
from functools import partial
from typing import Any
from urllib.parse import urlsplit

import httpx
import pytest
from sqlalchemy import func, select, update
from sqlalchemy.engine import make_url

from adwarden.domain.enums import CampaignStatus, LedgerKind, Role
from adwarden.serving.inputs import CampaignIn, PromotedPostIn
from adwarden.serving.models import Campaign, LedgerEvent
from adwarden.serving.services import create_campaign, create_placement, create_promoted_post
from adwarden.store import engine as engine_module
from adwarden.store.engine import Database, DatabaseBusyError, write_turn
from adwarden.web.app import create_app
from adwarden.web.errors import BUSY, RETRY_AFTER
from support import (
    SYSTEM,
    Tenant,
    api_client,
    live_server,
    make_decision,
    make_staff,
    make_tenant,
    publish_default_policy,
    staff_actor,
    token_for,
)

# The longest a request may wait for the database before it is answered 503: its turn to
# write, then a pooled connection. Nothing in the mixed load below should come near it.
LIMIT = engine_module.WRITE_WAIT + engine_module.POOL_TIMEOUT
# What a busy answer may take past the wait it gave up on: the request around it
MARGIN = 2.0  # seconds

APPEALS = 4  # each filed, given a file, taken and answered (four writes), then read
EDITS = 4  # advertisers, each editing its running campaign EDIT_ROUNDS times
EDIT_ROUNDS = 25
SERVERS = 8  # ad requests, each counting every impression it is handed
SERVE_ROUNDS = 25
READERS = 2  # staff reading the appeals queue and an advertiser's report
READ_ROUNDS = 25

# One answer per appeal, each its own: an answer that repeats an earlier one is refused.
ANSWERS = [
    "We looked again at the post you promoted. It offered tokens for sale to the public with "
    "a promised return, which clause 5.1 does not allow, and your letter confirms the offer "
    "ran for two weeks, so the rejection stands.",
    "Your appeal says the sale had closed before the ad ran. Our records show purchases were "
    "still possible through the linked page on the day the ad was shown; the clause concerns "
    "what the advertisement promoted, not the sale's later closing date.",
    "Thank you for the registration papers. They show a company licensed to trade securities "
    "elsewhere, but no licence covering token offerings in the countries targeted, and the "
    "policy requires one before any such offer may be advertised here.",
    "You ask whether a raffle counts as a token sale. It would not, yet the post itself "
    "describes buying tokens whose price will rise, and that description decided the case; "
    "a version of the ad without that offer may be submitted again.",
]


@dataclass(frozen=True)
class Answer:
    what: str
    status: int
    seconds: float


class Recorder:
    """Every answer of the run with how long it took; sends with the client's own headers."""

    def __init__(self) -> None:
        self.answers: list[Answer] = []
        self._lock = threading.Lock()

    def send(
        self, client: httpx.Client, what: str, method: str, path: str, **kwargs: Any
    ) -> httpx.Response:
        started = time.perf_counter()
        response = client.request(method, path, **kwargs)
        with self._lock:
            self.answers.append(Answer(what, response.status_code, time.perf_counter() - started))
        return response


def running_campaign(db: Database, tenant: Tenant, label: str) -> int:
    with db.transaction() as session:
        campaign = create_campaign(
            session,
            SYSTEM,
            tenant.advertiser_id,
            CampaignIn(
                name=f"{label} open days",
                daily_budget=Decimal("50.00"),
                lifetime_budget=Decimal("500.00"),
                bid_cpm=Decimal("4.00"),
                keywords=["gardening"],
                countries=["DE"],
                status=CampaignStatus.active,
            ),
        )
        create_promoted_post(
            session,
            SYSTEM,
            campaign.id,
            PromotedPostIn(account_id=tenant.account_id, text=f"{label} seedlings"),
        )
        return campaign.id


@contextmanager
def clients(base_url: str, tokens: list[str | None]) -> Iterator[list[httpx.Client]]:
    with ExitStack() as stack:
        yield [
            stack.enter_context(
                httpx.Client(
                    base_url=base_url,
                    headers={"Authorization": f"Bearer {token}"} if token else {},
                    timeout=120,  # far past LIMIT, so a slow answer is measured, not lost
                )
            )
            for token in tokens
        ]


@pytest.mark.parametrize("db_url", ["sqlite"], indirect=True)
def test_a_mixed_load_answers_no_500_and_waits_within_the_limit(db: Database) -> None:
    publish_default_policy(db)
    with db.transaction() as session:
        create_placement(session, staff_actor(db, Role.admin), "feed", 100)
    appellants = [make_tenant(db, f"Appellant{i}") for i in range(APPEALS)]
    decisions = [make_decision(db, tenant) for tenant in appellants]
    reviewers = [make_staff(db) for _ in range(APPEALS)]
    editors = [make_tenant(db, f"Grower{i}") for i in range(EDITS)]
    campaigns = [running_campaign(db, tenant, f"Grower{i}") for i, tenant in enumerate(editors)]
    reader = make_staff(db, Role.admin)
    recorder = Recorder()
    counted: list[bool] = []
    start = threading.Barrier(APPEALS + EDITS + SERVERS + READERS)

    def appeal(i: int, advertiser: httpx.Client, reviewer: httpx.Client) -> None:
        start.wait()
        filed = recorder.send(
            advertiser,
            "file appeal",
            "POST",
            f"/api/v1/decisions/{decisions[i]}/appeals",
            json={"arguments": ["The post announced a raffle, not a token sale."]},
        )
        if filed.status_code != 201:
            return  # recorded; the checks after the run name it
        appeal_id = filed.json()["id"]
        recorder.send(
            advertiser,
            "attach file",
            "POST",
            f"/api/v1/appeals/{appeal_id}/attachments",
            files={"file": ("letter.txt", f"Letter {i} about the raffle.".encode(), "text/plain")},
        )
        recorder.send(
            reviewer, "take appeal", "POST", f"/api/v1/appeals/{appeal_id}/assign", json={}
        )
        recorder.send(
            reviewer,
            "answer appeal",
            "POST",
            f"/api/v1/appeals/{appeal_id}/decide",
            json={"outcome": "upheld", "answer": ANSWERS[i], "points": ["Not a raffle."]},
        )
        recorder.send(
            advertiser, "read history", "GET", f"/api/v1/decisions/{decisions[i]}/history"
        )

    def edit(i: int, advertiser: httpx.Client) -> None:
        start.wait()
        for round_ in range(EDIT_ROUNDS):
            recorder.send(
                advertiser,
                "edit campaign",
                "PATCH",
                f"/api/v1/campaigns/{campaigns[i]}",
                json={"bid_cpm": f"4.{round_ % 10}0", "name": f"Grower{i} round {round_}"},
            )

    def serve(i: int, client: httpx.Client) -> None:
        start.wait()
        for round_ in range(SERVE_ROUNDS):
            served = recorder.send(
                client,
                "serve",
                "POST",
                "/api/v1/serve",
                json={
                    "placement": "feed",
                    "count": 2,
                    "user_key": f"viewer-{i}-{round_}",
                    "keywords": ["gardening"],
                    "country": "DE",
                },
            )
            if served.status_code != 200:
                continue
            for decision in served.json()["decisions"]:
                path = urlsplit(decision["impression_url"]).path
                event = recorder.send(client, "count impression", "GET", path)
                if event.status_code == 200:
                    counted.append(event.json()["counted"])

    def read(i: int, staff: httpx.Client, advertiser: httpx.Client) -> None:
        start.wait()
        for _ in range(READ_ROUNDS):
            recorder.send(staff, "read queue", "GET", "/api/v1/appeals")
            recorder.send(
                advertiser,
                "read report",
                "GET",
                f"/api/v1/advertisers/{editors[i % EDITS].advertiser_id}/report",
            )

    tokens: list[str | None] = [token_for(db, t.user_email) for t in appellants]
    tokens += [token_for(db, email) for email in reviewers]
    tokens += [token_for(db, t.user_email) for t in editors]
    tokens += [None] * SERVERS
    tokens += [token_for(db, reader)] * READERS
    with (
        live_server(create_app(db)) as base_url,
        clients(base_url, tokens) as made,
        ThreadPoolExecutor(APPEALS + EDITS + SERVERS + READERS) as pool,
    ):
        appeal_clients = made[: 2 * APPEALS]
        edit_clients = made[2 * APPEALS : 2 * APPEALS + EDITS]
        serve_clients = made[2 * APPEALS + EDITS : -READERS]
        read_clients = made[-READERS:]
        jobs: list[Callable[[], None]] = [
            *(
                partial(appeal, i, appeal_clients[i], appeal_clients[APPEALS + i])
                for i in range(APPEALS)
            ),
            *(partial(edit, i, edit_clients[i]) for i in range(EDITS)),
            *(partial(serve, i, serve_clients[i]) for i in range(SERVERS)),
            *(partial(read, i, read_clients[i], edit_clients[i]) for i in range(READERS)),
        ]
        for future in [pool.submit(job) for job in jobs]:
            future.result(timeout=300)

    answers = recorder.answers
    assert [a for a in answers if a.status >= 500] == []
    slowest = max(answers, key=lambda a: a.seconds)
    assert slowest.seconds < LIMIT, slowest
    refused = [a for a in answers if a.status >= 300]
    assert refused == []
    assert len([a for a in answers if a.what == "answer appeal"]) == APPEALS
    assert len([a for a in answers if a.what == "edit campaign"]) == EDITS * EDIT_ROUNDS
    assert len([a for a in answers if a.what == "serve"]) == SERVERS * SERVE_ROUNDS
    assert counted
    assert all(counted)  # each impression its own decision and viewer
    with db.sessions() as session:
        ledger = session.scalar(
            select(func.count()).where(LedgerEvent.kind == LedgerKind.impression)
        )
    assert ledger == len(counted)


def _outsider(db: Database) -> sqlite3.Connection:
    """A connection of SQLite's own on the same file, as another process would hold one."""
    path = make_url(db.url).database
    assert path is not None
    return sqlite3.connect(path, timeout=0, isolation_level=None)


@pytest.mark.parametrize("db_url", ["sqlite"], indirect=True)
def test_a_write_holds_the_lock_from_its_first_read_while_reads_go_on(
    db: Database, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(engine_module, "WRITE_WAIT", 0.2)
    tenant = make_tenant(db, "Guarded")
    turn = write_turn(db.url)
    assert turn is not None
    outsider = _outsider(db)
    try:
        with db.transaction() as session:
            assert session.get(Campaign, tenant.campaign_id) is not None  # a read, no more
            with pytest.raises(sqlite3.OperationalError, match="locked"):
                outsider.execute("BEGIN IMMEDIATE")  # SQLite's write lock: taken at BEGIN
            with pytest.raises(DatabaseBusyError):
                turn.take()  # and the turn of this process's writers
            with db.sessions() as reader:  # while reads go on beside it
                assert reader.get(Campaign, tenant.campaign_id) is not None
        outsider.execute("BEGIN IMMEDIATE")
        outsider.execute("ROLLBACK")
    finally:
        outsider.close()
    with turn.held():  # given back at commit
        pass


@pytest.mark.parametrize("db_url", ["sqlite"], indirect=True)
def test_a_read_takes_its_turn_at_its_first_write_and_gives_it_back_after(
    db: Database, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(engine_module, "WRITE_WAIT", 0.2)
    tenant = make_tenant(db, "Lazy")
    turn = write_turn(db.url)
    assert turn is not None
    with db.engine.connect() as connection:
        connection.execute(select(Campaign.name).where(Campaign.id == tenant.campaign_id))
        with turn.held():  # reading took no turn
            pass
        connection.execute(
            update(Campaign).where(Campaign.id == tenant.campaign_id).values(name="Renamed")
        )
        with pytest.raises(DatabaseBusyError):
            turn.take()
        connection.commit()
    with turn.held():  # given back when the connection went back to the pool
        pass
    with db.sessions() as session:
        campaign = session.get(Campaign, tenant.campaign_id)
        assert campaign is not None
        assert campaign.name == "Renamed"


def _is_busy_answer(response: httpx.Response) -> None:
    assert response.status_code == 503, response.text
    assert response.headers["retry-after"] == str(RETRY_AFTER)
    if response.headers["content-type"].startswith("application/json"):
        assert response.json() == {"detail": BUSY}
    else:
        assert BUSY in response.text


@pytest.mark.parametrize("db_url", ["sqlite"], indirect=True)
def test_a_write_kept_from_its_turn_answers_503_while_reads_are_served(
    db: Database, monkeypatch: pytest.MonkeyPatch
) -> None:
    wait = 0.5
    monkeypatch.setattr(engine_module, "WRITE_WAIT", wait)
    tenant = make_tenant(db, "Patient")
    turn = write_turn(db.url)
    assert turn is not None
    path = f"/api/v1/campaigns/{tenant.campaign_id}"
    with api_client(db, tenant.user_email) as client:
        with turn.held():  # another writer's turn, and a long one
            started = time.perf_counter()
            kept = client.patch(path, json={"name": "Later"})
            waited = time.perf_counter() - started
            read = client.get(path)
        _is_busy_answer(kept)
        assert wait <= waited < wait + MARGIN
        assert read.status_code == 200
        assert read.json()["name"] != "Later"
        again = client.patch(path, json={"name": "Later"})
        assert again.status_code == 200, again.text
        assert again.json()["name"] == "Later"


@pytest.mark.parametrize("db_url", ["sqlite"], indirect=True)
def test_sqlites_lock_held_by_another_process_answers_503(
    db: Database, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(engine_module, "BUSY_TIMEOUT", 0.5)
    tenant = make_tenant(db, "Elsewhere")
    token = token_for(db, tenant.user_email)
    served = Database(db.url)  # connections made now wait BUSY_TIMEOUT as just set
    path = f"/api/v1/campaigns/{tenant.campaign_id}"
    outsider = _outsider(db)
    try:
        with (
            live_server(create_app(served)) as base_url,
            httpx.Client(
                base_url=base_url, headers={"Authorization": f"Bearer {token}"}, timeout=60
            ) as client,
        ):
            outsider.execute("BEGIN IMMEDIATE")
            started = time.perf_counter()
            kept = client.patch(path, json={"name": "Later"})
            waited = time.perf_counter() - started
            read = client.get(path)  # WAL: a writer elsewhere holds up no reader
            outsider.execute("ROLLBACK")
            again = client.patch(path, json={"name": "Later"})  # the turn was given back
    finally:
        outsider.close()
        served.dispose()
    _is_busy_answer(kept)
    assert waited < 0.5 + MARGIN
    assert read.status_code == 200
    assert again.status_code == 200, again.text


def _timed(client: httpx.Client, path: str) -> tuple[httpx.Response, float]:
    started = time.perf_counter()
    response = client.get(path)
    return response, time.perf_counter() - started


def test_a_pool_with_every_connection_taken_answers_503_at_once_then_serves(
    db: Database,
) -> None:
    tenant = make_tenant(db, "Pooled")
    if db.engine.dialect.name == "sqlite":
        connections = engine_module.SQLITE_POOL_SIZE + engine_module.SQLITE_MAX_OVERFLOW
    else:
        connections = engine_module.POSTGRES_POOL_SIZE + engine_module.POSTGRES_MAX_OVERFLOW
    api, page = f"/api/v1/campaigns/{tenant.campaign_id}", "/"
    with api_client(db, tenant.user_email) as client:
        held = [db.engine.connect() for _ in range(connections)]
        try:
            with ThreadPoolExecutor(2) as both:  # the API and a page, each waiting at once
                asked = [both.submit(_timed, client, path) for path in (api, page)]
                (api_answer, api_seconds), (page_answer, page_seconds) = [
                    future.result(timeout=60) for future in asked
                ]
        finally:
            for connection in held:
                connection.close()
        served = client.get(api)
        home = client.get(page)
        spec = client.get("/api/v1/openapi.json").json()
    _is_busy_answer(api_answer)
    _is_busy_answer(page_answer)
    assert api_seconds < engine_module.POOL_TIMEOUT + MARGIN
    assert page_seconds < engine_module.POOL_TIMEOUT + MARGIN
    assert served.status_code == 200, served.text
    assert home.status_code == 200
    documented = spec["paths"]["/api/v1/campaigns/{campaign_id}"]["get"]["responses"]["503"]
    assert "Retry-After" in documented["headers"]
