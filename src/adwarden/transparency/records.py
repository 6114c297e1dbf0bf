"""What the log holds about each published thing, as canonical JSON.

A decision's record is the part of it that never changes (what was decided, under which
clause and version, on which facts and evidence); its later status changes are records of
their own. An appeal is two records: its filing (when, and by when it is to be answered)
and its answer (the outcome, the reasons and the reply to each argument), each exactly as
the public decision page shows it. Names of staff never appear: a decision says whether a
person or the system decided, not who (they are not the public's to know, DSA Article
24(5)).
"""

from __future__ import annotations

import json
from collections.abc import Iterable, Mapping, Sequence
from datetime import datetime
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from adwarden.appeals.models import Appeal
from adwarden.domain.enums import AdvertiserKind, DecisionStatus
from adwarden.enforcement.models import Decision
from adwarden.policy.models import PolicyVersion
from adwarden.registry.models import Account, Advertiser, AdvertiserName
from adwarden.store.queries import among

STATEMENT = "statement"
POLICY_VERSION = "policy_version"
# the status a decision leaves "active" for, and the kind of entry that records it
STATUS_KINDS = {DecisionStatus.reversed: "reversal", DecisionStatus.superseded: "supersession"}
APPEAL = "appeal"  # filed
APPEAL_ANSWER = "appeal_answer"
APPEAL_KINDS = (APPEAL, APPEAL_ANSWER)
KINDS = (STATEMENT, POLICY_VERSION, *STATUS_KINDS.values(), *APPEAL_KINDS)


def canonical(value: Any) -> bytes:
    """One byte string per value: sorted keys, no spaces, UTF-8 (RFC 8785 for our values)."""
    return json.dumps(value, sort_keys=True, separators=(",", ":"), ensure_ascii=False).encode()


def stamp(value: datetime | None) -> str | None:
    return value.isoformat().replace("+00:00", "Z") if value is not None else None


def decision_record(
    decision: Decision, policy_number: int, *, personal: Sequence[str] = ()
) -> dict[str, Any]:
    """`personal`: the names and handles of the advertiser when it is a natural person
    (`personal_names`); they are withheld wherever they appear, as are the names of persons
    that list hits name."""
    evidence = [public_evidence(item, person=bool(personal)) for item in decision.evidence]
    withheld = withheld_names(decision, personal)
    return {
        "decision_id": decision.id,
        "level": decision.level.value,
        "subject_id": decision.subject_id,
        "subject": _redact(decision.subject_label, withheld),
        "advertiser_id": decision.advertiser_id,
        "outcome": decision.outcome.value,
        "clause": decision.clause_id,
        "policy_version": policy_number,
        "policy_hash": decision.policy_hash,
        "facts": _redact(decision.facts, withheld),
        "facts_summary": _redact(decision.facts_summary, withheld),
        "evidence": evidence,
        "decided_by": "automatic" if decision.automated_decision else "staff",
        "automated_detection": decision.automated_detection,
        "automated_decision": decision.automated_decision,
        "starts_at": stamp(decision.starts_at),
        "ends_at": stamp(decision.ends_at),
        "territorial_scope": decision.territorial_scope,
    }


WITHHELD_NAME = "(a natural person: name withheld)"
# what a hit on a natural person keeps in public: which list, how sure, and its review
_PERSON_HIT_FIELDS = (
    "fact",
    "list",
    "list_kind",
    "list_version",
    "subject_type",
    "score",
    "status",
)


def withheld_names(decision: Decision, personal: Sequence[str] = ()) -> list[str]:
    """The names a decision's records withhold, longest first (so that no shorter name
    replaces part of a longer one first), ties in a fixed order (every process redacts alike)."""
    names = _hit_names(decision.evidence, bool(personal)) | set(personal)
    return sorted(names, key=lambda name: (len(name), name), reverse=True)


def _hit_names(evidence: Sequence[dict[str, Any]], person_advertiser: bool) -> set[str]:
    names: set[str] = set()
    for item in evidence:
        if person_advertiser or item.get("subject_type") == "person":
            for key in ("subject_name", "entry_name", "entry_id"):
                value = item.get(key)
                if isinstance(value, str) and len(value) > 1:
                    names.add(value)
    return names


