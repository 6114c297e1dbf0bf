"""Which ads the public repository lists: every ad of a campaign that left its draft, and a
draft's ad once it was shown or a decision was made on it; until then a draft's ad is the
advertiser's unpublished work. Checked through every kind of search and the ad's own page."""

from __future__ import annotations

from datetime import timedelta

from sqlalchemy import insert

from adwarden.domain.enums import CampaignStatus
from adwarden.enforcement.models import Decision
from adwarden.serving.inputs import PromotedPostIn
from adwarden.serving.models import Campaign, PostDelivery
from adwarden.serving.services import create_promoted_post
from adwarden.store.base import utcnow
from adwarden.store.engine import Database
from adwarden.transparency import ads
from adwarden.transparency.ads import AdFilters, AdSort
from support import SYSTEM, make_decision, make_tenant, publish_default_policy, running_ad


def test_a_drafts_ad_is_listed_once_shown_or_decided_on(db: Database) -> None:
    publish_default_policy(db)
    tenant = make_tenant(db, "Draftly")
    with db.transaction() as session:
        campaign = session.get(Campaign, tenant.campaign_id)
        assert campaign is not None
        assert campaign.status is CampaignStatus.draft
        unshown, shown = (
            create_promoted_post(
                session,
                SYSTEM,
                tenant.campaign_id,
                PromotedPostIn(account_id=tenant.account_id, text=f"Zinnia seeds, {label}"),
            ).id
            for label in ("never shown", "shown once")
        )
    now = utcnow()
    with db.engine.begin() as connection:
        connection.execute(
            insert(PostDelivery),
            {
                "promoted_post_id": shown,
                "first_shown_at": now - timedelta(days=2),
                "last_shown_at": now - timedelta(days=1),
                "impressions": 10,
                "clicks": 0,
                "spent_micros": 40_000,
            },
        )
    decision = make_decision(db, tenant)  # a post of the draft, rejected
    running = running_ad(db, tenant, text="Zinnia seeds, on sale")
    with db.sessions() as session:
        decided = session.get(Decision, decision)
        assert decided is not None
        rejected = decided.subject_id

        def found(filters: AdFilters) -> list[int]:
            return list(ads.find(session, filters, offset=0, limit=25).items)

        assert ads.ad_by_id(session, unshown) is None
        for listed in (shown, rejected, running):
            assert ads.ad_by_id(session, listed) is not None, listed
        assert found(AdFilters()) == [running, rejected, shown]
        for sort in AdSort:
            every = found(AdFilters(sort=sort))
            assert sorted(every) == sorted([running, rejected, shown]), sort
        # a rejected ad is found by neither its words nor its advertiser's name
        assert found(AdFilters(text="zinnia")) == [running, shown]
        assert found(AdFilters(text="zinnia", sort=AdSort.spend)) == [shown, running]
        assert found(AdFilters(advertiser="Draftly")) == [running, shown]
        assert found(AdFilters(status=ads.AdStatus.restricted)) == [rejected]
