"""Validated shapes for campaigns and promoted posts."""

from __future__ import annotations

from datetime import datetime
from decimal import Decimal
from typing import Annotated

from pydantic import Field, field_validator, model_validator

from adwarden.domain.enums import CampaignStatus, PromotedPostStatus
from adwarden.domain.fields import CountryCode, Keyword, Money, ShortText, Text, Timestamp, WebUrl
from adwarden.domain.inputs import Input

Currency = Field(default="USD", pattern=r"^[A-Z]{3}$", description="ISO 4217 code")


def schedule_problem(
    daily: Decimal | int | None,
    lifetime: Decimal | int | None,
    starts_at: datetime | None,
    ends_at: datetime | None,
) -> tuple[str, str] | None:
    """The first broken budget or schedule rule, as (field, message); None if all hold.

    One rule for both places it is checked: input validation and the merged
    state of a campaign after a patch.
    """
    if daily is not None and lifetime is not None and daily > lifetime:
        return "daily_budget", "daily_budget must not exceed lifetime_budget"
    if starts_at is not None and ends_at is not None and ends_at <= starts_at:
        return "ends_at", "ends_at must be after starts_at"
    return None


def check_budgets(
    daily: Decimal | None,
    lifetime: Decimal | None,
    starts_at: datetime | None,
    ends_at: datetime | None,
) -> None:
    if problem := schedule_problem(daily, lifetime, starts_at, ends_at):
        raise ValueError(problem[1])


class CampaignIn(Input):
    name: ShortText
    currency: str = Currency
    daily_budget: Money
    lifetime_budget: Money
    bid_cpm: Money = Field(description="bid per thousand impressions")
    payer: ShortText | None = Field(
        None, description="who pays for the ads, when not the advertiser; shown in public"
    )
    starts_at: Timestamp | None = None
    ends_at: Timestamp | None = None
    keywords: list[Keyword] = Field(default=[], max_length=100)
    countries: list[CountryCode] = Field(
        default=[], max_length=250, description="where to show the ads; empty means everywhere"
    )
    status: CampaignStatus = CampaignStatus.draft

    @model_validator(mode="after")
    def _consistent(self) -> CampaignIn:
        check_budgets(self.daily_budget, self.lifetime_budget, self.starts_at, self.ends_at)
        return self


class CampaignPatch(Input):
    """Fields to change; a field left out stays as it is."""

    name: ShortText | None = None
    daily_budget: Money | None = None
    lifetime_budget: Money | None = None
    bid_cpm: Money | None = None
    payer: ShortText | None = None
    starts_at: Timestamp | None = None
    ends_at: Timestamp | None = None
    keywords: list[Keyword] | None = Field(default=None, max_length=100)
    countries: list[CountryCode] | None = Field(default=None, max_length=250)
    status: CampaignStatus | None = None

    @model_validator(mode="after")
    def _consistent(self) -> CampaignPatch:
        check_budgets(self.daily_budget, self.lifetime_budget, self.starts_at, self.ends_at)
        return self


class PromotedPostIn(Input):
    account_id: int = Field(ge=1, le=2**31 - 1, description="one of the advertiser's own accounts")
    text: Annotated[Text, Field(max_length=5000)]  # so the spec says 5000, not Text's 10000
    landing_url: WebUrl | None = None


class PromotedPostPatch(Input):
    text: Text | None = Field(default=None, max_length=5000)
    landing_url: WebUrl | None = None
    status: PromotedPostStatus | None = None

    @field_validator("status")
    @classmethod
    def _not_rejected(cls, status: PromotedPostStatus | None) -> PromotedPostStatus | None:
        if status in (PromotedPostStatus.rejected, PromotedPostStatus.pending):
            raise ValueError(
                f"a post is {status} only by the policy's judgement: use active or withdrawn"
            )
        return status
