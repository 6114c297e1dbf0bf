"""Which CEL binding evaluates the policy's clause conditions: measured, not assumed.

Compares, on the default policy's own conditions and facts, the Rust-backed
`common-expression-language` (what adwarden uses) with the pure-Python
`cel-python`. Prints medians and ratios; the last line is `RESULT key=value ...`.
"""

from __future__ import annotations

import statistics
import sys
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

import cel
import celpy

from adwarden.domain.enums import ListKind, SubjectLevel
from adwarden.policy.evaluate import evaluate
from adwarden.policy.facts import example_facts
from adwarden.policy.loader import load_policy
from adwarden.policy.subjects import SubjectFacts

POLICY = Path(__file__).resolve().parents[1] / "policies" / "ads-policy.yaml"
ROUNDS = 7


def facts_for(level: SubjectLevel) -> dict[str, Any]:
    facts = example_facts(level)
    if "hits" in facts:
        empty = {kind.value: [] for kind in ListKind}
        facts.update(
            hits={**empty, "directive": ["bod-17-01"]},
            open_hits=dict(empty),
            people_hits={**empty, "scrutiny": ["kr-1"]},
        )
    if level is SubjectLevel.post:
        facts["categories"] = ["crypto_offering"]
    return facts


def median_us(run: Callable[[], object], calls: int) -> float:
    samples = []
    for _ in range(ROUNDS):
        start = time.perf_counter()
        for _ in range(calls):
            run()
        samples.append((time.perf_counter() - start) / calls * 1e6)
    return statistics.median(samples)


def main() -> int:
    policy = load_policy(POLICY)
    conditions = [(item.clause.condition, facts_for(item.clause.level)) for item in policy.clauses]
    env = celpy.Environment()

    rust_compile = median_us(lambda: [cel.compile(source) for source, _ in conditions], 200)
    py_compile = median_us(
        lambda: [env.program(env.compile(source)) for source, _ in conditions], 5
    )
    rust_programs = [(cel.compile(source), facts) for source, facts in conditions]
    py_programs = [
        (env.program(env.compile(source)), {k: celpy.json_to_cel(v) for k, v in facts.items()})
        for source, facts in conditions
    ]
    for (program, facts), (py_program, activation) in zip(rust_programs, py_programs, strict=True):
        if bool(program.execute(facts)) != bool(py_program.evaluate(activation)):
            print(f"the bindings disagree on {program.source!r}", file=sys.stderr)
            return 1
    rust_eval = median_us(lambda: [p.execute(f) for p, f in rust_programs], 2000) / len(conditions)
    py_eval = median_us(lambda: [p.evaluate(a) for p, a in py_programs], 50) / len(conditions)
    subject = SubjectFacts(
        SubjectLevel.advertiser, 1, "Example", facts_for(SubjectLevel.advertiser), {}
    )
    verdict_us = median_us(lambda: evaluate(policy, subject), 2000)

    rows = [
        ("compile all conditions, µs", rust_compile, py_compile),
        ("evaluate one condition, µs", rust_eval, py_eval),
    ]
    print(f"{'measure':<34}{'cel (Rust)':>12}{'cel-python':>12}{'python/rust':>13}")
    for label, rust, python in rows:
        print(f"{label:<34}{rust:>12.1f}{python:>12.1f}{python / rust:>13.1f}")
    print(f"{'evaluate(policy, advertiser), µs':<34}{verdict_us:>12.1f}")
    print(f"{len(conditions)} conditions of {POLICY.name}; medians of {ROUNDS} rounds.")
    print(
        f"RESULT conditions={len(conditions)} compile_us_rust={rust_compile:.1f} "
        f"compile_us_python={py_compile:.1f} compile_ratio={py_compile / rust_compile:.1f} "
        f"eval_us_rust={rust_eval:.2f} eval_us_python={py_eval:.2f} "
        f"eval_ratio={py_eval / rust_eval:.1f} verdict_us={verdict_us:.1f}"
    )
    return 0


if __name__ == "__main__":
    sys.exit(main())
