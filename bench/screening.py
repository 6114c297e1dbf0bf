"""Screening benchmark: our matcher against OpenSanctions' logic-v2 and a plain WRatio.

    .venv/bin/python bench/screening.py [--quick] [--serial] [--matchers ours,peer,baseline]

Reads shared/data in place (see shared/data/SOURCES.md for the data and the
protocols). Progress goes to stderr; one table and a last `RESULT k=v ...` line
holding every figure of the table go to stdout.

The run has two phases. First the quality figures: the peer's (slow, about
16 names a second) in a forked worker process while ours and the baseline's run
here, one core each. Then every timing, one at a time with nothing else of ours
running.
"""

from __future__ import annotations

import argparse
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
from pathlib import Path

from screening_inputs import (
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


# ---------------------------------------------------------------- measures


Figures = dict[str, float]  # figure key -> value, for one matcher


def alias_recall(screener: Screener, queries: Sequence[QueryRecord], label: str) -> float:
    """Share of queries whose first match (at or above the threshold) is the expected entry."""
    hits = 0
    for query in tracked(label, queries):
        found = screener.screen(query)
        hits += bool(found) and found[0].entry_id == query.expect
    return hits / len(queries)


def any_match_share(
    screener: Screener, queries: Sequence[QueryRecord], label: str, list_id: str | None = None
) -> float:
    """Share of queries with any match (on `list_id` if given) at or above the threshold."""
    hits = 0
    for query in tracked(label, queries):
        found = screener.screen(query)
        hits += any(list_id is None or hit.list_id == list_id for hit in found)
    return hits / len(queries)


def list_quality(name: str, screeners: dict[str, Screener], inputs: Inputs, plan: Plan) -> Figures:
    """Alias recall@1, UN recall and false-positive rates for one matcher."""
    figures: Figures = {}
    alias = inputs.alias[: plan.alias_rows]
    figures["alias_r1_1500"] = alias_recall(screeners["sdn_primary"], alias, f"{name} alias")
    for stem in POSITIVES:
        key = "un_untreated_recall" if stem.endswith("untreated") else "un_treated_recall"
        figures[key] = any_match_share(
            screeners["positives"], inputs.people[stem], f"{name} {stem}", "un"
        )
    shares = []
    for stem in NEGATIVES:
        key = "neg_us_fpr" if "_us_" in stem else "neg_global_fpr"
        figures[key] = any_match_share(
            screeners["negatives"], inputs.people[stem], f"{name} {stem}"
        )
        shares.append((figures[key], len(inputs.people[stem])))
    figures["neg_all_fpr"] = sum(share * count for share, count in shares) / sum(
        count for _, count in shares
    )
    return figures


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


def peer_quality(inputs: Inputs, plan: Plan) -> Figures:
    """The peer pipeline's list figures; runs in a worker process in a parallel run."""
    say("[peer] building the WRatio candidate pools and logic-v2 entities ...")
    screeners: dict[str, Screener] = {
        "sdn_primary": PeerPipeline(inputs.sdn_primary, candidates=PEER_ALIAS_CANDIDATES),
        "positives": PeerPipeline(inputs.candidates(*POSITIVE_LISTS)),
        "negatives": PeerPipeline(inputs.candidates(*NEGATIVE_LISTS)),
    }
    return list_quality("[peer]", screeners, inputs, plan)


def ours_quality(inputs: Inputs, plan: Plan) -> Figures:
    say("[ours] building matchers ...")
    screeners: dict[str, Screener] = {
        "sdn_primary": Ours(inputs.sdn_primary),
        "positives": Ours(inputs.candidates(*POSITIVE_LISTS)),
        "negatives": Ours(inputs.candidates(*NEGATIVE_LISTS)),
    }
    figures = list_quality("[ours]", screeners, inputs, plan)
    figures["alias_r1_all"] = alias_recall(
        screeners["sdn_primary"], inputs.alias, "[ours] alias all"
    )
    figures.update(cross_script(ours_pair_scorer(), inputs.cross_script, ours_threshold()))
    return figures


def baseline_quality(inputs: Inputs, plan: Plan) -> tuple[Figures, float]:
    """The baseline's figures, and its top-1-at-any-score alias recall (SOURCES' reference)."""
    say("[baseline] folding list names ...")
    screeners: dict[str, Screener] = {
        "sdn_primary": Baseline(inputs.sdn_primary),
        "positives": Baseline(inputs.candidates(*POSITIVE_LISTS)),
        "negatives": Baseline(inputs.candidates(*NEGATIVE_LISTS)),
    }
    figures = list_quality("[baseline]", screeners, inputs, plan)
    figures["alias_r1_all"] = alias_recall(
        screeners["sdn_primary"], inputs.alias, "[baseline] alias all"
    )
    figures.update(
        cross_script(baseline_pair_scorer(), inputs.cross_script, BASELINE_THRESHOLD / 100)
    )
    sdn = screeners["sdn_primary"]
    assert isinstance(sdn, Baseline)
    alias = inputs.alias[: plan.alias_rows]
    top = [sdn.top(query) for query in alias]
    any_score = sum(
        hit is not None and hit.entry_id == query.expect
        for hit, query in zip(top, alias, strict=True)
    ) / len(alias)
    return figures, any_score


# ---------------------------------------------------------------- phase 2: timings


def median_seconds(runs: int, action: Callable[[], object], before: Callable[[], None]) -> float:
    times = []
    for _ in range(runs):
        before()
        start = time.perf_counter()
        action()
        times.append(time.perf_counter() - start)
    return statistics.median(times)


def ours_speed(inputs: Inputs, plan: Plan) -> Figures:
    records = inputs.every_list
    say(f"[ours] timing the matcher build over every list ({len(records)} entries) ...")
    build = median_seconds(plan.build_runs, lambda: Ours(records), clear_ours_caches)
    clear_ours_caches()
    ours = Ours(records)
    pool = inputs.speed
    say(f"[ours] screening {plan.speed_names} names, one core ...")
    progress = Progress("[ours] speed", plan.speed_names)
    elapsed = 0.0
    done = 0
    while done < plan.speed_names:
        # each pass over the pool starts with empty caches: no name meets its own cached work
        clear_ours_caches()
        chunk = pool[: plan.speed_names - done]
        start = time.perf_counter()
        for query in chunk:
            ours.screen(query)
        elapsed += time.perf_counter() - start
        done += len(chunk)
        progress.step(len(chunk))
    progress.finish()
    return {"build_s": build, "speed_names_per_s": done / elapsed}


def sample_speed(screener: Screener, queries: Sequence[QueryRecord], label: str) -> float:
    start = time.perf_counter()
    for query in tracked(label, queries):
        screener.screen(query)
    return len(queries) / (time.perf_counter() - start)


def import_seconds(runs: int) -> float:
    """The real CLI importing ofac-sdn into a fresh SQLite file, median of `runs`."""
    cli = ROOT / ".venv" / "bin" / "adwarden"
    if not cli.exists():
        cli = Path(sys.executable).with_name("adwarden")
    folder = ROOT.parent / "shared" / "data" / "lists" / "ofac-sdn"
    times = []
    for run in range(runs):
        with tempfile.TemporaryDirectory(prefix="bench-import-") as tmp:
            db = f"sqlite:///{tmp}/x.db"
            subprocess.run([cli, "--db", db, "init-db"], check=True, capture_output=True)  # noqa: S603
            command = [
                cli, "--db", db, "lists", "import", str(folder),
                "--format", "ofac-csv", "--list", "ofac-sdn", "--kind", "sanctions",
            ]  # fmt: skip
            start = time.perf_counter()
            done = subprocess.run(command, capture_output=True, text=True, check=False)  # noqa: S603
            seconds = time.perf_counter() - start
            if done.returncode != 0:
                say(f"[ours] import failed ({done.returncode}): {done.stderr.strip()[:500]}")
                return float("nan")
            times.append(seconds)
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
    Row(
        "alias_r1_1500_best", "  same, peer = better of logic-v2 / WRatio top-1 any score", 3, 0.359
    ),
    Row("alias_r1_all", "alias queries: recall@1, all rows", 3),
    Row("un_untreated_recall", "UN positives untreated: recall", 3, 0.997),
    Row("un_treated_recall", "UN positives treated: recall", 3, 0.979),
    Row("neg_us_fpr", "negatives US: false-positive rate (lower)", 4),
    Row("neg_global_fpr", "negatives global: false-positive rate (lower)", 4),
    Row("neg_all_fpr", "negatives, both files: false-positive rate (lower)", 4, 0.0025),
    Row("xscript_pass_share", "cross-script pairs: share >= own threshold", 3),
    Row("xscript_mean_score", "cross-script pairs: mean score", 3),
    Row("speed_names_per_s", "list screening: names/s, one core", 1, 16),
    Row("build_s", "list screening: index build s, every list (lower)", 2),
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


def report(results: dict[str, Figures], plan: Plan, notes: list[str]) -> None:
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
    began = time.perf_counter()
    if "ours" in matchers and not ours_available():
        matchers.discard("ours")
    inputs = load_inputs(plan)
    results: dict[str, Figures] = {name: {} for name in MATCHERS}

    # phase 1: quality; the peer in a forked worker so it overlaps ours and the baseline
    say("phase 1: quality")
    pending = None
    worker = None
    if "peer" in matchers and not serial:
        worker = multiprocessing.get_context("fork").Pool(1)
        pending = worker.apply_async(peer_quality, (inputs, plan))
    baseline_any = float("nan")
    if "ours" in matchers:
        results["ours"].update(ours_quality(inputs, plan))
        results["ours"]["threshold"] = ours_threshold()
    if "baseline" in matchers:
        figures, baseline_any = baseline_quality(inputs, plan)
        results["baseline"].update(figures)
    if "peer" in matchers:
        if pending is not None and worker is not None:
            say("waiting for the peer's worker ...")
            results["peer"].update(pending.get())
            worker.close()
            worker.join()
        else:
            results["peer"].update(peer_quality(inputs, plan))
    peer_alias = results["peer"].get("alias_r1_1500", float("nan"))
    results["baseline"]["alias_r1_1500_best"] = baseline_any
    results["peer"]["alias_r1_1500_best"] = max(peer_alias, baseline_any)
    if "ours" in results and "alias_r1_1500" in results["ours"]:
        results["ours"]["alias_r1_1500_best"] = results["ours"]["alias_r1_1500"]

    # phase 2: timings, one at a time
    say("phase 2: timings")
    pairs = inputs.pairs
    if "ours" in matchers:
        scorer = ours_pair_scorer()
        passes = [timed_pairs(scorer, pairs, clear_ours_caches) for _ in range(plan.pair_passes)]
        results["ours"].update(pair_quality(passes[0][0], pairs, ours_threshold()))
        results["ours"]["pairs_us_per_pair"] = statistics.median(us for _, us in passes)
        say(f"  [ours] pairs: {[round(us) for _, us in passes]} µs per pair")
    if "baseline" in matchers:
        scorer = baseline_pair_scorer()
        passes = [timed_pairs(scorer, pairs) for _ in range(plan.pair_passes)]
        results["baseline"].update(pair_quality(passes[0][0], pairs, BASELINE_THRESHOLD / 100))
        results["baseline"]["pairs_us_per_pair"] = statistics.median(us for _, us in passes)
    if "peer" in matchers:
        scorer = peer_pair_scorer()
        # the cross-script pairs double as the warm-up: logic-v2 loads its name data on first use
        results["peer"].update(cross_script(scorer, inputs.cross_script, PEER_THRESHOLD))
        scores, us = timed_pairs(scorer, pairs)
        results["peer"].update(pair_quality(scores, pairs, PEER_THRESHOLD))
        results["peer"]["pairs_us_per_pair"] = us
        say(f"  [peer] pairs: {us:.0f} µs per pair, one pass, fresh entities")
    if "ours" in matchers:
        results["ours"].update(ours_speed(inputs, plan))
        results["ours"]["import_s"] = import_seconds(plan.import_runs)
    every = inputs.every_list
    if "baseline" in matchers:
        start = time.perf_counter()
        baseline = Baseline(every)
        results["baseline"]["build_s"] = time.perf_counter() - start
        sample = inputs.speed[: plan.baseline_speed_names]
        results["baseline"]["speed_names_per_s"] = sample_speed(
            baseline, sample, "[baseline] speed"
        )
    if "peer" in matchers:
        start = time.perf_counter()
        peer = PeerPipeline(every)
        results["peer"]["build_s"] = time.perf_counter() - start
        sample = inputs.speed[: plan.peer_speed_names]
        results["peer"]["speed_names_per_s"] = sample_speed(peer, sample, "[peer] speed")

    minutes = (time.perf_counter() - began) / 60
    notes = [
        f"Thresholds: ours {cell(results['ours'].get('threshold'), 2)} (adwarden DEFAULT_THRESHOLD), "
        f"peer logic-v2 {PEER_THRESHOLD} (yente's default), baseline WRatio "
        f"{BASELINE_THRESHOLD:.0f}/100 on ASCII-folded, lower-cased names.",
        f"Peer pipeline: rapidfuzz WRatio top-{PEER_CANDIDATES} names (top-{PEER_ALIAS_CANDIDATES} for "
        "alias queries), their entries re-ranked by nomenklatura 4.17.4 LogicV2.compare with its "
        "default config; entities carry every name, country and date of birth our readers give.",
        "Alias queries: sdn.csv alone (no alt.csv); a hit is the expected ent_num as the first match "
        "at or above the matcher's threshold. Peer and baseline on the first "
        f"{plan.alias_rows} rows; 'all rows' is ours and the baseline on {len(inputs.alias)}.",
        "UN positives: candidates ofac-sdn + un, a hit is any UN entry at or above threshold; "
        "queries carry date_of_birth and nationality (ISO2) for ours and the peer.",
        "Negatives: candidates ofac-sdn + un + ofac-consolidated for all three matchers "
        "(SOURCES' peer reference used ofac-sdn + un).",
        f"Name pairs: ours median of {plan.pair_passes} passes with its caches emptied before each; "
        "peer one pass of fresh entities after a warm-up; baseline median of "
        f"{plan.pair_passes} passes. Cross-script pairs scored as persons.",
        f"Speed, one core, every list our readers take ({len(every)} entries): ours on "
        f"{plan.speed_names} names cycling over the eval query names (caches emptied at each "
        f"cycle), peer on the first {plan.peer_speed_names}, baseline (all names >= 90) on the "
        f"first {plan.baseline_speed_names}. Build: ours median of {plan.build_runs} Matcher "
        "builds; peer: FtM entities + folded names; baseline: folded names.",
        f"Import: `adwarden lists import` of lists/ofac-sdn into a fresh SQLite file, median of "
        f"{plan.import_runs} runs. 'peer ref' = the peer's figure in shared/data/SOURCES.md.",
        f"Run: {'QUICK (subsampled) ' if plan.quick else ''}{minutes:.1f} min, "
        f"{os.cpu_count()} CPUs.",
    ]
    report(results, plan, notes)


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
    args = parser.parse_args(argv)
    matchers = {name.strip() for name in args.matchers.split(",") if name.strip()}
    unknown = matchers - set(MATCHERS)
    if unknown:
        parser.error(f"unknown matchers: {', '.join(sorted(unknown))}")
    run(Plan.make(args.quick), matchers, args.serial)
    return 0


if __name__ == "__main__":
    sys.exit(main())
