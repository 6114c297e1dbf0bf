"""The serving benchmark's data: the demo schema scaled up with generated advertisers.

10,000 advertisers, each with one account, 10 campaigns and 10 promoted posts per
campaign (100,000 campaigns, 1,000,000 posts), written with PostgreSQL COPY. Names are
made of random syllables, so that screening the directive list against them finds only
the advertisers it names. Campaigns target 3 of 1,000 keywords (1 in 100 targets none),
3 in 10 target 1 to 3 of 20 countries, and bid 1.00 to 20.00 CPM.
"""

from __future__ import annotations

import random
from dataclasses import dataclass
from datetime import UTC, datetime

import psycopg
from psycopg.types.json import Json

ADVERTISERS = 10_000
CAMPAIGNS_PER_ADVERTISER = 10
POSTS_PER_CAMPAIGN = 10
KEYWORDS = [f"kw{n:04d}" for n in range(1_000)]
COUNTRIES = [
    "DE",
    "FR",
    "US",
    "GB",
    "PL",
    "JP",
    "BR",
    "IN",
    "MX",
    "KR",
    "ES",
    "IT",
    "NL",
    "SE",
    "FI",
    "GR",
    "EG",
    "CA",
    "AU",
    "ZA",
]
SYLLABLES = [c + v for c in "bdfgklmnprstvz" for v in "aeiou"]


@dataclass(frozen=True)
class Generated:
    advertiser_ids: list[int]
    names: dict[int, str]


def _name(rng: random.Random) -> str:
    def word() -> str:
        return "".join(rng.choice(SYLLABLES) for _ in range(rng.randint(3, 4))).capitalize()

    return f"{word()} {word()}"


def generate(url: str, seed: int = 2018) -> Generated:
    """Fill an empty, migrated database; returns the advertisers' ids and names."""
    rng = random.Random(seed)
    now = datetime.now(UTC)
    names: dict[int, str] = {}
    seen: set[str] = set()
    for advertiser in range(1, ADVERTISERS + 1):
        name = _name(rng)
        while name in seen:
            name = _name(rng)
        seen.add(name)
        names[advertiser] = name
    with psycopg.connect(url) as connection, connection.cursor() as cursor:
        with cursor.copy(
            "COPY advertisers (id, kind, name, country, created_at, updated_at) FROM STDIN"
        ) as copy:
            for advertiser, name in names.items():
                copy.write_row((advertiser, "organization", name, "DE", now, now))
        with cursor.copy(
            "COPY advertiser_names (advertiser_id, name, kind, created_at) FROM STDIN"
        ) as copy:
            for advertiser, name in names.items():
                copy.write_row((advertiser, name, "primary", now))
        with cursor.copy(
            "COPY accounts (id, handle, display_name, advertiser_id, ads_eligible, created_at,"
            " updated_at) FROM STDIN"
        ) as copy:
            for advertiser, name in names.items():
                copy.write_row((advertiser, f"bench{advertiser}", name, advertiser, True, now, now))
        campaign_rows = []
        with cursor.copy(
            "COPY campaigns (id, advertiser_id, name, currency, daily_budget_cents,"
            " lifetime_budget_cents, bid_cpm_cents, keywords, countries, status, held,"
            " spent_micros, created_at, updated_at) FROM STDIN"
        ) as copy:
            campaign = 0
            for advertiser in names:
                for _ in range(CAMPAIGNS_PER_ADVERTISER):
                    campaign += 1
                    keywords = [] if rng.random() < 0.01 else rng.sample(KEYWORDS, 3)
                    countries = (
                        rng.sample(COUNTRIES, rng.randint(1, 3)) if rng.random() < 0.3 else []
                    )
                    copy.write_row(
                        (
                            campaign, advertiser, f"Campaign {campaign}", "USD",
                            100_000_00, 10_000_000_00, rng.randint(100, 2_000),
                            Json(keywords), Json(countries),
                            "active", False, 0, now, now,
                        )
                    )  # fmt: skip
                    campaign_rows.append((campaign, advertiser))
        with cursor.copy(
            "COPY promoted_posts (campaign_id, account_id, text, landing_url, status, created_at,"
            " updated_at) FROM STDIN"
        ) as copy:
            for campaign, advertiser in campaign_rows:
                for post in range(POSTS_PER_CAMPAIGN):
                    copy.write_row(
                        (
                            campaign, advertiser, f"Offer {post} of campaign {campaign}",
                            f"https://shop{advertiser}.example/{campaign}/{post}", "active",
                            now, now,
                        )
                    )  # fmt: skip
        for table in ("advertisers", "accounts", "campaigns", "promoted_posts"):
            cursor.execute(
                f"SELECT setval(pg_get_serial_sequence('{table}', 'id'), (SELECT max(id) FROM {table}))"
            )
        cursor.execute(
            "INSERT INTO placements (key, reserve_cpm_cents, created_at, updated_at)"
            " VALUES ('feed', 100, %s, %s)",
            (now, now),
        )
        # the baseline's per-request query needs an index to be a fair comparison
        cursor.execute(
            "CREATE INDEX bench_campaigns_keywords ON campaigns USING gin ((keywords::jsonb))"
        )
        cursor.execute("ANALYZE")
    return Generated(list(names), names)
