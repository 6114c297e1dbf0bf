"""Finding advertisers by name in any script, through the screening normaliser's keys."""

from __future__ import annotations

from typing import Any

from sqlalchemy import ColumnElement, String, select
from sqlalchemy.orm import InstrumentedAttribute

from adwarden.registry.models import AdvertiserName, AdvertiserNameKey, search_keys
from adwarden.store.compiled import Slots

# Above every character a key can hold (keys are lower-case ASCII letters and digits).
_PAST_PREFIX = "~"


def name_values(query: str) -> tuple[int, dict[str, Any]]:
    """How many parts `query` has for `named`, and the values of its slots: each part, once
    normalised, and the end of the range of keys that start with it ("Касперский" finds
    "Kaspersky Lab")."""
    keys = search_keys(query)
    values: dict[str, Any] = {}
    for n, key in enumerate(keys):
        values[f"name_{n}"] = key
        values[f"name_{n}_end"] = key + _PAST_PREFIX
    return len(keys), values


def named(
    advertiser_id: InstrumentedAttribute[int], parts: int, slot: Slots
) -> list[ColumnElement[bool]]:
    """Conditions that `advertiser_id` has a name with, for each of a query's `parts` (as
    `name_values` gives them), a part that starts with it. A query with nothing to match
    gives a condition nothing meets."""
    if not parts:
        return [advertiser_id.is_(None)]
    return [
        advertiser_id.in_(
            select(AdvertiserName.advertiser_id)
            .join(AdvertiserNameKey, AdvertiserNameKey.name_id == AdvertiserName.id)
            .where(
                AdvertiserNameKey.key >= slot(f"name_{n}", String()),
                AdvertiserNameKey.key < slot(f"name_{n}_end", String()),
            )
        )
        for n in range(parts)
    ]
