"""Creating, changing and reading campaigns and promoted posts.

A promoted post must come from an account its campaign's advertiser owns;
an ended campaign stays ended.
"""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from adwarden.audit.services import record, record_created
from adwarden.domain.actors import Actor
from adwarden.domain.enums import CampaignStatus, PromotedPostStatus, Role
from adwarden.domain.errors import ConflictError, ForbiddenError, InvalidInputError
from adwarden.domain.fields import cents
from adwarden.registry.models import Advertiser
from adwarden.registry.services import validate_owned_account
from adwarden.serving.eligibility import bump
from adwarden.serving.inputs import (
    CampaignIn,
    CampaignPatch,
    PromotedPostIn,
    PromotedPostPatch,
    schedule_problem,
)
from adwarden.serving.models import Campaign, Placement, PromotedPost
from adwarden.store.queries import apply_changes, backdated, get, page

_MONEY_FIELDS = {"daily_budget", "lifetime_budget", "bid_cpm"}
_JUDGED_CONTENT = {"text", "landing_url"}


def create_campaign(
    session: Session,
    actor: Actor,
    advertiser_id: int,
    data: CampaignIn,
    *,
    at: datetime | None = None,
) -> Campaign:
    get(session, Advertiser, advertiser_id)
    campaign = Campaign(
        advertiser_id=advertiser_id,
        name=data.name,
        currency=data.currency,
        daily_budget_cents=cents(data.daily_budget),
        lifetime_budget_cents=cents(data.lifetime_budget),
        bid_cpm_cents=cents(data.bid_cpm),
        payer=data.payer,
        starts_at=data.starts_at,
        ends_at=data.ends_at,
        keywords=list(dict.fromkeys(data.keywords)),
        countries=sorted(set(data.countries)),
        status=data.status,
        **backdated(at),
    )
    record_created(session, actor, "campaign", campaign, changes=data.model_dump(mode="json"))
    bump(session, campaign.advertiser_id)
    return campaign


def update_campaign(
    session: Session, actor: Actor, campaign_id: int, patch: CampaignPatch
) -> Campaign:
    campaign = get(session, Campaign, campaign_id)
    values: dict[str, Any] = {}
    for field, value in patch.model_dump(exclude_none=True).items():
        if field in _MONEY_FIELDS:
            values[f"{field}_cents"] = cents(value)
        elif field == "keywords":
            values[field] = list(dict.fromkeys(value))
        elif field == "countries":
            values[field] = sorted(set(value))
        else:
            values[field] = value
    if campaign.status is CampaignStatus.ended and values.get("status", campaign.status) is not (
        CampaignStatus.ended
    ):
        raise ConflictError(f"campaign {campaign.id} has ended and cannot be restarted")
    if campaign.held and values.get("status", campaign.status) is not campaign.status:
        raise ConflictError(
            f"campaign {campaign.id} is paused by an enforcement decision; "
            "it resumes when the decision is lifted"
        )
    problem = schedule_problem(
        values.get("daily_budget_cents", campaign.daily_budget_cents),
        values.get("lifetime_budget_cents", campaign.lifetime_budget_cents),
        values.get("starts_at", campaign.starts_at),
        values.get("ends_at", campaign.ends_at),
    )
    if problem:
        field, message = problem
        raise InvalidInputError(message, field=field)
    changes = apply_changes(campaign, values)
    if changes:
        record(session, actor, "campaign", "update", campaign.id, changes=changes)
        bump(session, campaign.advertiser_id)
    return campaign


def list_campaigns(
    session: Session, advertiser_id: int, *, offset: int = 0, limit: int = 50
) -> tuple[list[Campaign], int]:
    get(session, Advertiser, advertiser_id)
    stmt = select(Campaign).where(Campaign.advertiser_id == advertiser_id).order_by(Campaign.id)
    return page(session, stmt, offset, limit)


def create_promoted_post(
    session: Session, actor: Actor, campaign_id: int, data: PromotedPostIn
) -> PromotedPost:
    campaign = get(session, Campaign, campaign_id)
    account = validate_owned_account(session, data.account_id, campaign.advertiser_id)
    if not account.ads_eligible:
        raise ConflictError(
            f"account @{account.handle} may not promote posts: an enforcement decision "
            "made it ineligible"
        )
    post = PromotedPost(
        campaign_id=campaign.id,
        account_id=data.account_id,
        text=data.text,
        landing_url=data.landing_url,
        # the policy judges it before this transaction commits (enforcement/live.py)
        status=PromotedPostStatus.pending,
    )
    record_created(session, actor, "promoted_post", post, changes=data.model_dump(mode="json"))
    bump(session, campaign.advertiser_id)
    return post


def update_promoted_post(
    session: Session, actor: Actor, post_id: int, patch: PromotedPostPatch
) -> PromotedPost:
    post = get(session, PromotedPost, post_id)
    if post.status is PromotedPostStatus.rejected and patch.status not in (
        None,
        PromotedPostStatus.rejected,
    ):
        raise ConflictError(
            f"promoted post {post.id} was rejected by an enforcement decision; "
            "it comes back only if the decision is lifted"
        )
    values = patch.model_dump(exclude_none=True)
    content = {
        name for name in values.keys() & _JUDGED_CONTENT if getattr(post, name) != values[name]
    }
    if post.status is PromotedPostStatus.pending and values.get("status") is (
        PromotedPostStatus.active
    ):
        raise ConflictError(
            f"promoted post {post.id} is waiting to be judged under the policy; "
            "it runs once nothing in the policy stops it"
        )
    # new words, a new landing page or a post brought back are judged again before they run
    running_after = values.get("status", post.status) is PromotedPostStatus.active
    brought_back = running_after and post.status is not PromotedPostStatus.active
    if running_after and (brought_back or content):
        values["status"] = PromotedPostStatus.pending
    changes = apply_changes(post, values)
    if changes:
        record(session, actor, "promoted_post", "update", post.id, changes=changes)
        bump(session, post.campaign.advertiser_id)
    return post


def list_promoted_posts(
    session: Session, campaign_id: int, *, offset: int = 0, limit: int = 50
) -> tuple[list[PromotedPost], int]:
    get(session, Campaign, campaign_id)
    stmt = (
        select(PromotedPost)
        .where(PromotedPost.campaign_id == campaign_id)
        .order_by(PromotedPost.id)
    )
    return page(session, stmt, offset, limit)


def create_placement(session: Session, actor: Actor, key: str, reserve_cpm_cents: int) -> Placement:
    """A place ads are shown, and the lowest CPM it sells at. Admins (or the system) only."""
    if actor.user_id is not None and actor.role is not Role.admin:
        raise ForbiddenError("only an admin creates placements")
    if session.scalar(select(Placement.id).where(Placement.key == key)) is not None:
        raise ConflictError(f"placement {key!r} exists")
    placement = Placement(key=key, reserve_cpm_cents=reserve_cpm_cents)
    record_created(session, actor, "placement", placement)
    bump(session, None)
    return placement
