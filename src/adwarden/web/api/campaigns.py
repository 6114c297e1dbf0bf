"""Campaigns and promoted posts. An advertiser's users manage their own; staff may read all."""

from __future__ import annotations

from fastapi import APIRouter, status

from adwarden.domain.actors import Actor
from adwarden.enforcement.live import judge_changes
from adwarden.serving import services
from adwarden.serving.inputs import CampaignIn, CampaignPatch, PromotedPostIn, PromotedPostPatch
from adwarden.serving.models import Campaign, PromotedPost
from adwarden.store.queries import get
from adwarden.web.api.errors import AUTHENTICATED, WRITES
from adwarden.web.api.schemas import CampaignOut, Page, PromotedPostOut
from adwarden.web.deps import (
    AdvertiserActor,
    ApiActor,
    DbSession,
    IdPath,
    Limit,
    Offset,
    ensure_visible,
)

router = APIRouter(tags=["campaigns"], responses=AUTHENTICATED)


def _visible_campaign(session: DbSession, actor: Actor, campaign_id: int) -> Campaign:
    campaign = get(session, Campaign, campaign_id)
    ensure_visible(actor, campaign.advertiser_id, "campaign", campaign_id)
    return campaign


def _visible_post(session: DbSession, actor: Actor, post_id: int) -> PromotedPost:
    post = get(session, PromotedPost, post_id)
    ensure_visible(actor, post.campaign.advertiser_id, "promoted post", post_id)
    return post


@router.get("/advertisers/{advertiser_id}/campaigns", response_model=Page[CampaignOut])
def list_campaigns(
    advertiser_id: IdPath,
    actor: ApiActor,
    session: DbSession,
    offset: Offset = 0,
    limit: Limit = 50,
) -> Page[CampaignOut]:
    ensure_visible(actor, advertiser_id, "advertiser", advertiser_id)
    rows, total = services.list_campaigns(session, advertiser_id, offset=offset, limit=limit)
    return Page.of(rows, total, offset, limit, CampaignOut.of)


@router.post(
    "/advertisers/{advertiser_id}/campaigns",
    response_model=CampaignOut,
    status_code=status.HTTP_201_CREATED,
    responses=WRITES,
)
def create_campaign(
    advertiser_id: IdPath, body: CampaignIn, actor: AdvertiserActor, session: DbSession
) -> CampaignOut:
    ensure_visible(actor, advertiser_id, "advertiser", advertiser_id)
    return CampaignOut.of(services.create_campaign(session, actor, advertiser_id, body))


@router.get("/campaigns/{campaign_id}", response_model=CampaignOut)
def read_campaign(campaign_id: IdPath, actor: ApiActor, session: DbSession) -> CampaignOut:
    return CampaignOut.of(_visible_campaign(session, actor, campaign_id))


@router.patch("/campaigns/{campaign_id}", response_model=CampaignOut, responses=WRITES)
def update_campaign(
    campaign_id: IdPath, body: CampaignPatch, actor: AdvertiserActor, session: DbSession
) -> CampaignOut:
    _visible_campaign(session, actor, campaign_id)
    return CampaignOut.of(services.update_campaign(session, actor, campaign_id, body))


@router.get("/campaigns/{campaign_id}/promoted-posts", response_model=Page[PromotedPostOut])
def list_promoted_posts(
    campaign_id: IdPath,
    actor: ApiActor,
    session: DbSession,
    offset: Offset = 0,
    limit: Limit = 50,
) -> Page[PromotedPostOut]:
    _visible_campaign(session, actor, campaign_id)
    rows, total = services.list_promoted_posts(session, campaign_id, offset=offset, limit=limit)
    return Page.of(rows, total, offset, limit, PromotedPostOut.model_validate)


@router.post(
    "/campaigns/{campaign_id}/promoted-posts",
    response_model=PromotedPostOut,
    status_code=status.HTTP_201_CREATED,
    responses=WRITES,
)
def create_promoted_post(
    campaign_id: IdPath, body: PromotedPostIn, actor: AdvertiserActor, session: DbSession
) -> PromotedPostOut:
    """A new post is judged under the published policy before this answers: its status says
    whether it runs (active), was rejected, or waits for a reviewer (pending)."""
    _visible_campaign(session, actor, campaign_id)
    post = services.create_promoted_post(session, actor, campaign_id, body)
    judge_changes(session)
    return PromotedPostOut.model_validate(post)


@router.get("/promoted-posts/{post_id}", response_model=PromotedPostOut)
def read_promoted_post(post_id: IdPath, actor: ApiActor, session: DbSession) -> PromotedPostOut:
    return PromotedPostOut.model_validate(_visible_post(session, actor, post_id))


@router.patch("/promoted-posts/{post_id}", response_model=PromotedPostOut, responses=WRITES)
def update_promoted_post(
    post_id: IdPath, body: PromotedPostPatch, actor: AdvertiserActor, session: DbSession
) -> PromotedPostOut:
    """New words or a new landing page are judged again before this answers, as is a post
    brought back from withdrawn."""
    _visible_post(session, actor, post_id)
    post = services.update_promoted_post(session, actor, post_id, body)
    judge_changes(session)
    return PromotedPostOut.model_validate(post)
