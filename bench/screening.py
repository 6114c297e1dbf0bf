"""Screening benchmark: our matcher against OpenSanctions' logic-v2 and a plain WRatio.

    make bench-screening
    .venv/bin/python bench/screening.py [--quick] [--serial] [--matchers ours,peer,baseline]

Reads shared/data in place (shared/data/SOURCES.md describes the data, the
protocols and the peer's reference figures). Progress goes to stderr; one table
and a last `RESULT key=value ...` line holding every figure of the table go to
stdout.

Two phases. First the quality figures, untimed: the peer's (slow, about 16
names a second) in two forked workers, overlapping ours and the baseline's
here. Then every timing, one at a time: name pairs here, the CLI import as a
subprocess, and list screening in a fresh process per matcher, so no timing
benefits from caches warmed by the quality phase.
"""

from __future__ import annotations

import argparse
import itertools
import json
import math
import multiprocessing
import os
import statistics
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass, field
from multiprocessing.pool import AsyncResult
from pathlib import Path

from screening_inputs import (
    LISTS,
    ListRecord,
    Pair,
    QueryRecord,
    read_alias_queries,
    read_cross_script,
    read_lists,
    read_pairs,
    read_people,
    read_sdn_primary_only,
    speed_queries,
)
from screening_matchers import (
    BASELINE_THRESHOLD,
    PEER_ALIAS_CANDIDATES,
    PEER_CANDIDATES,
    PEER_THRESHOLD,
    Baseline,
    Ours,
    PairScorer,
    PeerPipeline,
    Screener,
    baseline_pair_scorer,
    clear_ours_caches,
    ours_pair_scorer,
    ours_threshold,
    peer_pair_scorer,
)

ROOT = Path(__file__).resolve().parents[1]
MATCHERS = ("ours", "peer", "baseline")
ALIAS_ROWS = 1500  # SOURCES.md's peer figures use the first 1,500 alias queries
CROSS_SCRIPT_SCHEMA = "Person"  # every pair in cross_script_pairs.csv is a person's name


@dataclass(frozen=True)
class Plan:
    quick: bool
    alias_rows: int = ALIAS_ROWS
    people_rows: int | None = None  # per positives/negatives file; None = all
    alias_all_rows: int | None = None
    speed_names: int = 100_000
    peer_speed_names: int = 300
    baseline_speed_names: int = 2_000
    pair_passes: int = 5
    build_runs: int = 3
    import_runs: int = 3

    @classmethod
    def make(cls, quick: bool) -> Plan:
        if not quick:
            return cls(quick=False)
        return cls(
            quick=True,
            alias_rows=150,
            people_rows=60,
            alias_all_rows=600,
            speed_names=5_000,
            peer_speed_names=30,
            baseline_speed_names=200,
            pair_passes=2,
            build_runs=1,
            import_runs=1,
        )


# ---------------------------------------------------------------- progress


def say(message: str) -> None:
    print(message, file=sys.stderr, flush=True)


class Progress:
    """A line on stderr every `every` seconds and at the end: count, rate, time left."""

    def __init__(self, label: str, total: int, every: float = 15.0) -> None:
        self.label = label
        self.total = total
        self.every = every
        self.done = 0
        self.start = time.perf_counter()
        self.last = self.start

    def step(self, count: int = 1) -> None:
        self.done += count
        now = time.perf_counter()
        if now - self.last >= self.every:
            self.last = now
            rate = self.done / (now - self.start)
            left = (self.total - self.done) / rate if rate else float("nan")
            say(f"  {self.label}: {self.done}/{self.total} ({rate:.1f}/s, ~{left:.0f}s left)")

    def finish(self) -> None:
        seconds = time.perf_counter() - self.start
        say(f"  {self.label}: {self.done} in {seconds:.1f}s")


def tracked(label: str, items: Sequence[QueryRecord]) -> Iterable[QueryRecord]:
    progress = Progress(label, len(items))
    for item in items:
        yield item
        progress.step()
    progress.finish()


# ---------------------------------------------------------------- inputs


