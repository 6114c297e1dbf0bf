"""What an outcome changes on the platform, recorded so that lifting it restores exactly that.

Off-boarding an advertiser makes every account it owns ineligible to promote
and pauses all its campaigns, and touches nothing else: organic posting goes on.
"""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from adwarden.domain.enums import CampaignStatus, Outcome, PromotedPostStatus, SubjectLevel
from adwarden.registry.models import Account
from adwarden.serving.eligibility import bump
from adwarden.serving.models import Campaign, PromotedPost
from adwarden.serving.money import MICROS_PER_CENT
from adwarden.store.queries import get

Effects = dict[str, list[dict[str, Any]]]


def _hold(campaign: Campaign) -> dict[str, Any]:
    before = {
        "id": campaign.id,
        "status": campaign.status.value,
        "held": campaign.held,
        # prepaid and not spent when the campaign stopped: shown with the decision
        "name": campaign.name,
        "currency": campaign.currency,
        "unspent_micros": max(
            0, campaign.lifetime_budget_cents * MICROS_PER_CENT - campaign.spent_micros
        ),
    }
    campaign.held = True
    if campaign.status is CampaignStatus.active:
        campaign.status = CampaignStatus.paused
    return before


def _bar(account: Account) -> dict[str, Any]:
    before = {"id": account.id, "ads_eligible": account.ads_eligible}
    account.ads_eligible = False
    return before


def apply_outcome(
    session: Session, level: SubjectLevel, subject_id: int, outcome: Outcome, advertiser_id: int
) -> Effects:
    """Restrict the subject as the outcome says; return what was there before."""
    effects: Effects = {"accounts": [], "campaigns": [], "posts": []}
    if outcome is Outcome.off_board:
        accounts = session.scalars(
            select(Account).where(Account.advertiser_id == subject_id).order_by(Account.id)
        )
        effects["accounts"] = [_bar(account) for account in accounts]
        campaigns = session.scalars(
            select(Campaign)
            .where(Campaign.advertiser_id == subject_id, Campaign.status != CampaignStatus.ended)
            .order_by(Campaign.id)
        )
        effects["campaigns"] = [_hold(campaign) for campaign in campaigns]
    elif outcome is Outcome.account_ineligible:
        effects["accounts"] = [_bar(get(session, Account, subject_id))]
    elif outcome is Outcome.pause_campaign:
        effects["campaigns"] = [_hold(get(session, Campaign, subject_id))]
    elif outcome is Outcome.reject_post:
        post = get(session, PromotedPost, subject_id)
        # a post rejected while it waited goes back to waiting when the rejection is lifted,
        # and is judged again then (enforcement/live.py): another clause may still hold it
        effects["posts"] = [{"id": post.id, "status": post.status.value}]
        post.status = PromotedPostStatus.rejected
    bump(session, advertiser_id)
    return effects


def _ids(effects: Iterable[Effects], kind: str) -> set[int]:
    return {item["id"] for found in effects for item in found.get(kind, [])}


def restore(
    session: Session, effects: Effects, still_active: Iterable[Effects], advertiser_id: int
) -> None:
    """Undo `effects`, except what another active decision still restricts."""
    others = list(still_active)
    held_elsewhere = {kind: _ids(others, kind) for kind in ("accounts", "campaigns", "posts")}
    for item in effects.get("accounts", []):
        if item["id"] not in held_elsewhere["accounts"]:
            get(session, Account, item["id"]).ads_eligible = item["ads_eligible"]
    for item in effects.get("campaigns", []):
        if item["id"] not in held_elsewhere["campaigns"]:
            campaign = get(session, Campaign, item["id"])
            campaign.held = item["held"]
            if campaign.status is not CampaignStatus.ended:
                campaign.status = CampaignStatus(item["status"])
    for item in effects.get("posts", []):
        if item["id"] not in held_elsewhere["posts"]:
            get(session, PromotedPost, item["id"]).status = PromotedPostStatus(item["status"])
    bump(session, advertiser_id)