def _redact(value: Any, withheld: Sequence[str]) -> Any:
    if isinstance(value, str):
        for name in withheld:
            value = value.replace(name, WITHHELD_NAME)
        return value
    if isinstance(value, list):
        return [_redact(item, withheld) for item in value]
    if isinstance(value, dict):
        return {key: _redact(item, withheld) for key, item in value.items()}
    return value


def public_evidence(item: dict[str, Any], *, person: bool = False) -> dict[str, Any]:
    """Evidence as published: a hit on a natural person (an owner, a director, or the
    advertiser itself) keeps its list, score and review, but nothing that names or points to
    the person: no name, entry id, notes or source (DSA Article 24(5))."""
    if not (person or item.get("subject_type") == "person") or "list" not in item:
        return item
    kept = {key: item[key] for key in _PERSON_HIT_FIELDS if key in item}
    return {**kept, "subject_name": WITHHELD_NAME, "entry_name": WITHHELD_NAME}


def personal_names(session: Session, advertiser_ids: Iterable[int]) -> dict[int, list[str]]:
    """For each advertiser that is a natural person, every name and account handle it has:
    what the decisions database withholds."""
    people = set(
        session.scalars(
            select(Advertiser.id).where(
                among(session, Advertiser.id, set(advertiser_ids)),
                Advertiser.kind == AdvertiserKind.person,
            )
        )
    )
    found: dict[int, list[str]] = {advertiser_id: [] for advertiser_id in people}
    if people:
        for advertiser_id, name in session.execute(
            select(AdvertiserName.advertiser_id, AdvertiserName.name).where(
                among(session, AdvertiserName.advertiser_id, people)
            )
        ):
            found[advertiser_id].append(name)
        for owner, handle, display in session.execute(
            select(Account.advertiser_id, Account.handle, Account.display_name).where(
                among(session, Account.advertiser_id, people)
            )
        ):
            if owner is not None:
                found[owner] += [f"@{handle}", handle, display]
    return found


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


# what a natural person's appeal shows of their arguments: they may name or describe them
WITHHELD_ARGUMENT = "(withheld: a natural person's)"
# what a public appeal shows of each record, under the same names
FILING_FIELDS = ("filed_at", "due_at")
ANSWER_FIELDS = ("outcome", "decided_at", "answer", "points", "new_decision_id")


def appeal_record(appeal: Appeal) -> dict[str, Any]:
    """An appeal as filed. Its arguments are not public until answered: the answer's points
    show them (an organisation's only)."""
    return {
        "appeal_id": appeal.id,
        "decision_id": appeal.decision_id,
        "filed_at": stamp(appeal.filed_at),
        "due_at": stamp(appeal.due_at),
    }


def answer_record(
    appeal: Appeal, decision: Decision, personal: Mapping[int, Sequence[str]]
) -> dict[str, Any]:
    """An appeal's answer as the public sees it, without who gave it. `personal`: what
    `personal_names` found for the advertisers (it holds every natural person among them);
    the names the appealed decision withholds are withheld from the answer too, and a natural
    person's own arguments are not shown at all."""
    names = personal.get(decision.advertiser_id, ())
    withheld = withheld_names(decision, names)
    organisation = decision.advertiser_id not in personal
    points = [
        {
            "argument": (
                _redact(point["argument"], withheld) if organisation else WITHHELD_ARGUMENT
            ),
            "answer": _redact(point["addressed"], withheld),
        }
        for point in appeal.points or []
    ]
    return {
        "appeal_id": appeal.id,
        "decision_id": appeal.decision_id,
        "outcome": appeal.outcome.value if appeal.outcome else None,
        "decided_at": stamp(appeal.decided_at),
        "answer": _redact(appeal.answer, withheld),
        "points": points,
        "new_decision_id": appeal.new_decision_id,
    }


def shown_record(
    appeal: Mapping[str, Any], decision_id: int, fields: Sequence[str]
) -> dict[str, Any]:
    """The record a public appeal (as the API gives it) says its log entry holds: what it
    shows is the record, field for field, so an outside verifier can rebuild it."""
    return {"appeal_id": appeal["id"], "decision_id": decision_id} | {
        name: appeal[name] for name in fields
    }


def leaf_data(kind: str, subject_id: int, record: dict[str, Any]) -> bytes:
    """The leaf: kind and subject with the record, so no leaf can be read as another's."""
    return canonical({"kind": kind, "id": subject_id, "record": record})