@dataclass
class Inputs:
    pairs: list[Pair]
    cross_script: list[tuple[str, str]]
    alias: list[QueryRecord]  # all rows (or the quick subset)
    people: dict[str, list[QueryRecord]]  # file stem -> records
    lists: dict[str, list[ListRecord]]  # list id -> records
    sdn_primary: list[ListRecord]  # sdn.csv alone
    speed: list[QueryRecord] = field(default_factory=list)

    def candidates(self, *list_ids: str) -> list[ListRecord]:
        return [record for list_id in list_ids for record in self.lists[list_id]]

    @property
    def every_list(self) -> list[ListRecord]:
        return [record for records in self.lists.values() for record in records]


POSITIVES = ("positives_un_untreated", "positives_un_treated")
NEGATIVES = ("negatives_us_1k", "negatives_global_1k")
POSITIVE_LISTS = ("ofac-sdn", "un")
NEGATIVE_LISTS = ("ofac-sdn", "un", "ofac-consolidated")


def load_inputs(plan: Plan) -> Inputs:
    say("reading shared/data ...")
    people = {
        stem: read_people(stem + ".csv")[: plan.people_rows] for stem in (*POSITIVES, *NEGATIVES)
    }
    alias = read_alias_queries()[: plan.alias_all_rows]
    inputs = Inputs(
        pairs=read_pairs(),
        cross_script=read_cross_script(),
        alias=alias,
        people=people,
        lists=read_lists(),
        sdn_primary=read_sdn_primary_only(),
    )
    inputs.speed = speed_queries(list(people.values()), alias)
    sizes = ", ".join(f"{key} {len(records)}" for key, records in inputs.lists.items())
    say(f"  lists: {sizes}; alias queries {len(alias)}; speed pool {len(inputs.speed)} names")
    return inputs


# ---------------------------------------------------------------- list screening quality


Figures = dict[str, float]  # figure key -> value, for one matcher


@dataclass(frozen=True)
class Task:
    """One list-screening figure: a share of queries judged a hit."""

    key: str
    pool: str  # which candidate set: sdn_primary, positives or negatives
    kind: str  # alias: the expected entry comes first; un: any UN match; any: any match
    queries: list[QueryRecord]


def make_tasks(inputs: Inputs, plan: Plan) -> list[Task]:
    people = inputs.people
    return [
        Task("alias_r1_1500", "sdn_primary", "alias", inputs.alias[: plan.alias_rows]),
        Task("un_untreated_recall", "positives", "un", people["positives_un_untreated"]),
        Task("un_treated_recall", "positives", "un", people["positives_un_treated"]),
        Task("neg_us_fpr", "negatives", "any", people["negatives_us_1k"]),
        Task("neg_global_fpr", "negatives", "any", people["negatives_global_1k"]),
    ]


def pool_records(inputs: Inputs, pool: str) -> list[ListRecord]:
    if pool == "sdn_primary":
        return inputs.sdn_primary
    return inputs.candidates(*(POSITIVE_LISTS if pool == "positives" else NEGATIVE_LISTS))


def judge(screener: Screener, kind: str, query: QueryRecord) -> bool:
    found = screener.screen(query)
    if kind == "alias":
        return bool(found) and found[0].entry_id == query.expect
    if kind == "un":
        return any(hit.list_id == "un" for hit in found)
    return bool(found)


def shares(tasks: Sequence[Task], verdicts: Sequence[Sequence[bool]]) -> Figures:
    figures = {
        task.key: sum(found) / len(found) for task, found in zip(tasks, verdicts, strict=True)
    }
    negatives = [found for task, found in zip(tasks, verdicts, strict=True) if task.kind == "any"]
    figures["neg_all_fpr"] = sum(sum(found) for found in negatives) / sum(map(len, negatives))
    return figures


def list_quality(label: str, make: Callable[[str], Screener], tasks: Sequence[Task]) -> Figures:
    screeners: dict[str, Screener] = {}
    verdicts = []
    for task in tasks:
        if task.pool not in screeners:
            screeners[task.pool] = make(task.pool)
        screener = screeners[task.pool]
        verdicts.append(
            [
                judge(screener, task.kind, query)
                for query in tracked(f"{label} {task.key}", task.queries)
            ]
        )
    return shares(tasks, verdicts)


# The peer's quality runs in forked workers, in chunks; they inherit this.
_SHARED: tuple[Inputs, list[Task]] | None = None
_PEER_POOLS: dict[str, PeerPipeline] = {}
PEER_CHUNK = 50


def make_peer(inputs: Inputs, pool: str) -> PeerPipeline:
    top = PEER_ALIAS_CANDIDATES if pool == "sdn_primary" else PEER_CANDIDATES
    return PeerPipeline(pool_records(inputs, pool), candidates=top)


