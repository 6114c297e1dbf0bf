"""Validated field types reject bad input with a message naming the problem."""

from __future__ import annotations

from decimal import Decimal

import pytest
from pydantic import TypeAdapter, ValidationError

from adwarden.domain.fields import CountryCode, Handle, Money, Name, Text, Timestamp, WebUrl


def invalid(kind: object, value: object) -> str:
    with pytest.raises(ValidationError) as caught:
        TypeAdapter(kind).validate_python(value)
    return str(caught.value)


def test_text_refuses_control_characters_and_lone_surrogates() -> None:
    assert "control character" in invalid(Text, "bad\x00byte")
    assert "lone surrogate" in invalid(Text, "half \ud800 pair")
    assert "must not be blank" in invalid(Text, "   ")
    assert TypeAdapter(Text).validate_python("two\nlines") == "two\nlines"


def test_names_are_single_line_nfc_in_any_script() -> None:
    decomposed = "Jose\u0301"  # e + combining acute
    assert TypeAdapter(Name).validate_python(f"  {decomposed} ") == "José"
    assert TypeAdapter(Name).validate_python("Евгений Касперский") == "Евгений Касперский"
    assert "single line" in invalid(Name, "Kaspersky\nLab")


def test_country_codes_and_handles_are_normalised() -> None:
    assert TypeAdapter(CountryCode).validate_python(" ru ") == "RU"
    assert "pattern" in invalid(CountryCode, "RUS")
    assert TypeAdapter(Handle).validate_python("@e_kaspersky") == "e_kaspersky"
    assert "pattern" in invalid(Handle, "e-kaspersky")


def test_money_has_at_most_two_decimals_and_no_nan() -> None:
    assert TypeAdapter(Money).validate_python("94000.5") == Decimal("94000.5")
    assert "decimal places" in invalid(Money, "1.005")
    assert "greater than or equal to 0" in invalid(Money, "-1")
    assert invalid(Money, "NaN")


def test_urls_must_be_http() -> None:
    assert TypeAdapter(WebUrl).validate_python("https://shop.example/a") == "https://shop.example/a"
    assert "URL scheme" in invalid(WebUrl, "javascript:alert(1)")


def test_timestamps_need_a_zone_and_come_back_in_utc() -> None:
    parsed = TypeAdapter(Timestamp).validate_python("2018-01-29T12:00:00+03:00")
    assert parsed.isoformat() == "2018-01-29T09:00:00+00:00"
    assert "timezone" in invalid(Timestamp, "2018-01-29T12:00:00")
