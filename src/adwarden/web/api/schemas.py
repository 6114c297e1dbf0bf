"""Response shapes of the JSON API. Money is given as decimal strings in the campaign currency."""

from __future__ import annotations

from collections.abc import Callable, Sequence
from datetime import date, datetime
from decimal import Decimal
from typing import Any, Generic, TypeVar

from pydantic import BaseModel, ConfigDict, Field

from adwarden.auth.models import User
from adwarden.domain.enums import (
    AdvertiserKind,
    CampaignStatus,
    NameKind,
    PersonRole,
    PromotedPostStatus,
    Role,
)
from adwarden.domain.fields import amount
from adwarden.domain.inputs import Input
from adwarden.serving.models import Campaign

T = TypeVar("T")


class Out(BaseModel):
    model_config = ConfigDict(from_attributes=True)


class Page(BaseModel, Generic[T]):
    items: list[T]
    total: int = Field(description="rows matching, over all pages")
    offset: int
    limit: int

    @classmethod
    def of(
        cls, rows: Sequence[Any], total: int, offset: int, limit: int, item: Callable[[Any], T]
    ) -> Page[T]:
        return cls(items=[item(row) for row in rows], total=total, offset=offset, limit=limit)


class ErrorOut(BaseModel):
    detail: str


class NameOut(Out):
    name: str
    kind: NameKind
    lang: str | None


class RegistrationIdOut(Out):
    scheme: str
    value: str


class AdvertiserOut(Out):
    id: int
    kind: AdvertiserKind
    name: str
    names: list[NameOut]
    country: str | None
    industry: str | None
    website: str | None
    registration_ids: list[RegistrationIdOut] = Field(validation_alias="identifiers")
    notes: str | None
    created_at: datetime
    updated_at: datetime


class PersonOut(Out):
    id: int
    name: str
    names: list[NameOut]
    country: str | None
    birth_date: date | None
    created_at: datetime


class AdvertiserPersonOut(Out):
    id: int
    advertiser_id: int
    role: PersonRole
    title: str | None
    since: date | None
    until: date | None
    person: PersonOut


class AccountOut(Out):
    id: int
    handle: str
    display_name: str
    advertiser_id: int | None
    opened_at: datetime | None
    ads_eligible: bool = Field(
        description="may promote posts; false while an enforcement decision bars it"
    )
    created_at: datetime


class OrganicPostOut(Out):
    id: int
    account_id: int
    text: str
    posted_at: datetime


class CampaignOut(BaseModel):
    id: int
    advertiser_id: int
    name: str
    currency: str
    daily_budget: Decimal
    lifetime_budget: Decimal
    bid_cpm: Decimal
    payer: str | None
    starts_at: datetime | None
    ends_at: datetime | None
    keywords: list[str]
    countries: list[str]
    status: CampaignStatus
    held: bool = Field(description="paused by an enforcement decision until it is lifted")
    created_at: datetime
    updated_at: datetime

    @classmethod
    def of(cls, campaign: Campaign) -> CampaignOut:
        return cls(
            id=campaign.id,
            advertiser_id=campaign.advertiser_id,
            name=campaign.name,
            currency=campaign.currency,
            daily_budget=amount(campaign.daily_budget_cents),
            lifetime_budget=amount(campaign.lifetime_budget_cents),
            bid_cpm=amount(campaign.bid_cpm_cents),
            payer=campaign.payer,
            starts_at=campaign.starts_at,
            ends_at=campaign.ends_at,
            keywords=campaign.keywords,
            countries=campaign.countries,
            status=campaign.status,
            held=campaign.held,
            created_at=campaign.created_at,
            updated_at=campaign.updated_at,
        )


class PromotedPostOut(Out):
    id: int
    campaign_id: int
    account_id: int
    text: str
    landing_url: str | None
    status: PromotedPostStatus
    created_at: datetime
    updated_at: datetime


class UserOut(BaseModel):
    id: int
    email: str
    name: str
    role: Role
    advertiser_id: int | None

    @classmethod
    def of(cls, user: User) -> UserOut:
        return cls(
            id=user.id,
            email=user.email,
            name=user.name,
            role=user.role,
            advertiser_id=user.advertiser_id,
        )


class TokenRequest(Input):
    email: str = Field(max_length=254)
    password: str = Field(max_length=1000)
    label: str = Field(default="api", min_length=1, max_length=100, pattern=r"^[\w .:-]+$")


class TokenOut(BaseModel):
    token: str = Field(description="shown once; send as `Authorization: Bearer <token>`")
    user: UserOut


class DatabaseHealthOut(BaseModel):
    ok: bool = Field(description="reachable, with a schema")
    reachable: bool
    dialect: str
    schema_revision: str | None
    error: str | None = None


class ServingHealthOut(BaseModel):
    ok: bool = Field(description="its thread runs and its snapshot is not too old")
    started: bool = Field(
        description="this process has an ad server (made by its first ad request)"
    )
    running: bool | None = Field(description="the ad server's background thread is alive")
    listening: bool | None = Field(description="hears other processes' changes (PostgreSQL)")
    snapshot_version: int | None = Field(description="eligibility version of the snapshot")
    database_version: int | None = Field(description="eligibility version in the database")
    version_lag: int | None = Field(description="versions the snapshot is behind by")
    snapshot_age_seconds: float | None = Field(
        description="since the snapshot was loaded or last checked against the database"
    )
    max_snapshot_age_seconds: float
    last_upkeep_at: datetime | None
    last_reload_at: datetime | None
    last_notification_at: datetime | None
    last_error: str | None
    last_error_at: datetime | None
    problems: list[str]


class ListStateOut(BaseModel):
    list: str
    version: int


class ScreeningHealthOut(BaseModel):
    ok: bool = Field(description="the last build of the screening index did not fail")
    building: bool
    waiting: int = Field(description="callers waiting for a build under way")
    lists: list[ListStateOut] | None = Field(description="the lists of the index in use")
    age_seconds: float | None = Field(description="since the index in use was built")
    last_build_seconds: float | None
    builds: int = Field(description="full builds in this process")
    last_error: str | None
    last_error_at: datetime | None


class ProbeOut(BaseModel):
    ok: bool
    detail: dict[str, str | int | float | bool | None]


class QueueHealthOut(ProbeOut):
    registered: bool = Field(description="whether a queue has registered its backlog probe")
    backlog: int | None


class HealthOut(BaseModel):
    status: str = Field(
        description="ok; degraded (a part is not well, requests are still answered); "
        "failing (HTTP 503)"
    )
    failing: list[str] = Field(description="the parts that failed")
    database: DatabaseHealthOut
    serving: ServingHealthOut
    screening: ScreeningHealthOut
    queue: QueueHealthOut
    probes: dict[str, ProbeOut] = Field(description="every other registered probe, by name")