def _peer_chunk(task_number: int, start: int, stop: int) -> list[bool]:
    assert _SHARED is not None
    inputs, tasks = _SHARED
    task = tasks[task_number]
    if task.pool not in _PEER_POOLS:
        _PEER_POOLS[task.pool] = make_peer(inputs, task.pool)
    screener = _PEER_POOLS[task.pool]
    return [judge(screener, task.kind, query) for query in task.queries[start:stop]]


def pair_quality(scores: Sequence[float], pairs: Sequence[Pair], threshold: float) -> Figures:
    tp = sum(
        score >= threshold and pair.is_match for score, pair in zip(scores, pairs, strict=True)
    )
    fp = sum(
        score >= threshold and not pair.is_match for score, pair in zip(scores, pairs, strict=True)
    )
    fn = sum(score < threshold and pair.is_match for score, pair in zip(scores, pairs, strict=True))
    precision = tp / (tp + fp) if tp + fp else float("nan")
    recall = tp / (tp + fn) if tp + fn else float("nan")
    f1 = 2 * precision * recall / (precision + recall) if precision + recall else float("nan")
    return {"pairs_precision": precision, "pairs_recall": recall, "pairs_f1": f1}


def cross_script(scorer: PairScorer, pairs: Sequence[tuple[str, str]], threshold: float) -> Figures:
    scores = [scorer(query, expected, CROSS_SCRIPT_SCHEMA) for query, expected in pairs]
    return {
        "xscript_pass_share": sum(score >= threshold for score in scores) / len(scores),
        "xscript_mean_score": statistics.fmean(scores),
    }


def timed_pairs(
    scorer: PairScorer, pairs: Sequence[Pair], before: Callable[[], None] | None = None
) -> tuple[list[float], float]:
    """Scores of one pass, and its microseconds per pair."""
    if before is not None:
        before()
    start = time.perf_counter()
    scores = [scorer(pair.name1, pair.name2, pair.schema) for pair in pairs]
    return scores, (time.perf_counter() - start) / len(pairs) * 1e6


# ---------------------------------------------------------------- phase 1: quality


def ours_quality(inputs: Inputs, tasks: Sequence[Task]) -> Figures:
    say("[ours] building matchers ...")
    sdn = Ours(inputs.sdn_primary)
    figures = list_quality(
        "[ours]",
        lambda pool: sdn if pool == "sdn_primary" else Ours(pool_records(inputs, pool)),
        tasks,
    )
    verdicts = [judge(sdn, "alias", query) for query in tracked("[ours] alias all", inputs.alias)]
    figures["alias_r1_all"] = sum(verdicts) / len(verdicts)
    figures.update(cross_script(ours_pair_scorer(), inputs.cross_script, ours_threshold()))
    figures["alias_r1_1500_best"] = top_share(sdn, inputs.alias[:ALIAS_ROWS])
    return figures


def top_share(screener: Ours | Baseline, alias: Sequence[QueryRecord]) -> float:
    """Share of alias queries whose expected entry ranks first, at any score."""
    top = [screener.top(query) for query in alias]
    return sum(
        hit is not None and hit.entry_id == query.expect
        for hit, query in zip(top, alias, strict=True)
    ) / len(alias)


def baseline_quality(inputs: Inputs, tasks: Sequence[Task], plan: Plan) -> Figures:
    sdn = Baseline(inputs.sdn_primary)
    figures = list_quality(
        "[baseline]",
        lambda pool: sdn if pool == "sdn_primary" else Baseline(pool_records(inputs, pool)),
        tasks,
    )
    verdicts = [
        judge(sdn, "alias", query) for query in tracked("[baseline] alias all", inputs.alias)
    ]
    figures["alias_r1_all"] = sum(verdicts) / len(verdicts)
    figures.update(
        cross_script(baseline_pair_scorer(), inputs.cross_script, BASELINE_THRESHOLD / 100)
    )
    # SOURCES' WRatio reference: the expected entry as the top name at any score
    figures["alias_r1_1500_best"] = top_share(sdn, inputs.alias[: plan.alias_rows])
    return figures


# ---------------------------------------------------------------- phase 2: timings


