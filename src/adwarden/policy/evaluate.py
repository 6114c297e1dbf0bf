"""Apply a policy to one subject's facts: every clause that fires, what it read, and why.

The strongest outcome wins, but every fired clause is kept in the verdict, so
a decision can say what else applied. A clause that may not be applied
without a human turns into a review task, never a decision.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from typing import Any

from adwarden.domain.enums import Outcome, SubjectLevel
from adwarden.policy.loader import LoadedClause, Policy
from adwarden.policy.subjects import SubjectFacts

# `hits.directive` or `hits["directive"]`: which list kinds a clause looks at
_KIND_READ = re.compile(
    r"\b(hits|open_hits|people_hits)\s*(?:\.\s*(\w+)|\[\s*[\"'](\w+)[\"']\s*\])"
)
_QUOTED = re.compile(r"[\"']([a-z][a-z0-9_]*)[\"']")


@dataclass(frozen=True)
class Firing:
    """One clause whose condition held: the facts it read, with their values, and the evidence."""

    clause_id: str
    title: str
    outcome: Outcome
    automatic: bool
    facts: dict[str, Any]
    evidence: list[dict[str, Any]]

    @property
    def needs_human(self) -> bool:
        return not self.automatic or self.outcome is Outcome.review_required


@dataclass(frozen=True)
class Verdict:
    level: SubjectLevel
    subject_id: int
    subject_label: str
    policy_hash: str
    fired: tuple[Firing, ...]

    @property
    def strongest(self) -> Firing | None:
        """The firing whose outcome wins; the first by clause order among equals."""
        if not self.fired:
            return None
        return max(self.fired, key=lambda firing: firing.outcome.strength)


def _evidence(loaded: LoadedClause, subject: SubjectFacts) -> list[dict[str, Any]]:
    source = loaded.condition.source
    kinds: dict[str, set[str]] = {}
    for fact, dotted, indexed in _KIND_READ.findall(source):
        kinds.setdefault(fact, set()).add(dotted or indexed)
    quoted = set(_QUOTED.findall(source))
    found: list[dict[str, Any]] = []
    seen: list[dict[str, Any]] = []
    for fact in loaded.condition.facts:
        for item in subject.evidence.get(fact, []):
            if fact in kinds and item.get("list_kind") not in kinds[fact]:
                continue  # a hit on a list kind this clause does not read
            if fact == "categories" and quoted and item.get("category") not in quoted:
                continue
            if item in seen:
                continue  # one hit can back two facts (a state-media hit: both); cite it once
            seen.append(item)
            found.append({"fact": fact, **item})
    return found


def evaluate(policy: Policy, subject: SubjectFacts) -> Verdict:
    fired = []
    for loaded in policy.at_level(subject.level):
        if not loaded.condition.holds(subject.facts):
            continue
        clause = loaded.clause
        fired.append(
            Firing(
                clause_id=clause.id,
                title=clause.title,
                outcome=clause.outcome,
                automatic=clause.automatic,
                facts={name: subject.facts[name] for name in loaded.condition.facts},
                evidence=_evidence(loaded, subject),
            )
        )
    return Verdict(
        subject.level, subject.subject_id, subject.label, policy.content_hash, tuple(fired)
    )
