"""What a policy change would do: every subject whose outcome would change, and why.

It reads the current facts and writes nothing.
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from adwarden.domain.enums import SubjectLevel
from adwarden.policy.classify import RuleClassifier
from adwarden.policy.evaluate import Firing, evaluate
from adwarden.policy.loader import Policy
from adwarden.policy.subjects import (
    SubjectFacts,
    account_facts,
    advertiser_facts,
    campaign_facts,
    post_facts,
)
from adwarden.registry.models import Account, Advertiser
from adwarden.serving.models import Campaign, PromotedPost


@dataclass(frozen=True)
class Change:
    level: SubjectLevel
    subject_id: int
    subject: str
    before: str  # "off_board under 3.1", or "nothing"
    after: str
    clause: str | None  # the clause that decides after the change, if any
    why: str


def _describe(firing: Firing | None) -> str:
    return f"{firing.outcome.value} under {firing.clause_id}" if firing else "nothing"


ALL_LEVELS = frozenset(SubjectLevel)


def subjects(
    session: Session, classifier: RuleClassifier, levels: frozenset[SubjectLevel] = ALL_LEVELS
) -> Iterator[SubjectFacts]:
    """Every subject at `levels` the policy can act on, as its facts stand now."""
    if SubjectLevel.advertiser in levels:
        for advertiser_id in session.scalars(select(Advertiser.id).order_by(Advertiser.id)):
            yield advertiser_facts(session, advertiser_id)
    if SubjectLevel.account in levels:
        owned = select(Account.id).where(Account.advertiser_id.is_not(None)).order_by(Account.id)
        for account_id in session.scalars(owned):
            yield account_facts(session, account_id)
    if SubjectLevel.campaign in levels:
        for campaign_id in session.scalars(select(Campaign.id).order_by(Campaign.id)):
            yield campaign_facts(session, campaign_id)
    if SubjectLevel.post in levels:
        for post_id in session.scalars(select(PromotedPost.id).order_by(PromotedPost.id)):
            yield post_facts(session, post_id, classifier)


def changed_levels(current: Policy | None, proposed: Policy) -> frozenset[SubjectLevel]:
    """The levels at which some clause differs between two versions (added, removed or
    changed in any field, its classifiers included): only subjects there can fare otherwise."""

    def at(policy: Policy | None, level: SubjectLevel) -> list[Any]:
        if policy is None:
            return []
        return [loaded.clause.model_dump(mode="json") for loaded in policy.at_level(level)]

    return frozenset(level for level in SubjectLevel if at(current, level) != at(proposed, level))


def _classifier(*policies: Policy) -> RuleClassifier:
    return RuleClassifier(
        rule for policy in policies for item in policy.clauses for rule in item.clause.classifiers
    )


def what_if(session: Session, current: Policy, proposed: Policy) -> list[Change]:
    changes = []
    old_rules, new_rules = _classifier(current), _classifier(proposed)
    for facts in subjects(session, old_rules, changed_levels(current, proposed)):
        if facts.level is SubjectLevel.post:
            # each policy classifies with its own rules: a new keyword is a change too
            after_facts = post_facts(session, facts.subject_id, new_rules)
        else:
            after_facts = facts
        before = evaluate(current, facts).strongest
        after = evaluate(proposed, after_facts).strongest
        if _describe(before) == _describe(after):
            continue
        if after is not None:
            why = "; ".join(f"{name} = {value!r}" for name, value in after.facts.items())
        else:
            why = f"no clause of the new policy applies (was {before.clause_id if before else '-'})"
        changes.append(
            Change(
                facts.level,
                facts.subject_id,
                facts.label,
                _describe(before),
                _describe(after),
                after.clause_id if after else None,
                why,
            )
        )
    return changes
