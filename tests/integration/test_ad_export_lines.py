"""The ads export streams lines kept by `adwarden exports refresh` (on PostgreSQL) only while
they are still what rendering the ad now gives: after a showing, a decision on its advertiser,
a rename, a decision edited behind adwarden's back (once refreshed), and when its campaign
ends by the clock."""

from __future__ import annotations

import subprocess
import sys
from datetime import timedelta
from pathlib import Path

import orjson
import pytest
from sqlalchemy import func, select, update

from adwarden.domain.enums import ListKind, SubjectLevel
from adwarden.enforcement.models import Decision
from adwarden.enforcement.services import decide
from adwarden.registry.models import Advertiser
from adwarden.serving.ledger import count_event
from adwarden.store.base import utcnow
from adwarden.store.engine import Database
from adwarden.transparency import exports
from adwarden.transparency.ads import ad_by_id, ads_by_id
from adwarden.transparency.exports import (
    AD_COLUMNS,
    Format,
    ad_json,
    ad_line,
    export_ads,
    stale_ads,
)
from adwarden.transparency.models import AdExport
from support import (
    Tenant,
    api_client,
    cli_env,
    impression_claims,
    listed,
    make_decision,
    make_tenant,
    publish_default_policy,
    running_ad,
    staff_actor,
)

ADWARDEN = str(Path(sys.executable).parent / "adwarden")
AD_FORMATS = (Format.csv, Format.jsonl)


def show(db: Database, tenant: Tenant, ad: int, campaign_id: int) -> None:
    for claim in impression_claims(campaign_id, tenant.advertiser_id, ad, 4_000, 1):
        assert count_event(db, claim, utcnow()).counted


def exported(db: Database, fmt: Format) -> list[str]:
    text = b"".join(export_ads(db, fmt)).decode()
    lines = text.splitlines(keepends=True)
    if fmt is Format.csv:
        assert lines[0] == ",".join(AD_COLUMNS) + "\r\n"
        return lines[1:]
    return lines


def assert_exports_are_current(db: Database) -> list[int]:
    """Every exported line is the ad rendered now; returns the ads' ids."""
    ids: list[int] = []
    for fmt in AD_FORMATS:
        lines = exported(db, fmt)
        ids = [int(line.removeprefix('{"id":').split(",", 1)[0]) for line in lines]
        with db.sessions() as session:
            for ad_id, line in zip(ids, lines, strict=True):
                ad = ad_by_id(session, ad_id)
                assert ad is not None
                assert line == ad_line(ad, fmt), (fmt, ad_id)
    # the API splices the same kept lines into its answers
    with db.sessions() as session:
        now = [orjson.loads(orjson.dumps(ad.as_json())) for ad in ads_by_id(session, ids[::-1])]
        # and in this process, where the page's statement is compiled once
        spliced = [orjson.loads(line) for line in ad_json(session, ids[::-1])]
    assert spliced == now
    with api_client(db) as client:
        page = client.get("/api/v1/public/ads")
        assert page.status_code == 200
        assert page.headers["cache-control"] == "public, max-age=60"
        assert page.json()["items"] == now
        assert page.json()["total"] == len(now)
    return ids


def kept(db: Database) -> int:
    with db.sessions() as session:
        return int(session.scalar(select(func.count()).select_from(AdExport)) or 0)


def stale(db: Database) -> list[int]:
    with db.sessions() as session:
        return stale_ads(session)


def refresh(db_url: str) -> str:
    done = subprocess.run(
        [ADWARDEN, "--db", db_url, "exports", "refresh"],
        capture_output=True,
        text=True,
        env=cli_env(),
        timeout=120,
        check=False,
    )
    assert done.returncode == 0, done.stderr
    return done.stdout