def probe(name: str, plan: Plan) -> Figures:
    """In a fresh process: time to the first answer, rebuild time and names/s over every list."""
    inputs = load_inputs(plan)
    records = inputs.every_list
    make: Callable[[Sequence[ListRecord]], Screener] = {
        "ours": Ours,
        "peer": PeerPipeline,
        "baseline": Baseline,
    }[name]
    pool = inputs.speed
    start = time.perf_counter()
    screener = make(records)
    screener.screen(pool[0])
    figures = {"ready_s": time.perf_counter() - start}
    say(f"[{name}] fresh process: index built and first name screened in {figures['ready_s']:.1f}s")
    runs = plan.build_runs if name == "ours" else 1
    builds = []
    for _ in range(runs):
        clear_ours_caches()
        start = time.perf_counter()
        make(records)
        builds.append(time.perf_counter() - start)
    figures["build_s"] = statistics.median(builds)
    total = {"ours": plan.speed_names, "peer": plan.peer_speed_names}.get(
        name, plan.baseline_speed_names
    )
    say(f"[{name}] screening {total} names, one core ...")
    progress = Progress(f"[{name}] speed", total)
    elapsed = 0.0
    done = 0
    while done < total:
        # each pass over the pool starts with our caches empty: no name meets its own cached work
        clear_ours_caches()
        chunk = pool[: total - done]
        start = time.perf_counter()
        for query in chunk:
            screener.screen(query)
        elapsed += time.perf_counter() - start
        done += len(chunk)
        progress.step(len(chunk))
    progress.finish()
    figures["speed_names_per_s"] = done / elapsed
    if isinstance(screener, Ours):
        figures["batch_names_per_s"] = batch_speed(screener, pool, total)
    return figures


def batch_speed(screener: Ours, pool: Sequence[QueryRecord], total: int) -> float:
    """Names/s through `adwarden screen batch`'s own path: forked workers, one per core,
    all `total` names in one call as the command does it.

    The pool repeats, so the whole-name cache is bypassed: no repeated name reuses
    an earlier answer. Per-word caches stay on, as in real traffic, where words repeat.
    """
    import adwarden.screening.matcher as matcher_module
    from adwarden.domain.enums import EntityType
    from adwarden.screening.batch import BatchRow, screen_batch
    from adwarden.screening.matcher import Query
    from adwarden.screening.normalize import normalize

    rows = [
        BatchRow(str(number), Query(q.name, EntityType(q.entity_type), q.country, q.birth_date))
        for number, q in zip(range(total), itertools.cycle(pool), strict=False)
    ]
    workers = os.cpu_count() or 1
    say(f"[ours] screening {total} names through screen batch, {workers} workers ...")
    clear_ours_caches()
    matcher_module.normalize = normalize.__wrapped__  # type: ignore[attr-defined]
    try:
        start = time.perf_counter()
        done = sum(1 for _ in screen_batch(screener.matcher, rows, workers=workers))
        elapsed = time.perf_counter() - start
    finally:
        matcher_module.normalize = normalize
    return done / elapsed


def run_probe(name: str, plan: Plan) -> Figures:
    command = [sys.executable, str(Path(__file__).resolve()), "--probe", name]
    if plan.quick:
        command.append("--quick")
    done = subprocess.run(command, check=True, stdout=subprocess.PIPE, text=True)
    figures: Figures = json.loads(done.stdout.strip().splitlines()[-1])
    return figures


def import_seconds(runs: int) -> float:
    """The real CLI importing ofac-sdn into a fresh SQLite file, median of `runs`."""
    cli = ROOT / ".venv" / "bin" / "adwarden"
    if not cli.exists():
        cli = Path(sys.executable).with_name("adwarden")
    times = []
    for run in range(runs):
        with tempfile.TemporaryDirectory(prefix="bench-import-") as tmp:
            db = f"sqlite:///{tmp}/x.db"
            steps = [
                [str(cli), "--db", db, "init-db"],
                [
                    str(cli), "--db", db, "lists", "import", str(LISTS / "ofac-sdn"),
                    "--format", "ofac-csv", "--list", "ofac-sdn", "--kind", "sanctions",
                ],
            ]  # fmt: skip
            for step in steps:
                start = time.perf_counter()
                done = subprocess.run(step, capture_output=True, text=True, check=False)
                seconds = time.perf_counter() - start
                if done.returncode != 0:
                    say(f"[ours] `{' '.join(step[3:5])}` failed: {done.stderr.strip()[:500]}")
                    return float("nan")
            times.append(seconds)  # the import's, not init-db's
            say(f"  [ours] import run {run + 1}: {seconds:.2f}s")
    return statistics.median(times)


