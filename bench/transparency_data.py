"""The transparency benchmark's data: a million ads, a million decisions, and their log.

Everything is generated and plainly fictional: advertiser names are made of random syllables
("Bakelo Nurita Trading"), one in ten also has a Cyrillic spelling and one in thirty a Greek
one, so that the any-script name search has work; ad texts draw on a vocabulary of ~8,000
words with Zipf-like frequencies, so that a word can match most ads or a hundred.

At full scale (ADWARDEN_BENCH_SCALE=1, the default): 50,000 advertisers with ~65,000
accounts, ~200,000 campaigns, 1,000,000 promoted posts (~85% with delivery figures) and
1,000,000 decisions in time order (10% on advertisers, 10% on accounts, 15% on campaigns,
65% on posts; 3% reversed and 5% lifted, each with its status entry in the log), ~3,000
appeals, and the log of 1,000,000 statements plus ~80,000 status entries, appended with
`adwarden.transparency.log.append` in batches of 50,000 so that every leaf is exactly what
`adwarden log check` recomputes. Rows are written with COPY while the secondary indexes are
dropped; they are rebuilt afterwards and the tables vacuumed and analysed.
"""

from __future__ import annotations

import json
import math
import os
import random
import time
from array import array
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from typing import Any

import psycopg
from sqlalchemy.orm import Session

from adwarden.auth.passwords import hash_password
from adwarden.domain.enums import DecisionStatus, Outcome, SubjectLevel
from adwarden.registry.models import search_keys
from adwarden.transparency.log import Item, append
from adwarden.transparency.records import (
    STATEMENT,
    STATUS_KINDS,
    decision_record,
    leaf_data,
    status_record,
)

SCALE = float(os.environ.get("ADWARDEN_BENCH_SCALE", "1"))
ADVERTISERS = max(200, round(50_000 * SCALE))
POSTS = max(2_000, round(1_000_000 * SCALE))
DECISIONS = max(2_000, round(1_000_000 * SCALE))
APPEALS = max(50, round(3_000 * SCALE))
LOG_BATCH = 50_000  # entries per append(): one signed tree head each
DECISION_BATCH = LOG_BATCH
COUNTRIES = ["DE", "FR", "US", "GB", "PL", "ES", "IT", "NL", "SE", "FI",
             "GR", "AT", "BE", "IE", "PT", "CZ", "RO", "JP", "BR", "CA"]  # fmt: skip
KEYWORDS = [f"kw{n:03d}" for n in range(300)]
SYLLABLES = [c + v for c in "bdfgklmnprstvz" for v in "aeiou"]
_CYRILLIC = dict(zip("bdfgklmnprstvzaeiou", "бдфгклмнпрствзаеиоу", strict=True))
_GREEK = dict(zip("bdfgklmnprstvzaeiou", "βδφγκλμνπρστβζαειου", strict=True))
SUFFIXES = ["Trading", "Labs", "Media", "Foods", "Outfitters", "Studio", "Works", "Goods",
            "Travel", "Digital", "Home", "Games", "Energy", "Finance", "", "", "", ""]  # fmt: skip
# ordinary ad words, most common first; a tail of made-up brand words follows them
COMMON_WORDS = """
new sale free shop now offer today best price deal get your online order discount
quality delivery save more fast top premium official store limited time shipping
fresh style home gift easy kids summer winter classic organic natural healthy coffee
tea shoes jacket dress watch phone laptop camera garden kitchen bike travel hotel
flight course lesson class yoga fitness book music concert ticket game toy pet food
wine beer pizza burger bakery cheese chocolate beauty skin hair care cream perfume
furniture sofa lamp bed chair table paint tools car tyre insurance loan bank card
energy solar heating window door roof clean repair service local family handmade
vintage luxury budget student senior members club weekend holiday spring autumn
""".split()  # noqa: SIM905
TAIL_WORDS = 8_000
CRYPTO_PHRASES = ["token sale", "presale", "ICO", "initial coin offering", "whitelist"]
# the data ends at the hour of the run: the same rows every run, relative to it
NOW = datetime.now(UTC).replace(minute=0, second=0, microsecond=0)
SPAN = timedelta(days=730)  # the data covers two years before NOW

