"""What the log holds about each published thing, as canonical JSON.

A decision's record is the part of it that never changes (what was decided, under which
clause and version, on which facts and evidence); its later status changes are records of
their own. Names of staff never appear: a decision says whether a person or the system
decided, not who (they are not the public's to know, DSA Article 24(5)).
"""

from __future__ import annotations

import json
from datetime import datetime
from typing import Any

from adwarden.domain.enums import DecisionStatus
from adwarden.enforcement.models import Decision
from adwarden.policy.models import PolicyVersion

STATEMENT = "statement"
POLICY_VERSION = "policy_version"
# the status a decision leaves "active" for, and the kind of entry that records it
STATUS_KINDS = {DecisionStatus.reversed: "reversal", DecisionStatus.superseded: "supersession"}
KINDS = (STATEMENT, POLICY_VERSION, *STATUS_KINDS.values())


def canonical(value: Any) -> bytes:
    """One byte string per value: sorted keys, no spaces, UTF-8 (RFC 8785 for our values)."""
    return json.dumps(value, sort_keys=True, separators=(",", ":"), ensure_ascii=False).encode()


def stamp(value: datetime | None) -> str | None:
    return value.isoformat().replace("+00:00", "Z") if value is not None else None


def decision_record(decision: Decision, policy_number: int) -> dict[str, Any]:
    return {
        "decision_id": decision.id,
        "level": decision.level.value,
        "subject_id": decision.subject_id,
        "subject": decision.subject_label,
        "advertiser_id": decision.advertiser_id,
        "outcome": decision.outcome.value,
        "clause": decision.clause_id,
        "policy_version": policy_number,
        "policy_hash": decision.policy_hash,
        "facts": decision.facts,
        "facts_summary": decision.facts_summary,
        "evidence": [public_evidence(item) for item in decision.evidence],
        "decided_by": "automatic" if decision.automated_decision else "staff",
        "automated_detection": decision.automated_detection,
        "automated_decision": decision.automated_decision,
        "starts_at": stamp(decision.starts_at),
        "ends_at": stamp(decision.ends_at),
        "territorial_scope": decision.territorial_scope,
    }


WITHHELD_NAME = "(a natural person: name withheld)"


def public_evidence(item: dict[str, Any]) -> dict[str, Any]:
    """Evidence as published: a hit on a natural person (an owner, a director) keeps its list,
    entry id, score and source, but not the person's name (DSA Article 24(5))."""
    if item.get("subject_type") != "person":
        return item
    withheld = {"subject_name": WITHHELD_NAME, "entry_name": WITHHELD_NAME}
    return {key: withheld.get(key, value) for key, value in item.items() if key != "explanation"}


def status_record(decision: Decision) -> dict[str, Any]:
    return {
        "decision_id": decision.id,
        "status": decision.status.value,
        "reason": decision.status_reason,
        "superseded_by": decision.superseded_by,
    }


def policy_record(version: PolicyVersion) -> dict[str, Any]:
    return {
        "number": version.number,
        "title": version.title,
        "content_hash": version.content_hash,
        "changelog": version.changelog,
        "published_at": stamp(version.created_at),
    }


def leaf_data(kind: str, subject_id: int, record: dict[str, Any]) -> bytes:
    """The leaf: kind and subject with the record, so no leaf can be read as another's."""
    return canonical({"kind": kind, "id": subject_id, "record": record})
