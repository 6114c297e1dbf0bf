"""Anyone can check an advertiser against the published policy: which clauses would apply,
and why. It answers "what must others do to avoid the same" with the policy's own rules.

Names are screened against the current lists; every match at the default threshold is
treated as a reviewer would confirm it, and the answer says so.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from adwarden.domain.enums import EntityType, ListKind, SubjectLevel
from adwarden.lists.models import WatchList
from adwarden.policy.evaluate import Verdict, evaluate
from adwarden.policy.loader import Policy
from adwarden.policy.subjects import SubjectFacts
from adwarden.screening.index import ScreeningIndex, request_index
from adwarden.screening.matcher import Matcher, Query

ASSUMPTION = (
    "Every list match shown is treated as confirmed, as a reviewer would confirm a true match; "
    "a reviewer dismisses matches that name someone else."
)


@dataclass(frozen=True)
class Owner:
    name: str
    role: str = "owner"
    country: str | None = None


@dataclass(frozen=True)
class SelfCheck:
    verdict: Verdict
    matches: list[dict[str, Any]]


def _screen(
    matcher: Matcher,
    names: Sequence[str],
    entity_type: EntityType,
    country: str | None,
    kinds: dict[str, str],
) -> tuple[dict[str, list[str]], list[dict[str, Any]]]:
    found: dict[str, list[str]] = {kind.value: [] for kind in ListKind}
    evidence: list[dict[str, Any]] = []
    for name in names:
        for match in matcher.match(Query(name, entity_type, country)):
            kind = kinds[match.list_id]
            if match.entry_id not in found[kind]:
                found[kind].append(match.entry_id)
            evidence.append(
                {
                    "list": match.list_id,
                    "list_kind": kind,
                    "entry_id": match.entry_id,
                    "entry_name": match.name,
                    "subject_name": name,
                    "score": match.score,
                    "status": "assumed confirmed",
                    "explanation": match.explanation,
                }
            )
    return found, evidence


def self_check(
    session: Session,
    policy: Policy,
    names: Sequence[str],
    *,
    person: bool = False,
    country: str | None = None,
    industry: str = "",
    owners: Sequence[Owner] = (),
    index: ScreeningIndex | None = None,
) -> SelfCheck:
    """`index`: the lists to screen against; by default, `request_index(session)`'s."""
    matcher = (request_index(session) if index is None else index).matcher
    kinds = {watch.slug: watch.kind.value for watch in session.scalars(select(WatchList))}
    entity = EntityType.person if person else EntityType.organization
    hits, evidence = _screen(matcher, names, entity, country, kinds)
    people_hits: dict[str, list[str]] = {kind.value: [] for kind in ListKind}
    people_evidence: list[dict[str, Any]] = []
    for owner in owners:
        found, items = _screen(matcher, [owner.name], EntityType.person, owner.country, kinds)
        for kind, ids in found.items():
            people_hits[kind] += [entry for entry in ids if entry not in people_hits[kind]]
        people_evidence += items
    no_hits: dict[str, list[str]] = {kind.value: [] for kind in ListKind}
    facts: dict[str, Any] = {
        "names": list(names),
        "kind": "person" if person else "organization",
        "country": country or "",
        "industry": industry,
        "state_controlled": bool(hits[ListKind.state_media.value]),
        "owners": [{"name": o.name, "role": o.role, "country": o.country or ""} for o in owners],
        "hits": hits,
        "open_hits": no_hits,
        "people_hits": people_hits,
    }
    state_media = [e for e in evidence if e["list_kind"] == ListKind.state_media.value]
    subject = SubjectFacts(
        SubjectLevel.advertiser,
        0,
        names[0] if names else "the advertiser described",
        facts,
        {"hits": evidence, "people_hits": people_evidence, "state_controlled": state_media},
    )
    return SelfCheck(evaluate(policy, subject), evidence + people_evidence)
