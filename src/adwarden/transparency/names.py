"""Finding advertisers by name in any script, through the screening normaliser's keys."""

from __future__ import annotations

from sqlalchemy import ColumnElement, select
from sqlalchemy.orm import InstrumentedAttribute

from adwarden.registry.models import AdvertiserName, AdvertiserNameKey, search_keys

# Above every character a key can hold (keys are lower-case ASCII letters and digits).
_PAST_PREFIX = "~"


def named(advertiser_id: InstrumentedAttribute[int], query: str) -> list[ColumnElement[bool]]:
    """Conditions that `advertiser_id` has a name with, for every part of `query`, a part
    that starts with it once both are normalised ("Касперский" finds "Kaspersky Lab").
    A query with nothing to match gives a condition nothing meets."""
    keys = search_keys(query)
    if not keys:
        return [advertiser_id.is_(None)]
    return [
        advertiser_id.in_(
            select(AdvertiserName.advertiser_id)
            .join(AdvertiserNameKey, AdvertiserNameKey.name_id == AdvertiserName.id)
            .where(AdvertiserNameKey.key >= key, AdvertiserNameKey.key < key + _PAST_PREFIX)
        )
        for key in keys
    ]