# what the decisions say, per clause
CLAUSE_TITLES = {
    "2.1": "Sanctioned persons and entities",
    "3.1": "Products barred by a national government security directive",
    "3.2": "State-controlled media",
    "5.1": "Cryptocurrency offerings",
    "6.1": "Names on a scrutiny list",
}
AUTOMATIC = {"2.1", "3.2", "5.1"}
OUTCOMES = {"2.1": Outcome.off_board, "3.1": Outcome.off_board, "3.2": Outcome.off_board,
            "5.1": Outcome.reject_post, "6.1": Outcome.review_required}  # fmt: skip
LIST_OF = {"2.1": ("bench-sanctions", "sanctions"), "3.1": ("bench-directive", "directive"),
           "3.2": ("bench-state-media", "state_media"), "6.1": ("bench-scrutiny", "scrutiny")}  # fmt: skip
LEVELS = [SubjectLevel.advertiser, SubjectLevel.account, SubjectLevel.campaign, SubjectLevel.post]
LEVEL_SHARES = [0.10, 0.10, 0.15, 0.65]
REVERSED_SHARE = 0.03
LIFTED_SHARE = 0.05


def _word(rng: random.Random, low: int = 2, high: int = 3) -> str:
    return "".join(rng.choice(SYLLABLES) for _ in range(rng.randint(low, high)))


def _script(word: str, table: dict[str, str]) -> str:
    return "".join(table[ch] for ch in word.lower()).capitalize()


@dataclass(frozen=True)
class Vocabulary:
    words: list[str]
    cumulative: list[float]

    def share(self, rank: int) -> float:
        """The chance that one drawn word is the word of this rank."""
        previous = self.cumulative[rank - 1] if rank else 0.0
        return (self.cumulative[rank] - previous) / self.cumulative[-1]


def vocabulary(seed: int = 11) -> Vocabulary:
    rng = random.Random(seed)
    words = list(COMMON_WORDS)
    seen = set(words)
    while len(words) < len(COMMON_WORDS) + TAIL_WORDS:
        word = _word(rng, 3, 4)
        if word not in seen:
            seen.add(word)
            words.append(word)
    weights = [1 / (rank + 2) ** 1.05 for rank in range(len(words))]
    cumulative, total = [], 0.0
    for weight in weights:
        total += weight
        cumulative.append(total)
    return Vocabulary(words, cumulative)


@dataclass
class Generated:
    """What the benchmark's queries are made of."""

    advertisers: int
    accounts: int
    campaigns: int
    posts: int
    decisions: int
    appeals: int
    log_size: int
    names: dict[int, str]
    cyrillic: dict[int, str]  # advertiser -> its Cyrillic name
    greek: dict[int, str]
    vocabulary: Vocabulary
    reversed_decisions: int
    lifted_decisions: int
    seconds: dict[str, float] = field(default_factory=dict)


@dataclass(slots=True)
class DecisionLike:
    """What `decision_record` and `status_record` read of a Decision, without the ORM."""

    id: int
    level: SubjectLevel
    subject_id: int
    subject_label: str
    advertiser_id: int
    outcome: Outcome
    clause_id: str
    policy_hash: str
    facts: dict[str, Any]
    facts_summary: str
    evidence: list[dict[str, Any]]
    automated_detection: bool
    automated_decision: bool
    starts_at: datetime
    ends_at: datetime | None
    territorial_scope: list[str]
    status: DecisionStatus
    status_reason: str | None
    superseded_by: int | None = None


def _dumps(value: Any) -> str:
    return json.dumps(value, ensure_ascii=False)


class _Clock:
    def __init__(self) -> None:
        self.seconds: dict[str, float] = {}
        self._began = time.perf_counter()

    def lap(self, name: str) -> None:
        now = time.perf_counter()
        self.seconds[name] = now - self._began
        self._began = now


BIG_TABLES = ("promoted_posts", "post_delivery", "decisions", "log_entries", "log_nodes",
              "advertiser_names", "advertiser_name_keys", "accounts", "campaigns", "appeals")  # fmt: skip


