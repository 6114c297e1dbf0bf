"""Validated shapes for creating and changing registry records (API, CLI, scenarios)."""

from __future__ import annotations

from datetime import UTC, date, datetime
from typing import Annotated

from pydantic import Field, model_validator

from adwarden.domain.enums import AdvertiserKind, NameKind, PersonRole
from adwarden.domain.fields import (
    CountryCode,
    Day,
    Handle,
    IdentifierValue,
    Name,
    ShortText,
    Text,
    Timestamp,
    WebUrl,
)
from adwarden.domain.inputs import Input

# max_length: the column holds 8 characters ("ru", "sr-Latn"), and the pattern alone allows more.
LangTag = Field(
    default=None, pattern=r"^[a-z]{2,3}(-[A-Za-z0-9]{2,8})*$", max_length=8, examples=["ru"]
)


class NameIn(Input):
    name: Name
    kind: NameKind = NameKind.alias
    lang: str | None = LangTag

    @model_validator(mode="after")
    def _not_primary(self) -> NameIn:
        if self.kind is NameKind.primary:
            raise ValueError(
                "the primary name is the record's `name`; give other names another kind"
            )
        return self


class RegistrationIdIn(Input):
    # Inside Annotated the limit applies after NFC, which can lengthen text, and is the documented one.
    scheme: Annotated[ShortText, Field(max_length=50)] = Field(examples=["OGRN"])
    value: IdentifierValue


class AdvertiserIn(Input):
    kind: AdvertiserKind
    name: Name
    names: list[NameIn] = Field(default=[], max_length=100)
    country: CountryCode | None = None
    industry: ShortText | None = Field(default=None, max_length=100)
    website: WebUrl | None = Field(default=None, max_length=500)  # the column's width
    registration_ids: list[RegistrationIdIn] = Field(default=[], max_length=20)
    notes: Text | None = None


class AdvertiserPatch(Input):
    """Fields to change; a field left out stays as it is."""

    name: Name | None = None
    country: CountryCode | None = None
    industry: ShortText | None = Field(default=None, max_length=100)
    website: WebUrl | None = Field(default=None, max_length=500)  # the column's width
    notes: Text | None = None


class PersonIn(Input):
    name: Name
    names: list[NameIn] = Field(default=[], max_length=100)
    country: CountryCode | None = None
    birth_date: Day | None = None

    @model_validator(mode="after")
    def _born_in_the_past(self) -> PersonIn:
        if (
            self.birth_date is not None
            and not date(1850, 1, 1) <= self.birth_date <= datetime.now(UTC).date()
        ):
            raise ValueError("birth_date must lie between 1850-01-01 and today")
        return self


class PersonRoleIn(Input):
    person_id: int = Field(ge=1, le=2**31 - 1)
    role: PersonRole
    title: ShortText | None = None
    since: Day | None = None
    until: Day | None = None

    @model_validator(mode="after")
    def _ordered(self) -> PersonRoleIn:
        if self.since and self.until and self.until < self.since:
            raise ValueError("until must not be before since")
        return self


class AccountIn(Input):
    handle: Handle
    display_name: ShortText
    advertiser_id: int | None = Field(default=None, ge=1, le=2**31 - 1)
    opened_at: Timestamp | None = None


class AccountPatch(Input):
    display_name: ShortText | None = None
    advertiser_id: int | None = Field(
        default=None, ge=1, le=2**31 - 1, description="set the owning advertiser"
    )
    unowned: bool = Field(default=False, description="true to detach the account from its owner")

    @model_validator(mode="after")
    def _one_owner_change(self) -> AccountPatch:
        if self.unowned and self.advertiser_id is not None:
            raise ValueError("give advertiser_id or unowned, not both")
        return self


class OrganicPostIn(Input):
    text: Text = Field(max_length=5000)
    posted_at: Timestamp
