"""The live system end to end, as a new user drives it: a fresh `init-db`, the CLI for what
only the CLI does (users, a list import, a policy version), and the HTTP API of a running
`adwarden serve` for everything else. No scenario loader, no service called in-process.

Every change is judged as it commits: a prohibited post never runs, a confirmed sanctions hit
off-boards at once while organic posting goes on, and a new policy version judges again
those it changes.
"""

from __future__ import annotations

import time
import uuid
from contextlib import ExitStack
from pathlib import Path
from typing import Any

import httpx
from test_cli import run, served

from support import DEFAULT_POLICY

PASSWORD = "a long enough password"
NAME = "Quillfeather Fictional Lenses Ltd"
ORDINARY = "Quillfeather lenses: sharper photos at dusk"
PROHIBITED = "Presale now open: buy QFL tokens before the ICO ends, guaranteed 40x returns"
MEDICAL = "Quillfeather night lenses cure short sight in a week"


def _cli(db_url: str, *args: str, env: dict[str, str] | None = None) -> str:
    done = run("--db", db_url, *args, env=env)
    assert done.returncode == 0, done.stderr
    return done.stdout


def _user(db_url: str, email: str, role: str, *extra: str) -> None:
    _cli(
        db_url,
        "users",
        "create",
        "--email",
        email,
        "--role",
        role,
        *extra,
        env={"ADWARDEN_NEW_PASSWORD": PASSWORD},
    )


def _client(base: str, email: str) -> httpx.Client:
    token = httpx.post(f"{base}/api/v1/tokens", json={"email": email, "password": PASSWORD})
    assert token.status_code == 201, token.text
    headers = {"Authorization": f"Bearer {token.json()['token']}"}
    return httpx.Client(base_url=base, headers=headers, timeout=60)


def _made(response: httpx.Response) -> dict[str, Any]:
    assert response.status_code == 201, response.text
    body: dict[str, Any] = response.json()
    return body


def _served_posts(base: str, requests: int) -> list[int]:
    """The promoted posts the ad server chooses for `requests` fresh viewers."""
    chosen = []
    for _ in range(requests):
        answer = httpx.post(
            f"{base}/api/v1/serve",
            json={
                "placement": "feed",
                "count": 3,
                "user_key": uuid.uuid4().hex,
                "keywords": ["lenses"],
            },
        )
        assert answer.status_code == 200, answer.text
        chosen += [item["promoted_post_id"] for item in answer.json()["decisions"]]
    return chosen


def _caught_up(base: str, within: float = 10.0) -> None:
    """Wait until the server's serving snapshot has every eligibility change in the database."""
    deadline = time.monotonic() + within
    while True:
        serving = httpx.get(f"{base}/api/v1/health").json()["serving"]
        if serving["version_lag"] == 0:
            return
        assert time.monotonic() < deadline, f"serving still lags after {within} s: {serving}"
        time.sleep(0.05)


def _campaign(owner: httpx.Client, advertiser_id: int) -> int:
    body = {
        "name": "Dusk photography",
        "daily_budget": "100.00",
        "lifetime_budget": "1000.00",
        "bid_cpm": "5.00",
        "keywords": ["lenses"],
        "status": "active",
    }
    return int(_made(owner.post(f"/api/v1/advertisers/{advertiser_id}/campaigns", json=body))["id"])


