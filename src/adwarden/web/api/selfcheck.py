"""The public self-check (no sign-in) and a signed-in advertiser's own standing."""

from __future__ import annotations

from typing import Any

from fastapi import APIRouter
from pydantic import Field
from sqlalchemy import func, select
from sqlalchemy.orm import Session

from adwarden.domain.enums import DecisionStatus, PersonRole, TaskStatus
from adwarden.domain.fields import CountryCode, Name, ShortText
from adwarden.domain.inputs import Input
from adwarden.enforcement.models import Decision, ReviewTask
from adwarden.enforcement.services import published
from adwarden.policy.evaluate import Verdict, evaluate
from adwarden.policy.loader import Policy
from adwarden.policy.selfcheck import ASSUMPTION, Owner, self_check
from adwarden.policy.subjects import advertiser_facts
from adwarden.screening.index import request_index
from adwarden.web.api.errors import AUTHENTICATED, WRITES
from adwarden.web.deps import AdvertiserActor, DbSession, reads_only

router = APIRouter(tags=["self-check"])


class OwnerIn(Input):
    name: Name
    role: PersonRole = PersonRole.owner
    country: CountryCode | None = None


class SelfCheckIn(Input):
    names: list[Name] = Field(min_length=1, max_length=20, description="every name it goes by")
    person: bool = Field(False, description="an individual rather than an organisation")
    country: CountryCode | None = None
    industry: ShortText = ""
    owners: list[OwnerIn] = Field(default_factory=list, max_length=20)


def clauses_out(policy: Policy, verdict: Verdict) -> list[dict[str, Any]]:
    strongest = verdict.strongest
    out = []
    for firing in verdict.fired:
        clause = policy.clause(firing.clause_id).clause
        out.append(
            {
                "id": clause.id,
                "title": clause.title,
                "text": clause.text,
                "outcome": clause.outcome.value,
                "decides": "automatically" if not firing.needs_human else "a reviewer decides",
                "wins": firing is strongest,
                "condition": clause.condition,
                "facts": firing.facts,
                "evidence": firing.evidence,
            }
        )
    return out


@router.post("/public/self-check", responses=WRITES)
@reads_only
def public_self_check(body: SelfCheckIn, session: DbSession) -> dict[str, Any]:
    """Describe an advertiser; see which clauses of the published policy would apply, and why."""
    # first, while the session holds no connection: a cold process waits here for its index
    index = request_index(session)
    version, policy = published(session)
    owners = [Owner(o.name, o.role.value, o.country) for o in body.owners]
    result = self_check(
        session,
        policy,
        body.names,
        person=body.person,
        country=body.country,
        industry=body.industry,
        owners=owners,
        index=index,
    )
    return {
        "policy_version": version.number,
        "policy_hash": version.content_hash,
        "assumption": ASSUMPTION,
        "matches": result.matches,
        "clauses": clauses_out(policy, result.verdict),
    }


@router.get("/me/standing", responses={**AUTHENTICATED, **WRITES})
def my_standing(actor: AdvertiserActor, session: DbSession) -> dict[str, Any]:
    """Your decisions in force, your open reviews, and which clauses your facts meet now."""
    assert actor.advertiser_id is not None
    return standing_of(session, actor.advertiser_id)


def standing_of(session: Session, advertiser_id: int) -> dict[str, Any]:
    """An advertiser's standing under the published policy; the API and the /my page show it."""
    version, policy = published(session)
    decisions = session.scalars(
        select(Decision)
        .where(
            Decision.advertiser_id == advertiser_id,
            Decision.status == DecisionStatus.active,
        )
        .order_by(Decision.id)
    ).all()
    open_reviews = session.scalar(
        select(func.count())
        .select_from(ReviewTask)
        .where(
            ReviewTask.advertiser_id == advertiser_id,
            ReviewTask.status == TaskStatus.open,
        )
    )
    verdict = evaluate(policy, advertiser_facts(session, advertiser_id))
    return {
        "policy_version": version.number,
        "decisions_in_force": [
            {
                "id": d.id,
                "subject": d.subject_label,
                "outcome": d.outcome.value,
                "clause": d.clause_id,
                "since": d.starts_at.isoformat(),
            }
            for d in decisions
        ],
        "open_reviews": open_reviews or 0,
        "clauses_your_facts_meet": clauses_out(policy, verdict),
    }
