"""Money on the serving path: micros (millionths of the currency unit), so that the price of
one impression at a CPM in cents stays an integer."""

from __future__ import annotations

from decimal import Decimal

MICROS_PER_CENT = 10_000
MICROS_PER_UNIT = 100 * MICROS_PER_CENT
IMPRESSIONS_PER_MILLE = 1_000


def per_impression(cpm_cents: int) -> int:
    """A CPM in cents as the price of one impression, in micros."""
    return cpm_cents * MICROS_PER_CENT // IMPRESSIONS_PER_MILLE


def in_units(micros: int) -> Decimal:
    return Decimal(micros) / MICROS_PER_UNIT


def words(micros: int, currency: str) -> str:
    """`1,234.56 USD`: rounded to the cent, for people to read."""
    return f"{in_units(micros):,.2f} {currency}"
