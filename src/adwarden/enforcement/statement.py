"""The statement of reasons for a decision: every field of the EU DSA Transparency Database
API v2, filled from the decision, its clause as published, and its subject, plus the
redress route (how to appeal, and by when)."""

from __future__ import annotations

from datetime import datetime, timedelta
from typing import Any

from adwarden.domain.enums import GroundKind, Outcome, SubjectLevel
from adwarden.enforcement.models import Decision
from adwarden.policy.document import Clause

# Member states of the EEA: the territorial scope of a decision that applies everywhere.
EEA = [
    "AT",
    "BE",
    "BG",
    "CY",
    "CZ",
    "DE",
    "DK",
    "EE",
    "ES",
    "FI",
    "FR",
    "GR",
    "HR",
    "HU",
    "IE",
    "IS",
    "IT",
    "LI",
    "LT",
    "LU",
    "LV",
    "MT",
    "NL",
    "NO",
    "PL",
    "PT",
    "RO",
    "SE",
    "SI",
    "SK",
]

_PROVISION = {
    # ads stop, the account and its organic posts stay: a partial suspension of the service
    Outcome.off_board: "DECISION_PROVISION_PARTIAL_SUSPENSION",
    Outcome.account_ineligible: "DECISION_PROVISION_PARTIAL_SUSPENSION",
    Outcome.pause_campaign: "DECISION_PROVISION_PARTIAL_SUSPENSION",
}
_VISIBILITY = {
    Outcome.reject_post: ["DECISION_VISIBILITY_CONTENT_REMOVED"],
    Outcome.label: ["DECISION_VISIBILITY_CONTENT_LABELLED"],
}


def appeal_deadline(decision: Decision, clause: Clause) -> datetime:
    return decision.starts_at + timedelta(days=clause.appeal_window_days)


def _date(value: datetime | None) -> str | None:
    return value.date().isoformat() if value is not None else None


def statement_of_reasons(
    decision: Decision, clause: Clause, *, content_date: datetime, clause_url: str
) -> dict[str, Any]:
    """The DSA Transparency Database v2 fields, plus `redress` (not a DSA field)."""
    legal = clause.ground.kind is GroundKind.legal
    automated = (
        "AUTOMATED_DECISION_FULLY"
        if decision.automated_decision
        else ("AUTOMATED_DECISION_NOT_AUTOMATED")
    )
    end = _date(decision.ends_at)
    provision = _PROVISION.get(decision.outcome)
    visibility = _VISIBILITY.get(decision.outcome, [])
    scope = (
        EEA
        if decision.territorial_scope == ["WORLD"]
        else [code for code in decision.territorial_scope if code in EEA]
    )
    return {
        "decision_visibility": visibility,
        "decision_visibility_other": None,
        "end_date_visibility_restriction": end if visibility else None,
        "decision_monetary": None,
        "decision_monetary_other": None,
        "end_date_monetary_restriction": None,
        "decision_provision": provision,
        "end_date_service_restriction": end if provision else None,
        "decision_account": None,  # accounts stay open: organic posting goes on
        "end_date_account_restriction": None,
        "account_type": "ACCOUNT_TYPE_BUSINESS",
        "decision_facts": decision.facts_summary,
        "decision_ground": (
            "DECISION_GROUND_ILLEGAL_CONTENT" if legal else "DECISION_GROUND_INCOMPATIBLE_CONTENT"
        ),
        "decision_ground_reference_url": clause_url,
        "illegal_content_legal_ground": clause.ground.law if legal else None,
        "illegal_content_explanation": clause.ground.explanation if legal else None,
        "incompatible_content_ground": None if legal else f"clause {clause.id}: {clause.title}",
        "incompatible_content_explanation": None if legal else clause.ground.explanation,
        "incompatible_content_illegal": None if legal else "No",
        "content_type": (
            ["CONTENT_TYPE_TEXT"] if decision.level is SubjectLevel.post else ["CONTENT_TYPE_OTHER"]
        ),
        "content_type_other": (
            None
            if decision.level is SubjectLevel.post
            else f"{decision.level.value} on the ads platform"
        ),
        "category": clause.dsa_category.value,
        "category_addition": [],
        "category_specification": [],
        "territorial_scope": scope,
        "content_language": None,
        "content_date": _date(content_date),
        "application_date": _date(decision.starts_at),
        "source_type": "SOURCE_VOLUNTARY",
        "automated_detection": "Yes" if decision.automated_detection else "No",
        "automated_decision": automated,
        "puid": f"adwarden-decision-{decision.id}",
        "redress": {
            "how": "appeal from the notice in your advertiser area; a second person decides",
            "by": _date(appeal_deadline(decision, clause)),
            "answer_within_days": clause.appeal_sla_days,
        },
    }