def test_a_fresh_instance_judges_every_change_through_its_api(
    empty_db_url: str, tmp_path: Path
) -> None:
    _cli(empty_db_url, "init-db")
    _user(empty_db_url, "admin@live.example", "admin")
    _user(empty_db_url, "reviewer@live.example", "reviewer")
    _user(empty_db_url, "policy@live.example", "policy_admin")
    _cli(
        empty_db_url,
        "policy",
        "publish",
        str(DEFAULT_POLICY),
        "--changelog",
        "First published policy.",
        "--by",
        "policy@live.example",
    )
    with served(empty_db_url) as (base, _), ExitStack() as clients:
        staff = clients.enter_context(_client(base, "admin@live.example"))
        reviewer = clients.enter_context(_client(base, "reviewer@live.example"))
        _made(staff.post("/api/v1/placements", json={"key": "feed", "reserve_cpm": "0.50"}))

        # register an advertiser with an account and a campaign
        advertiser = _made(
            staff.post(
                "/api/v1/advertisers",
                json={"kind": "organization", "name": NAME, "country": "DE"},
            )
        )
        advertiser_id = advertiser["id"]
        account = _made(
            staff.post(
                "/api/v1/accounts",
                json={
                    "handle": "quillfeather",
                    "display_name": "Quillfeather",
                    "advertiser_id": advertiser_id,
                },
            )
        )
        _user(
            empty_db_url,
            "ads@quillfeather.example",
            "advertiser",
            "--advertiser",
            str(advertiser_id),
        )
        owner = clients.enter_context(_client(base, "ads@quillfeather.example"))
        campaign_id = _campaign(owner, advertiser_id)

        # a prohibited post and an ordinary one: each is judged before the answer
        posts = f"/api/v1/campaigns/{campaign_id}/promoted-posts"
        ordinary = _made(owner.post(posts, json={"account_id": account["id"], "text": ORDINARY}))
        prohibited = _made(
            owner.post(posts, json={"account_id": account["id"], "text": PROHIBITED})
        )
        assert ordinary["status"] == "active"
        assert prohibited["status"] == "rejected"
        [rejection] = [
            d
            for d in owner.get("/api/v1/decisions").json()["items"]
            if d["subject_id"] == prohibited["id"]
        ]
        assert (rejection["clause_id"], rejection["level"]) == ("5.1", "post")
        chosen = _served_posts(base, 20)
        assert ordinary["id"] in chosen
        assert prohibited["id"] not in chosen

        # an ordinary post edited into a prohibited one stops running when it commits
        edited = owner.patch(f"/api/v1/promoted-posts/{ordinary['id']}", json={"text": PROHIBITED})
        assert edited.status_code == 200, edited.text
        assert edited.json()["status"] == "rejected"
        assert _served_posts(base, 10) == []
        # a new ordinary post runs
        fresh = _made(owner.post(posts, json={"account_id": account["id"], "text": ORDINARY}))
        assert fresh["status"] == "active"
        assert set(_served_posts(base, 10)) == {fresh["id"]}

        # a sanctions list names the advertiser; a reviewer confirms the hit: off-boarded at once
        listed = tmp_path / "sanctions.csv"
        listed.write_text(f"id,name\nfx-1,{NAME}\n", encoding="utf-8")
        _cli(
            empty_db_url,
            "lists",
            "import",
            str(listed),
            "--format",
            "csv",
            "--list",
            "fictional-sanctions",
            "--kind",
            "sanctions",
        )
        [hit] = reviewer.get("/api/v1/screening/hits", params={"status": "open"}).json()["items"]
        confirmed = reviewer.post(
            f"/api/v1/screening/hits/{hit['id']}/review",
            json={"decision": "confirm", "reason": "The listed entity is this advertiser."},
        )
        assert confirmed.status_code == 200, confirmed.text
        decisions = owner.get("/api/v1/decisions").json()["items"]
        [off_board] = [d for d in decisions if d["clause_id"] == "2.1"]
        assert (off_board["level"], off_board["outcome"]) == ("advertiser", "off_board")
        assert off_board["automated_decision"]
        # serving stopped with the commit that confirmed the hit
        assert _served_posts(base, 10) == []
        # organic posting goes on
        organic = owner.post(
            f"/api/v1/accounts/{account['id']}/posts",
            json={"text": "Our spring catalogue is out", "posted_at": "2026-12-01T10:00:00Z"},
        )
        assert organic.status_code == 201, organic.text
        listed_posts = owner.get(f"/api/v1/accounts/{account['id']}/posts").json()["items"]
        assert [p["text"] for p in listed_posts] == ["Our spring catalogue is out"]

        # another advertiser's post runs under v1; v2 adds a clause that rejects it
        other = _made(
            staff.post(
                "/api/v1/advertisers",
                json={"kind": "organization", "name": "Nightjar Fictional Optics", "country": "FR"},
            )
        )
        other_account = _made(
            staff.post(
                "/api/v1/accounts",
                json={
                    "handle": "nightjar",
                    "display_name": "Nightjar",
                    "advertiser_id": other["id"],
                },
            )
        )
        _user(empty_db_url, "ads@nightjar.example", "advertiser", "--advertiser", str(other["id"]))
        nightjar = clients.enter_context(_client(base, "ads@nightjar.example"))
        other_campaign = _campaign(nightjar, other["id"])
        claim = _made(
            nightjar.post(
                f"/api/v1/campaigns/{other_campaign}/promoted-posts",
                json={"account_id": other_account["id"], "text": MEDICAL},
            )
        )
        assert claim["status"] == "active"
        assert set(_served_posts(base, 5)) == {claim["id"]}

        proposed = tmp_path / "policy-v2.yaml"
        proposed.write_text(
            DEFAULT_POLICY.read_text(encoding="utf-8")
            + """
  - id: "5.2"
    title: Medical cure claims
    text: |
      Promoted posts may not claim that a product cures a condition.
    level: post
    condition: '"cure_claim" in categories'
    outcome: reject_post
    ground:
      kind: terms
      explanation: Our terms do not allow ads that claim to cure a condition.
    dsa_category: STATEMENT_CATEGORY_SCAMS_AND_FRAUD
    automatic: true
    end_rule: the rejection stands for this post; an edited post is checked again
    rereview_days: 365
    classifiers:
      - category: cure_claim
        keywords: [cure, cures]
""",
            encoding="utf-8",
        )
        whatif = _cli(empty_db_url, "policy", "whatif", str(proposed), "--json")
        assert f'"subject_id": {claim["id"]}' in whatif
        _cli(
            empty_db_url,
            "policy",
            "publish",
            str(proposed),
            "--changelog",
            "Clause 5.2: no cure claims.",
            "--by",
            "policy@live.example",
        )
        judged = nightjar.get(f"/api/v1/promoted-posts/{claim['id']}").json()
        assert judged["status"] == "rejected"
        [cure] = nightjar.get("/api/v1/decisions").json()["items"]
        assert cure["clause_id"] == "5.2"
        # the running server hears of the other process's change (NOTIFY on PostgreSQL, its
        # version check on SQLite) and no longer chooses the post
        _caught_up(base)
        assert claim["id"] not in _served_posts(base, 5)
        queue = httpx.get(f"{base}/api/v1/health").json()["queue"]
        assert (queue["backlog"], queue["detail"]["posts_pending"]) == (0, 0)
        # the off-boarding still stands; nothing was lifted by the new version
        standing = owner.get(f"/api/v1/decisions/{off_board['id']}").json()
        assert standing["status"] == "active"