# ---------------------------------------------------------------- report


@dataclass(frozen=True)
class Row:
    key: str
    label: str
    digits: int
    reference: float | None = None  # the peer's figure in SOURCES.md


ROWS = (
    Row("pairs_precision", "name pairs: precision", 3, 0.743),
    Row("pairs_recall", "name pairs: recall", 3, 0.831),
    Row("pairs_f1", "name pairs: F1", 3, 0.784),
    Row("pairs_us_per_pair", "name pairs: µs per pair (lower is better)", 1, 630),
    Row("alias_r1_1500", "alias queries: recall@1, first 1,500", 3, 0.281),
    Row("alias_r1_1500_best", "  same, top-1 at any score (peer: better of the two)", 3, 0.359),
    Row("alias_r1_all", "alias queries: recall@1, all rows", 3),
    Row("un_untreated_recall", "UN positives untreated: recall", 3, 0.997),
    Row("un_treated_recall", "UN positives treated: recall", 3, 0.979),
    Row("neg_us_fpr", "negatives US: false-positive rate (lower)", 4),
    Row("neg_global_fpr", "negatives global: false-positive rate (lower)", 4),
    Row("neg_all_fpr", "negatives, both files: false-positive rate (lower)", 4, 0.0025),
    Row("xscript_pass_share", "cross-script pairs: share >= own threshold", 3),
    Row("xscript_mean_score", "cross-script pairs: mean score", 3),
    Row("speed_names_per_s", "list screening: names/s, one core", 1, 16),
    Row("batch_names_per_s", "batch screening (screen batch path, both cores): names/s", 1),
    Row("ready_s", "list screening: fresh process to first answer, s (lower)", 2),
    Row("build_s", "list screening: index rebuild, s (lower)", 2),
    Row("import_s", "CLI import of ofac-sdn: s (lower)", 2),
)


def ratio(ours: float | None, peer: float | None) -> float:
    if ours is None or peer is None or math.isnan(ours) or math.isnan(peer) or peer == 0:
        return float("nan")
    return ours / peer


def cell(value: float | None, digits: int) -> str:
    if value is None or math.isnan(value):
        return "-"
    return f"{value:.{digits}f}"


def report(
    results: dict[str, Figures], plan: Plan, notes: list[str], extra: dict[str, float]
) -> None:
    header = (
        f"{'measure':<60}{'ours':>10}{'peer':>10}{'baseline':>10}{'ours/peer':>11}{'peer ref':>10}"
    )
    print(header)
    print("-" * len(header))
    fields: dict[str, float] = {}
    for row in ROWS:
        values = {name: results.get(name, {}).get(row.key) for name in MATCHERS}
        share = ratio(values["ours"], values["peer"])
        line = f"{row.label:<60}"
        line += "".join(f"{cell(values[name], row.digits):>10}" for name in MATCHERS)
        line += f"{cell(share, 2):>11}{cell(row.reference, row.digits):>10}"
        print(line)
        for name in MATCHERS:
            value = values[name]
            fields[f"{row.key}_{name}"] = float("nan") if value is None else value
        fields[f"{row.key}_ratio"] = share
    print()
    for note in notes:
        print(note)
    fields.update(
        {
            "threshold_ours": results.get("ours", {}).get("threshold", float("nan")),
            "threshold_peer": PEER_THRESHOLD,
            "threshold_baseline": BASELINE_THRESHOLD / 100,
            "alias_rows": plan.alias_rows,
            "speed_names_ours": plan.speed_names,
            "speed_names_peer": plan.peer_speed_names,
            "speed_names_baseline": plan.baseline_speed_names,
            "quick": int(plan.quick),
            **extra,
        }
    )
    print("RESULT " + " ".join(f"{key}={format_value(value)}" for key, value in fields.items()))


def format_value(value: float) -> str:
    if isinstance(value, int) or (
        not math.isnan(value) and value == int(value) and abs(value) >= 1
    ):
        return str(int(value))
    return "nan" if math.isnan(value) else f"{value:.6g}"


# ---------------------------------------------------------------- main