def test_kept_ad_lines_are_streamed_only_while_they_are_what_the_ad_is_now(
    db: Database, db_url: str, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    publish_default_policy(db)
    crypto = make_tenant(db, "Coinly")
    make_decision(db, crypto)  # a rejected post: listed, its content withheld
    gardener = make_tenant(db, "Gardenia")
    ad = running_ad(db, gardener, text="Open", ends_at=utcnow() + timedelta(days=1))
    with db.sessions() as session:
        found = ad_by_id(session, ad)
        assert found is not None
        campaign_id = found.campaign.id
    show(db, gardener, ad, campaign_id)
    postgres = db.engine.dialect.name == "postgresql"

    listed_ads = assert_exports_are_current(db)
    assert ad in listed_ads
    assert len(listed_ads) >= 2
    stdout = refresh(db_url)
    if not postgres:
        assert "nothing to refresh" in stdout
        assert kept(db) == 0
        return
    assert f"and {len(listed_ads)} ads" in stdout
    assert kept(db) == len(listed_ads)
    assert stale(db) == []
    assert assert_exports_are_current(db) == listed_ads
    # a new public URL, which every line holds: the kept ones are stale, and a page of the
    # API, its statement compiled once, says the new one too
    with monkeypatch.context() as moved:
        moved.setenv("ADWARDEN_PUBLIC_URL", "https://ads.example/repository")
        assert sorted(stale(db)) == sorted(listed_ads)
        assert assert_exports_are_current(db) == listed_ads
    rendered: list[int] = []  # every line is streamed as kept
    with monkeypatch.context() as spy:
        spy.setattr(exports, "ad_line", lambda ad, fmt: rendered.append(ad.post.id) or "")
        assert len(exported(db, Format.csv)) == len(listed_ads)
    assert rendered == []

    # shown again: its delivery changed, so its line is rendered as it is read
    show(db, gardener, ad, campaign_id)
    assert stale(db) == [ad]
    assert_exports_are_current(db)
    assert "Open" in "".join(exported(db, Format.csv))
    refresh(db_url)
    assert stale(db) == []

    # the clock passes the campaign's end: the kept line said "running"
    later = utcnow() + timedelta(days=2)
    with monkeypatch.context() as clock:
        clock.setattr(exports, "utcnow", lambda: later)
        [line] = [x for x in exported(db, Format.jsonl) if x.startswith(f'{{"id":{ad},')]
    assert '"status":"stopped"' in line
    assert '"status":"running"' in next(
        x for x in exported(db, Format.jsonl) if x.startswith(f'{{"id":{ad},')
    )

    # a decision on its advertiser, published through adwarden: its ads' lines are forgotten
    listed(db, tmp_path, "Gardenia Ltd", ListKind.directive)
    with db.transaction() as session:
        decision = decide(
            session,
            staff_actor(db),
            SubjectLevel.advertiser,
            gardener.advertiser_id,
            "3.1",
            "Gardenia Ltd makes the products a national security directive names.",
        )
        decision_id = decision.id
    assert kept(db) < len(listed_ads)
    assert_exports_are_current(db)
    assert f"{decision_id}" in next(x for x in exported(db, Format.csv) if x.startswith(f"{ad},"))
    refresh(db_url)
    assert stale(db) == []

    # a decision edited behind adwarden's back: the refresh finds it, and renders the ad again
    with db.engine.begin() as connection:
        connection.execute(
            update(Decision).where(Decision.id == decision_id).values(status="reversed")
        )
    assert ad in stale(db)
    refresh(db_url)
    assert stale(db) == []
    assert '"status":"reversed"' in next(
        x for x in exported(db, Format.jsonl) if x.startswith(f'{{"id":{ad},')
    )
    assert_exports_are_current(db)

    # the advertiser renamed behind its back: the line is stale at once
    with db.engine.begin() as connection:
        connection.execute(
            update(Advertiser)
            .where(Advertiser.id == gardener.advertiser_id)
            .values(name="Gardenia Renamed Ltd")
        )
    assert stale(db) == [ad]
    assert_exports_are_current(db)
    assert "Gardenia Renamed Ltd" in "".join(exported(db, Format.csv))

    # resumed and limited, it is the same lines
    whole = exported(db, Format.jsonl)
    resumed = b"".join(export_ads(db, Format.jsonl, after=listed_ads[0], limit=2)).decode()
    assert resumed == "".join(whole[1:3])
