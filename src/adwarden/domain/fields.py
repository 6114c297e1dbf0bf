"""Validated field types shared by the API, the CLI and scenario files.

Each type rejects bad input with a message that names the problem, so that
nothing malformed reaches the database (and no engine-specific error, such as
PostgreSQL refusing a NUL byte, can surface as a server error).
"""

from __future__ import annotations

import re
import unicodedata
from datetime import UTC, date, datetime
from decimal import Decimal
from typing import Annotated

from pydantic import (
    AfterValidator,
    AwareDatetime,
    BeforeValidator,
    Field,
    HttpUrl,
    StringConstraints,
    TypeAdapter,
)

_CONTROL = re.compile(r"[\x00-\x08\x0b\x0c\x0e-\x1f\x7f]")


def _clean(value: str) -> str:
    if _CONTROL.search(value):
        raise ValueError("contains a control character")
    try:
        value.encode("utf-8")
    except UnicodeEncodeError:
        raise ValueError("is not valid Unicode text (lone surrogate)") from None
    # NFC so that the same name typed on two keyboards is stored alike.
    value = unicodedata.normalize("NFC", value).strip()
    if not value:
        raise ValueError("must not be blank")
    return value


def _single_line(value: str) -> str:
    if "\n" in value or "\r" in value or "\t" in value:
        raise ValueError("must be a single line")
    return value


Text = Annotated[
    str,
    AfterValidator(_clean),
    StringConstraints(max_length=10_000),
    Field(examples=["Antivirus software for home and business."]),
]
"""Free text: any script, line breaks allowed, no control characters."""

Name = Annotated[
    str,
    AfterValidator(_clean),
    AfterValidator(_single_line),
    Field(max_length=300, examples=["Kaspersky Lab"]),
]
"""A name in any script, one line."""

ShortText = Annotated[
    str,
    AfterValidator(_clean),
    AfterValidator(_single_line),
    Field(max_length=200, examples=["Cybersecurity"]),
]


def _upper(value: object) -> object:
    return value.strip().upper() if isinstance(value, str) else value


CountryCode = Annotated[
    str,
    BeforeValidator(_upper),
    StringConstraints(pattern=r"^[A-Z]{2}$"),
    Field(description="ISO 3166-1 alpha-2 country code, e.g. RU", examples=["RU"]),
]


def _strip_at(value: object) -> object:
    return value.strip().removeprefix("@") if isinstance(value, str) else value


Handle = Annotated[
    str,
    BeforeValidator(_strip_at),
    StringConstraints(pattern=r"^[A-Za-z0-9_]{1,30}$"),
    Field(
        description="account handle without @: letters, digits, underscore", examples=["kaspersky"]
    ),
]


_HTTP_URL: TypeAdapter[HttpUrl] = TypeAdapter(HttpUrl)


def _http_url(value: str) -> str:
    return str(_HTTP_URL.validate_python(_single_line(_clean(value))))


WebUrl = Annotated[
    str,
    AfterValidator(_http_url),
    Field(max_length=2000, description="an http or https URL", examples=["https://shop.example/"]),
]

Money = Annotated[
    Decimal,
    Field(
        ge=0,
        le=Decimal("1000000000"),
        decimal_places=2,
        allow_inf_nan=False,
        description="an amount in the campaign currency, at most two decimals",
        examples=["94000.00"],
    ),
]

Keyword = Annotated[
    str,
    AfterValidator(_clean),
    AfterValidator(_single_line),
    AfterValidator(str.casefold),
    Field(max_length=100, examples=["antivirus"]),
]

IdentifierValue = Annotated[
    str,
    AfterValidator(_clean),
    AfterValidator(_single_line),
    Field(max_length=100, examples=["1027739867473"]),
]


_NUMBER = re.compile(r"\s*[-+]?[0-9]+(\.[0-9]*)?\s*")


def _not_a_number(value: object) -> object:
    # Pydantic would read a number, or a string of digits, as Unix time: 0 would be 1970-01-01.
    if isinstance(value, int | float | Decimal) or (
        isinstance(value, str) and _NUMBER.fullmatch(value)
    ):
        raise ValueError("must be an ISO 8601 string, not a number")
    return value


Day = Annotated[
    date, BeforeValidator(_not_a_number), Field(description="ISO 8601 date, e.g. 2018-01-29")
]


def _to_utc(value: datetime) -> datetime:
    try:
        return value.astimezone(UTC)
    except OverflowError:  # e.g. 0001-01-01T00:00+05:00 lies before year 1 in UTC
        raise ValueError("is out of range once converted to UTC") from None


Timestamp = Annotated[
    AwareDatetime,
    BeforeValidator(_not_a_number),
    AfterValidator(_to_utc),
    Field(description="ISO 8601 with a time zone; stored and returned in UTC"),
]
"""A point in time. A time without a zone is refused rather than guessed."""


def cents(amount: Decimal) -> int:
    return int(amount * 100)


def amount(cents_value: int) -> Decimal:
    return (Decimal(cents_value) / 100).quantize(Decimal("0.01"))