def _drop_indexes(cursor: psycopg.Cursor[Any]) -> list[str]:
    """Drop the secondary indexes of the tables about to be filled; return how to rebuild them."""
    rows = cursor.execute(
        "SELECT i.indexname, i.indexdef FROM pg_indexes i WHERE i.schemaname = 'public'"
        " AND i.tablename = ANY(%s) AND NOT EXISTS (SELECT 1 FROM pg_constraint c"
        " WHERE c.conname = i.indexname)",
        (list(BIG_TABLES),),
    ).fetchall()
    for name, _ in rows:
        cursor.execute(f'DROP INDEX "{name}"')
    return [definition for _, definition in rows]


def generate(
    url: str,
    session_factory: Callable[[], Any],
    *,
    policy_version_id: int,
    policy_number: int,
    policy_hash: str,
    reviewer_id: int,
    reviewer_label: str,
    progress: Callable[[str], None] = print,
    seed: int = 2024,
) -> Generated:
    """Fill a migrated database whose policy is published (and logged). `session_factory`
    gives a transaction-scoped Session (Database.transaction) for the log appends."""
    clock = _Clock()
    vocab = vocabulary()
    rng = random.Random(seed)

    # --- advertisers and their names -------------------------------------------------------
    names: dict[int, str] = {}
    cyrillic: dict[int, str] = {}
    greek: dict[int, str] = {}
    seen: set[str] = set()
    for advertiser in range(1, ADVERTISERS + 1):
        while True:
            first, second = _word(rng), _word(rng)
            suffix = rng.choice(SUFFIXES)
            name = " ".join(
                part for part in (first.capitalize(), second.capitalize(), suffix) if part
            )
            if name not in seen:
                break
        seen.add(name)
        names[advertiser] = name
        draw = rng.random()
        if draw < 0.10:
            cyrillic[advertiser] = f"{_script(first, _CYRILLIC)} {_script(second, _CYRILLIC)}"
        elif draw < 0.10 + 1 / 30:
            greek[advertiser] = f"{_script(first, _GREEK)} {_script(second, _GREEK)}"

    # --- accounts and campaigns (their flags wait for the decisions) ------------------------
    first_account = array("i", [0]) * (ADVERTISERS + 1)
    account_count = array("b", [0]) * (ADVERTISERS + 1)
    account_owner = array("i", [0])
    for advertiser in range(1, ADVERTISERS + 1):
        count = 2 if rng.random() < 0.3 else 1
        first_account[advertiser] = len(account_owner)
        account_count[advertiser] = count
        account_owner.extend([advertiser] * count)
    accounts = len(account_owner) - 1
    campaign_owner = array("i", [0])
    for advertiser in range(1, ADVERTISERS + 1):
        campaign_owner.extend([advertiser] * rng.randint(1, 7))
    campaigns = len(campaign_owner) - 1

    # --- posts: each to a campaign, in campaign order, so ids follow time -------------------
    post_campaign = array("i", [0])
    post_campaign.extend(sorted(rng.randrange(1, campaigns + 1) for _ in range(POSTS)))
    post_account = array("i", [0]) * (POSTS + 1)
    for post in range(1, POSTS + 1):
        owner = campaign_owner[post_campaign[post]]
        post_account[post] = first_account[owner] + rng.randrange(account_count[owner])
    clock.lap("plan")

    # --- the decisions' plan: level, subject, clause, status --------------------------------
    drng = random.Random(seed + 1)
    d_level = array("b", [0]) * (DECISIONS + 1)
    d_subject = array("i", [0]) * (DECISIONS + 1)
    d_clause = [""] * (DECISIONS + 1)
    d_status = array("b", [0]) * (DECISIONS + 1)  # 0 active, 1 reversed, 2 lifted
    sizes = {SubjectLevel.advertiser: ADVERTISERS, SubjectLevel.account: accounts,
             SubjectLevel.campaign: campaigns, SubjectLevel.post: POSTS}  # fmt: skip
    offboarded: set[int] = set()
    rejected: set[int] = set()
    crypto_posts: set[int] = set()
    cumulative_shares = [sum(LEVEL_SHARES[: i + 1]) for i in range(len(LEVEL_SHARES))]
    for decision in range(1, DECISIONS + 1):
        draw = drng.random()
        level_index = next(i for i, bound in enumerate(cumulative_shares) if draw < bound)
        level = LEVELS[level_index]
        # subjects that existed by then: ids grow with time
        existing = max(1, math.ceil(sizes[level] * (0.05 + 0.95 * decision / DECISIONS)))
        subject = drng.randint(1, existing)
        if level is SubjectLevel.advertiser:
            clause = drng.choice(["2.1", "3.1", "3.2"]) if drng.random() < 0.03 else "6.1"
        elif level is SubjectLevel.post:
            clause = "5.1" if drng.random() < 0.3 else "6.1"
        else:
            clause = "6.1"
        draw = drng.random()
        status = 1 if draw < REVERSED_SHARE else 2 if draw < REVERSED_SHARE + LIFTED_SHARE else 0
        d_level[decision], d_subject[decision] = level_index, subject
        d_clause[decision], d_status[decision] = clause, status
        if clause == "5.1":
            crypto_posts.add(subject)
            if status == 0:
                rejected.add(subject)
        elif status == 0 and OUTCOMES[clause] is Outcome.off_board:
            offboarded.add(subject)
    clock.lap("decision plan")

    def advertiser_of(level: SubjectLevel, subject: int) -> int:
        if level is SubjectLevel.advertiser:
            return subject
        if level is SubjectLevel.account:
            return account_owner[subject]
        if level is SubjectLevel.campaign:
            return campaign_owner[subject]
        return campaign_owner[post_campaign[subject]]

    def handle(account: int) -> str:
        return f"{names[account_owner[account]].split()[0].lower()}{account}"

    def label_of(level: SubjectLevel, subject: int) -> str:
        if level is SubjectLevel.advertiser:
            return names[subject]
        if level is SubjectLevel.account:
            return f"@{handle(subject)}"
        if level is SubjectLevel.campaign:
            return f"Campaign {subject}"
        return f"promoted post {subject} from @{handle(post_account[subject])}"

    # campaign and post timing: campaign c starts around T0 + SPAN * c / campaigns
    t0 = NOW - SPAN
    span_s = SPAN.total_seconds()

    def campaign_created(campaign: int) -> datetime:
        return t0 + timedelta(seconds=span_s * 0.98 * campaign / campaigns)

    with psycopg.connect(url) as connection, connection.cursor() as cursor:
        cursor.execute(
            "SET session_replication_role = replica"
        )  # generated consistent: no FK checks
        cursor.execute("SET synchronous_commit = off")
        rebuild = _drop_indexes(cursor)
        connection.commit()

        # --- advertisers, names, keys, accounts ----------------------------------------------
        with cursor.copy(
            "COPY advertisers (id, kind, name, country, industry, website, created_at, updated_at)"
            " FROM STDIN"
        ) as copy:
            for advertiser, name in names.items():
                created = t0 + timedelta(seconds=span_s * 0.9 * advertiser / ADVERTISERS)
                slug = name.split()[0].lower()
                copy.write_row((advertiser, "organization", name, rng.choice(COUNTRIES),
                                rng.choice(SUFFIXES) or None, f"https://{slug}{advertiser}.example",
                                created, created))  # fmt: skip
        name_id = 0
        name_keys: list[tuple[str, int]] = []
        with cursor.copy(
            "COPY advertiser_names (id, advertiser_id, name, kind, lang, created_at) FROM STDIN"
        ) as copy:
            for advertiser, name in names.items():
                spellings = [(name, "primary", None)]
                if advertiser in cyrillic:
                    spellings.append((cyrillic[advertiser], "transliteration", "ru"))
                if advertiser in greek:
                    spellings.append((greek[advertiser], "transliteration", "el"))
                for spelled, kind, lang in spellings:
                    name_id += 1
                    copy.write_row((name_id, advertiser, spelled, kind, lang, t0))
                    name_keys.extend((key, name_id) for key in search_keys(spelled))
        with cursor.copy("COPY advertiser_name_keys (key, name_id) FROM STDIN") as copy:
            for row in name_keys:
                copy.write_row(row)
        with cursor.copy(
            "COPY accounts (id, handle, display_name, advertiser_id, opened_at, ads_eligible,"
            " created_at, updated_at) FROM STDIN"
        ) as copy:
            for account in range(1, accounts + 1):
                owner = account_owner[account]
                created = t0 + timedelta(seconds=span_s * 0.9 * owner / ADVERTISERS)
                copy.write_row((account, handle(account), names[owner], owner, created,
                                owner not in offboarded, created, created))  # fmt: skip
        clock.lap("advertisers, names, accounts")

        # --- campaigns -----------------------------------------------------------------------
        campaign_status: list[str] = [""] * (campaigns + 1)
        campaign_bid = array("i", [0]) * (campaigns + 1)
        with cursor.copy(
            "COPY campaigns (id, advertiser_id, name, currency, daily_budget_cents,"
            " lifetime_budget_cents, bid_cpm_cents, starts_at, ends_at, payer, keywords,"
            " countries, status, held, spent_micros, created_at, updated_at) FROM STDIN"
        ) as copy:
            for campaign in range(1, campaigns + 1):
                owner = campaign_owner[campaign]
                created = campaign_created(campaign)
                draw = rng.random()
                status = ("active" if draw < 0.6 else "paused" if draw < 0.75
                          else "ended" if draw < 0.95 else "draft")  # fmt: skip
                starts = created + timedelta(days=rng.randint(0, 5)) if rng.random() < 0.5 else None
                ends = None
                if status == "ended" or rng.random() < 0.2:
                    ends = (starts or created) + timedelta(days=rng.randint(7, 120))
                countries = rng.sample(COUNTRIES, rng.randint(1, 3)) if rng.random() < 0.4 else []
                keywords = rng.sample(KEYWORDS, rng.randint(0, 3))
                bid = rng.randint(100, 2_000)
                campaign_status[campaign], campaign_bid[campaign] = status, bid
                payer = (
                    f"{names[rng.randint(1, ADVERTISERS)]} (agency)"
                    if rng.random() < 0.05
                    else None
                )
                copy.write_row((campaign, owner, f"Campaign {campaign}",
                                "EUR" if rng.random() < 0.4 else "USD", 50_000, 5_000_000, bid,
                                starts, ends, payer, _dumps(keywords), _dumps(countries), status,
                                owner in offboarded, rng.randint(0, 10**10), created, created))  # fmt: skip
        clock.lap("campaigns")

        # --- promoted posts and their delivery ------------------------------------------------
        words, cumulative = vocab.words, vocab.cumulative
        prng = random.Random(seed + 2)
        # with triggers off, each ad's restricted flag is set here as its trigger would
        with cursor.copy(
            "COPY promoted_posts (id, campaign_id, account_id, text, landing_url, status,"
            " restricted, created_at, updated_at) FROM STDIN"
        ) as copy:
            for post in range(1, POSTS + 1):
                picked = prng.choices(words, cum_weights=cumulative, k=prng.randint(6, 14))
                if post in crypto_posts:
                    picked.insert(prng.randrange(len(picked)), prng.choice(CRYPTO_PHRASES))
                picked[0] = picked[0].capitalize()
                text = " ".join(picked) + prng.choice([".", "!", " today.", ", while stocks last."])
                status = ("rejected" if post in rejected
                          else "withdrawn" if prng.random() < 0.03 else "active")  # fmt: skip
                campaign = post_campaign[post]
                created = campaign_created(campaign) + timedelta(hours=prng.random() * 48)
                restricted = (status == "rejected" or campaign_owner[campaign] in offboarded
                              or account_owner[post_account[post]] in offboarded)  # fmt: skip
                copy.write_row((post, campaign, post_account[post], text,
                                f"https://{handle(post_account[post])}.example/p/{post}", status,
                                restricted, created, created))  # fmt: skip
        clock.lap("posts")
        # the triggers that give a delivery row its ad's text search vector are off with the
        # FK checks: the rows go through a table of their own, and take it as the trigger would
        delivery = (
            "promoted_post_id, first_shown_at, last_shown_at, impressions, clicks, spent_micros"
        )
        cursor.execute(
            "CREATE TEMPORARY TABLE delivery_load ON COMMIT DROP"
            " AS SELECT * FROM post_delivery WITH NO DATA"
        )
        with cursor.copy(f"COPY delivery_load ({delivery}) FROM STDIN") as copy:
            for post in range(1, POSTS + 1):
                campaign = post_campaign[post]
                if campaign_status[campaign] == "draft" or prng.random() < 0.12:
                    continue
                first = campaign_created(campaign) + timedelta(hours=2 + prng.random() * 200)
                last = min(NOW, first + timedelta(hours=prng.random() * 24 * 90))
                impressions = int(prng.lognormvariate(7.5, 2.0))
                copy.write_row((post, first, last, impressions, impressions // 150,
                                impressions * campaign_bid[campaign] * 10))  # fmt: skip
        cursor.execute(
            f"INSERT INTO post_delivery ({delivery}, text_search)"
            f" SELECT {', '.join('d.' + c for c in delivery.split(', '))}, p.text_search"
            " FROM delivery_load d JOIN promoted_posts p ON p.id = d.promoted_post_id"
        )
        # the flags set above, checked against the database's own rule (migration 0015)
        cursor.execute(
            "SELECT count(*) FROM promoted_posts"
            " WHERE restricted <> promoted_post_restricted(status, campaign_id, account_id)"
        )
        wrong = cursor.fetchone()
        if wrong is None or wrong[0]:
            raise RuntimeError(f"{wrong} generated ads' restricted flags disagree with the rule")
        connection.commit()
        clock.lap("delivery")

        # --- decisions, and their statements and status changes in the log ------------------
        step = span_s / DECISIONS
        reversed_count = lifted_count = 0
        log_size = 0
        appealable: list[
            tuple[int, int, str, datetime, int]
        ] = []  # id, advertiser, clause, at, status
        for begin in range(1, DECISIONS + 1, DECISION_BATCH):
            end = min(DECISIONS + 1, begin + DECISION_BATCH)
            batch: list[DecisionLike] = []
            with cursor.copy(
                "COPY decisions (id, created_at, updated_at, level, subject_id, subject_label,"
                " advertiser_id, outcome, clause_id, policy_version_id, policy_hash, facts,"
                " facts_summary, evidence, decided_by, decided_by_label, automated_detection,"
                " automated_decision, starts_at, ends_at, territorial_scope, effects,"
                " review_task_id, status, status_reason, superseded_by) FROM STDIN"
            ) as copy:
                for decision in range(begin, end):
                    like = _decision(decision, drng, d_level[decision], d_subject[decision],
                                     d_clause[decision], d_status[decision], t0, step,
                                     advertiser_of, label_of, policy_hash)  # fmt: skip
                    batch.append(like)
                    automatic = like.automated_decision
                    copy.write_row((
                        like.id, like.starts_at, like.starts_at, like.level.value, like.subject_id,
                        like.subject_label, like.advertiser_id, like.outcome.value, like.clause_id,
                        policy_version_id, like.policy_hash, _dumps(like.facts),
                        like.facts_summary, _dumps(like.evidence), None if automatic else reviewer_id,
                        "adwarden (automatic)" if automatic else reviewer_label,
                        like.automated_detection, automatic, like.starts_at, like.ends_at,
                        _dumps(like.territorial_scope), "{}", None, like.status.value,
                        like.status_reason, None,
                    ))  # fmt: skip
                    if like.status is DecisionStatus.reversed:
                        reversed_count += 1
                    elif like.status is DecisionStatus.superseded:
                        lifted_count += 1
                    if not automatic or like.status is DecisionStatus.reversed:
                        appealable.append((like.id, like.advertiser_id, like.clause_id,
                                           like.starts_at, d_status[decision]))  # fmt: skip
            connection.commit()
            items = [
                Item(STATEMENT, like.id, leaf_data(STATEMENT, like.id,
                                                   decision_record(like, policy_number)))  # type: ignore[arg-type]
                for like in batch
            ]  # fmt: skip
            for like in batch:  # the status changes came later: after the batch's statements
                kind = STATUS_KINDS.get(like.status)
                if kind is not None:
                    items.append(Item(kind, like.id, leaf_data(kind, like.id, status_record(like))))  # type: ignore[arg-type]
            logged_at = batch[-1].starts_at + timedelta(seconds=1)
            session: Session
            with session_factory() as session:
                head = append(session, items, logged_at)
            log_size = head.tree_size
            progress(f"  decisions {end - 1:,} of {DECISIONS:,}; log size {log_size:,}")
        clock.lap("decisions and log")

        # --- appeals: on manual decisions and on some of the reversed ones -------------------
        arng = random.Random(seed + 3)
        reversed_ones = [item for item in appealable if item[4] == 1]
        others = [item for item in appealable if item[4] == 0]
        chosen = arng.sample(reversed_ones, min(len(reversed_ones), APPEALS // 2))
        chosen += arng.sample(others, min(len(others), APPEALS - len(chosen)))
        chosen.sort()
        appellants = sorted({advertiser for _, advertiser, _, _, _ in chosen})
        password = hash_password("bench appellant password")
        user_of: dict[int, int] = {}
        first_user = int(cursor.execute("SELECT coalesce(max(id), 0) + 1 FROM users").fetchone()[0])  # type: ignore[index]
        with cursor.copy(
            "COPY users (id, email, name, role, advertiser_id, password_hash, created_at,"
            " updated_at) FROM STDIN"
        ) as copy:
            for offset, advertiser in enumerate(appellants):
                user_of[advertiser] = first_user + offset
                copy.write_row((first_user + offset, f"owner{advertiser}@advertiser.example",
                                f"Owner of {names[advertiser]}", "advertiser", advertiser,
                                password, t0, t0))  # fmt: skip
        with cursor.copy(
            "COPY appeals (decision_id, advertiser_id, filed_by, filed_at, arguments, clause_id,"
            " due_at, status, assigned_to, assigned_at, outcome, answer, points, decided_by,"
            " decided_by_label, decided_at, created_at, updated_at) FROM STDIN"
        ) as copy:
            for decision, advertiser, clause, at, status in chosen:
                filed = min(NOW - timedelta(days=1), at + timedelta(days=arng.randint(1, 20)))
                arguments = ["The match is wrong: we are a different company.",
                             "We have never sold the products named."][: arng.randint(1, 2)]  # fmt: skip
                decided = status == 1 or arng.random() < 0.7
                outcome = "reversed" if status == 1 else "upheld" if decided else None
                answer = (
                    ("We checked again and the match was wrong; the decision is reversed."
                     if status == 1 else "The evidence stands; the decision is upheld.")
                    if decided else None
                )  # fmt: skip
                points = ([{"argument": a, "addressed": "Looked into and answered above."}
                           for a in arguments] if decided else None)  # fmt: skip
                decided_at = filed + timedelta(days=arng.randint(1, 6)) if decided else None
                copy.write_row((decision, advertiser, user_of[advertiser], filed,
                                _dumps(arguments), clause, filed + timedelta(days=7),
                                "decided" if decided else "open", reviewer_id, filed,
                                outcome, answer, None if points is None else _dumps(points),
                                reviewer_id if decided else None,
                                reviewer_label if decided else None, decided_at, filed, filed))  # fmt: skip
        connection.commit()
        clock.lap("appeals")

        # --- indexes back, sequences on, statistics --------------------------------------------
        cursor.execute("SET maintenance_work_mem = '1GB'")
        for definition in rebuild:
            cursor.execute(definition)
        for table in ("advertisers", "advertiser_names", "accounts", "campaigns",
                      "promoted_posts", "decisions", "appeals", "users"):  # fmt: skip
            cursor.execute(
                f"SELECT setval(pg_get_serial_sequence('{table}', 'id'),"
                f" (SELECT max(id) FROM {table}))"
            )
        connection.commit()
        clock.lap("indexes")
        connection.autocommit = True
        cursor.execute("VACUUM (ANALYZE)")
        clock.lap("vacuum analyze")

    return Generated(
        advertisers=ADVERTISERS,
        accounts=accounts,
        campaigns=campaigns,
        posts=POSTS,
        decisions=DECISIONS,
        appeals=len(chosen),
        log_size=log_size,
        names=names,
        cyrillic=cyrillic,
        greek=greek,
        vocabulary=vocab,
        reversed_decisions=reversed_count,
        lifted_decisions=lifted_count,
        seconds=clock.seconds,
    )


def _decision(
    decision: int,
    rng: random.Random,
    level_index: int,
    subject: int,
    clause: str,
    status_code: int,
    t0: datetime,
    step: float,
    advertiser_of: Callable[[SubjectLevel, int], int],
    label_of: Callable[[SubjectLevel, int], str],
    policy_hash: str,
) -> DecisionLike:
    level = LEVELS[level_index]
    advertiser = advertiser_of(level, subject)
    starts = t0 + timedelta(seconds=step * decision + rng.random() * step * 0.9)
    label = label_of(level, subject)
    title = CLAUSE_TITLES[clause]
    facts: dict[str, Any]
    evidence: list[dict[str, Any]]
    if clause == "5.1":
        phrase = rng.choice(CRYPTO_PHRASES)
        start = rng.randint(0, 60)
        facts = {"categories": ["crypto_offering"]}
        evidence = [{"category": "crypto_offering", "rule": f"keyword: {phrase}",
                     "matched": phrase, "start": start, "end": start + len(phrase),
                     "description": f"“{phrase}” at characters {start} to {start + len(phrase)}"}]  # fmt: skip
        because = "categories is “crypto_offering”"
        extra = f" Evidence: “{phrase}” in the post's text."
    elif level is SubjectLevel.advertiser or clause != "6.1":
        slug, kind = LIST_OF[clause]
        entry = f"{kind[:3].upper()}-{rng.randint(1000, 99999)}"
        person = clause == "6.1" and rng.random() < 0.1
        subject_name = f"{_word(rng).capitalize()} {_word(rng).capitalize()}" if person else label
        facts = {"hits": {kind: [entry]}}
        evidence = [{"hit_id": rng.randint(1, 10**6), "list": slug, "list_kind": kind,
                     "list_version": f"2026-{rng.randint(1, 11):02d}-01", "entry_id": entry,
                     "entry_name": subject_name, "subject_type": "person" if person else "advertiser",
                     "subject_name": subject_name, "score": round(0.8 + rng.random() * 0.2, 3),
                     "status": "confirmed", "explanation": "name tokens match after folding",
                     "programs": [kind.upper()], "listed_on": None, "source_url": None,
                     "notes": None}]  # fmt: skip
        because = f"hits.{kind} is “{entry}”"
        extra = f" Evidence: {slug} entry {entry} matched (hit confirmed)."
    else:
        facts = {"review": "a scrutiny-list hit on the owner", "owner_id": advertiser}
        evidence = [{"description": f"the owner, advertiser {advertiser}, is under review"}]
        because = f"owner_id is {advertiser}"
        extra = ""
    summary = f"{label}: clause {clause} ({title}) applies because {because}.{extra}"
    status = (DecisionStatus.active, DecisionStatus.reversed, DecisionStatus.superseded)[
        status_code
    ]
    reason = (None, "reversed on appeal: the match was found to be wrong",
              "lifted: the subject left the list")[status_code]  # fmt: skip
    automatic = clause in AUTOMATIC
    return DecisionLike(
        id=decision,
        level=level,
        subject_id=subject,
        subject_label=label[:300],
        advertiser_id=advertiser,
        outcome=OUTCOMES[clause],
        clause_id=clause,
        policy_hash=policy_hash,
        facts=facts,
        facts_summary=summary,
        evidence=evidence,
        automated_detection=automatic or rng.random() < 0.5,
        automated_decision=automatic,
        starts_at=starts,
        ends_at=None,
        territorial_scope=["WORLD"] if rng.random() < 0.9 else rng.sample(COUNTRIES[:17], 2),
        status=status,
        status_reason=reason,
    )