def ours_available() -> bool:
    try:
        import adwarden.screening.compare
        import adwarden.screening.matcher
        import adwarden.screening.scoring  # noqa: F401
    except ImportError as error:
        say(f"ours is not importable yet ({error}); its column stays empty")
        return False
    return True


def run(plan: Plan, matchers: set[str], serial: bool) -> None:
    global _SHARED
    began = time.perf_counter()
    load_start = os.getloadavg()[0]
    if "ours" in matchers and not ours_available():
        matchers.discard("ours")
    inputs = load_inputs(plan)
    tasks = make_tasks(inputs, plan)
    results: dict[str, Figures] = {name: {} for name in MATCHERS}

    # phase 1: quality. The peer's share runs in two forked workers, so it overlaps
    # ours and the baseline's here and then uses both cores; nothing is timed.
    say("phase 1: quality")
    workers = None
    pending: list[list[AsyncResult[list[bool]]]] = []
    if "peer" in matchers and not serial:
        _SHARED = (inputs, tasks)
        workers = multiprocessing.get_context("fork").Pool(2)
        for number, task in enumerate(tasks):
            pending.append(
                [
                    workers.apply_async(_peer_chunk, (number, start, start + PEER_CHUNK))
                    for start in range(0, len(task.queries), PEER_CHUNK)
                ]
            )
        workers.close()
    if "ours" in matchers:
        results["ours"].update(ours_quality(inputs, tasks))
        results["ours"]["threshold"] = ours_threshold()
    if "baseline" in matchers:
        results["baseline"].update(baseline_quality(inputs, tasks, plan))
    if "peer" in matchers:
        if workers is not None:
            verdicts = []
            for task, chunks in zip(tasks, pending, strict=True):
                progress = Progress(f"[peer] {task.key}", len(task.queries))
                found: list[bool] = []
                for chunk in chunks:
                    part = chunk.get()
                    found.extend(part)
                    progress.step(len(part))
                progress.finish()
                verdicts.append(found)
            workers.join()
            results["peer"].update(shares(tasks, verdicts))
        else:
            results["peer"].update(
                list_quality("[peer]", lambda pool: make_peer(inputs, pool), tasks)
            )
        if "alias_r1_1500_best" in results["baseline"]:
            results["peer"]["alias_r1_1500_best"] = max(
                results["peer"]["alias_r1_1500"], results["baseline"]["alias_r1_1500_best"]
            )

    # phase 2: timings, one at a time; list screening in fresh processes
    say("phase 2: timings")
    pairs = inputs.pairs
    if "ours" in matchers:
        scorer = ours_pair_scorer()
        passes = [timed_pairs(scorer, pairs, clear_ours_caches) for _ in range(plan.pair_passes)]
        results["ours"].update(pair_quality(passes[0][0], pairs, ours_threshold()))
        results["ours"]["pairs_us_per_pair"] = statistics.median(us for _, us in passes)
        say(f"  [ours] name pairs, µs per pair by pass: {[round(us) for _, us in passes]}")
    if "baseline" in matchers:
        scorer = baseline_pair_scorer()
        passes = [timed_pairs(scorer, pairs) for _ in range(plan.pair_passes)]
        say(f"  [baseline] name pairs, µs per pair by pass: {[round(us, 1) for _, us in passes]}")
        results["baseline"].update(pair_quality(passes[0][0], pairs, BASELINE_THRESHOLD / 100))
        results["baseline"]["pairs_us_per_pair"] = statistics.median(us for _, us in passes)
    if "peer" in matchers:
        scorer = peer_pair_scorer()
        # the cross-script pairs double as the warm-up: logic-v2 loads its name data on first use
        results["peer"].update(cross_script(scorer, inputs.cross_script, PEER_THRESHOLD))
        # every call builds two fresh entities, so no pass reuses logic-v2's per-entity caches
        passes = [timed_pairs(scorer, pairs) for _ in range(plan.pair_passes)]
        results["peer"].update(pair_quality(passes[0][0], pairs, PEER_THRESHOLD))
        results["peer"]["pairs_us_per_pair"] = statistics.median(us for _, us in passes)
        say(f"  [peer] name pairs, µs per pair by pass: {[round(us) for _, us in passes]}")
    if "ours" in matchers:
        results["ours"]["import_s"] = import_seconds(plan.import_runs)
    for name in MATCHERS:
        if name in matchers:
            results[name].update(run_probe(name, plan))

    every = len(inputs.every_list)
    minutes = (time.perf_counter() - began) / 60
    notes = [
        f"Thresholds: ours {cell(results['ours'].get('threshold'), 2)} (adwarden DEFAULT_THRESHOLD), "
        f"peer logic-v2 {PEER_THRESHOLD} (yente's default), baseline WRatio "
        f"{BASELINE_THRESHOLD:.0f}/100 on ASCII-folded, lower-cased names; scores in [0, 1].",
        f"Peer pipeline: rapidfuzz WRatio top-{PEER_CANDIDATES} names (top-{PEER_ALIAS_CANDIDATES} "
        "for alias queries), their entries re-ranked by nomenklatura 4.17.4 LogicV2.compare with "
        "its default config; list entities carry every name, country and date of birth our "
        "readers give; queries are Person (or LegalEntity for organisations).",
        "Alias queries: sdn.csv alone (no alt.csv); a hit is the expected ent_num as the first "
        f"match at or above the matcher's threshold; first {plan.alias_rows} rows, and ours and "
        f"the baseline on {len(inputs.alias)}. The '-best' row's peer is the better of logic-v2 "
        "and WRatio's top name at any score (SOURCES' 'peer'); its baseline is the latter.",
        "UN positives: candidates ofac-sdn + un, a hit is any UN entry at or above threshold; "
        "queries carry date_of_birth and nationality (ISO2) for ours and the peer.",
        "Negatives: candidates ofac-sdn + un + ofac-consolidated for all three matchers "
        "(SOURCES' peer reference used ofac-sdn + un).",
        f"Name pairs: median of {plan.pair_passes} passes each, in a warmed-up process; ours "
        "with its caches emptied before each pass, the peer on two fresh entities per pair "
        "(rigour's own caches, shared by both, stay warm after the first pass). Cross-script "
        "pairs scored as persons.",
        f"Speed: one core, every list our readers take ({every} entries), in a fresh process "
        f"each: ours on {plan.speed_names} names cycling over the eval query names (caches "
        f"emptied at each cycle), peer on the first {plan.peer_speed_names}, baseline (every "
        f"name >= 90) on the first {plan.baseline_speed_names}. Ready: index build + first "
        f"answer in that fresh process; build: ours median of {plan.build_runs} rebuilds with "
        "caches emptied; peer: FtM entities + folded names; baseline: folded names. "
        f"Batch: the same {plan.speed_names} names in one call of the `screen batch` path "
        "(forked workers, one per core), whole-name cache bypassed, per-word caches on; the "
        "peer has no batch path and is not run on two cores.",
        "Import: `adwarden lists import` of lists/ofac-sdn into a fresh SQLite file, median of "
        f"{plan.import_runs} runs. 'peer ref' = the peer's figure in shared/data/SOURCES.md.",
        f"Run: {'QUICK (subsampled) ' if plan.quick else ''}{minutes:.1f} min, "
        f"{os.cpu_count()} CPUs, load average {load_start:.2f} at the start and "
        f"{os.getloadavg()[0]:.2f} at the end (other work on the machine skews the timings).",
    ]
    extra = {
        "alias_rows_all": len(inputs.alias),
        "speed_entries": every,
        "pair_passes": plan.pair_passes,
        "build_runs": plan.build_runs,
        "import_runs": plan.import_runs,
        "loadavg_start": load_start,
        "loadavg_end": os.getloadavg()[0],
        "run_min": minutes,
    }
    report(results, plan, notes, extra)


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--quick", action="store_true", help="subsample every set, for development")
    parser.add_argument(
        "--serial", action="store_true", help="run the peer's quality figures in this process"
    )
    parser.add_argument(
        "--matchers",
        default=",".join(MATCHERS),
        help="comma-separated subset of ours,peer,baseline (default: all three)",
    )
    parser.add_argument("--probe", choices=MATCHERS, help=argparse.SUPPRESS)
    args = parser.parse_args(argv)
    if args.probe:
        print(json.dumps(probe(args.probe, Plan.make(args.quick))))
        return 0
    matchers = {name.strip() for name in args.matchers.split(",") if name.strip()}
    unknown = matchers - set(MATCHERS)
    if unknown:
        parser.error(f"unknown matchers: {', '.join(sorted(unknown))}")
    run(Plan.make(args.quick), matchers, args.serial)
    return 0


if __name__ == "__main__":
    sys.exit(main())
