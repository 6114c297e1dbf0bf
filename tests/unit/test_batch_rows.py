"""Reading a batch file: loose dates, country names in any language, rows that cannot be screened."""

from __future__ import annotations

from pathlib import Path

import pytest

from adwarden.domain.enums import EntityType
from adwarden.domain.errors import InvalidInputError
from adwarden.screening.batch import birth_date, country_code, read_batch
from adwarden.screening.matcher import Query


@pytest.mark.parametrize(
    ("written", "read"),
    [
        ("1969-07-16", "1969-07-16"),
        ("1969-7-16", "1969-07-16"),
        ("1969/07/16", "1969-07-16"),
        ("1969.7.16", "1969-07-16"),
        ("16.7.1969", "1969-07-16"),
        ("16-07-1969", "1969-07-16"),
        ("16/7/1969", "1969-07-16"),  # day first: 16 is no month
        ("7/16/1969", "1969-07-16"),  # month first: 16 is no month either
        ("1/1/1969", "1969-01-01"),
        ("1969-07", "1969-07"),
        ("1969-7", "1969-07"),
        ("1969", "1969"),
        (" 1968-02-29 ", "1968-02-29"),
    ],
)
def test_loose_dates_keep_their_precision(written: str, read: str) -> None:
    assert birth_date(written) == (read, None)


def test_a_date_that_could_be_either_way_round_keeps_its_year() -> None:
    assert birth_date("3/4/1969") == (
        "1969",
        "birth_date '3/4/1969' could be day or month first; year kept",
    )


@pytest.mark.parametrize("written", ["1974-01-32", "1969-02-29", "1969-13", "31.4.1969", "0000"])
def test_an_impossible_date_is_left_out(written: str) -> None:
    assert birth_date(written) == (None, f"birth_date {written!r} is not a real date; left out")


@pytest.mark.parametrize("written", ["soon", "19690716", "July 1969", "69-07-16", "1969-07-16-01"])
def test_what_is_not_a_date_is_left_out(written: str) -> None:
    found, warning = birth_date(written)
    assert found is None
    assert warning is not None
    assert warning.startswith(f"birth_date {written!r} is not a date")


@pytest.mark.parametrize(
    ("written", "code"),
    [
        ("AE", "AE"),
        ("ae", "AE"),
        ("ARE", "AE"),
        ("United Arab Emirates", "AE"),
        ("Vereinigte Arabische Emirate", "AE"),
        ("Émirats arabes unis", "AE"),
        ("الإمارات العربية المتحدة", "AE"),
        ("Россия", "RU"),
        ("Deutschland", "DE"),
        ("England", "GB"),  # part of a country stands for it
    ],
)
def test_countries_by_code_or_name_in_any_language(written: str, code: str) -> None:
    assert country_code(written) == code


@pytest.mark.parametrize("written", ["Narnia", "EU", "Crimea", "Soviet Union", ""])
def test_what_is_not_a_country_today_is_none(written: str) -> None:
    assert country_code(written) is None


def test_read_batch_keeps_every_row_with_its_warnings_or_error(tmp_path: Path) -> None:
    source = tmp_path / "in.csv"
    source.write_text(
        "id,name,type,country,birth_date\n"
        "r1,Ann Example,person,France,16.7.1969\n"
        ",No Id,person,,\n"
        "r3,,organization,,\n"
        "r4,Some Ship,spaceship,Atlantis,1974-01-32\n",
        encoding="utf-8",
    )
    rows = read_batch(source)
    assert [row.id for row in rows] == ["r1", "", "r3", "r4"]
    assert rows[0].query == Query("Ann Example", EntityType.person, "FR", "1969-07-16")
    assert (rows[0].warnings, rows[0].error) == ((), None)
    assert (rows[1].query, rows[1].error) == (None, "line 3: id is empty")
    assert (rows[2].query, rows[2].error) == (None, "line 4: name is empty")
    assert rows[3].query == Query("Some Ship", EntityType.unknown, None, None)
    assert rows[3].warnings == (
        "type 'spaceship' is not person or organization; screened as either",
        "country 'Atlantis' is not a known country; left out",
        "birth_date '1974-01-32' is not a real date; left out",
    )


def test_read_batch_still_refuses_a_file_it_cannot_read(tmp_path: Path) -> None:
    source = tmp_path / "in.csv"
    source.write_text("id,type\nx1,person\n", encoding="utf-8")
    with pytest.raises(InvalidInputError, match="missing column name"):
        read_batch(source)
