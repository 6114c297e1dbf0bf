"""The names of the 2018 case, screened as the product must screen them.

Every spelling of Eugene Kaspersky and of Kaspersky Lab that the coverage used
(shared/CASE-2018.md) matches every other at the default threshold; people and
companies with similar names stay below it; a matcher over a small fictional
list finds the right entry from each spelling and says by which rule. Also the
cross-script pairs of shared/data/eval/cross_script_pairs.csv.
"""

from __future__ import annotations

import csv
import itertools

import pytest

from adwarden.domain.enums import EntityType
from adwarden.screening.compare import compare_names
from adwarden.screening.matcher import IndexedEntry, Match, Matcher, Query
from adwarden.screening.normalize import normalize
from adwarden.screening.scoring import DEFAULT_THRESHOLD, adjust
from shared_data import EVAL

PERSON = EntityType.person
ORG = EntityType.organization

CROSS_SCRIPT = EVAL / "cross_script_pairs.csv"

# As the coverage and the lists write him: English, BGN, scholarly, Russian,
# Greek, and a list's SURNAME, Given order.
PERSON_NAMES = (
    "Eugene Kaspersky",
    "Yevgeny Kaspersky",
    "Evgeny Kaspersky",
    "Evgeniy Kaspersky",
    "Евгений Касперский",
    "Ευγένιος Κασπέρσκι",
    "KASPERSKY, Eugene",
)

# the company's Russian name with its Russian legal form, as the registry writes it
AO_LAB_RU = "АО «Лаборатория Касперского»"  # noqa: RUF001 (the Cyrillic letters are the point)

ORG_NAMES = (
    "Kaspersky Lab",
    "AO Kaspersky Lab",
    "Kaspersky Lab JSC",
    "Лаборатория Касперского",
    AO_LAB_RU,
)


def _pair_id(pair: tuple[str, str]) -> str:
    return f"{pair[0]} | {pair[1]}"


@pytest.mark.parametrize(
    ("left", "right"), list(itertools.permutations(PERSON_NAMES, 2)), ids=_pair_id
)
def test_every_spelling_of_eugene_kaspersky_matches_every_other(left: str, right: str) -> None:
    comparison = compare_names(left, right, PERSON)
    assert comparison.score >= DEFAULT_THRESHOLD, comparison.explanation
    assert comparison.unmatched == ()


@pytest.mark.parametrize(
    ("left", "right"), list(itertools.permutations(ORG_NAMES, 2)), ids=_pair_id
)
def test_every_spelling_of_kaspersky_lab_matches_every_other(left: str, right: str) -> None:
    comparison = compare_names(left, right, ORG)
    assert comparison.score >= DEFAULT_THRESHOLD, comparison.explanation
    assert comparison.unmatched == ()


def test_the_rules_that_join_the_spellings_of_his_name() -> None:
    def explain(left: str, right: str) -> str:
        return compare_names(left, right, PERSON).explanation

    assert "eugene ~ yevgeny (given-name equivalent 0.93)" in explain(
        "Eugene Kaspersky", "Yevgeny Kaspersky"
    )
    assert "yevgeny ~ evgeny (spelling variant 0.97)" in explain(
        "Yevgeny Kaspersky", "Evgeny Kaspersky"
    )
    assert "evgeniy ~ evgeny (spelling variant 0.97)" in explain(
        "Evgeniy Kaspersky", "Evgeny Kaspersky"
    )
    russian = explain("Евгений Касперский", "Eugene Kaspersky")
    assert "transliterated from Cyrillic: evgeny kaspersky" in russian
    assert "evgeny ~ eugene (given-name equivalent 0.93)" in russian
    greek = explain("Ευγένιος Κασπέρσκι", "Yevgeny Kaspersky")
    assert "transliterated from Greek: Evgenios Kasperski" in greek
    assert "evgenios ~ yevgeny (given-name equivalent 0.93)" in greek
    assert "kasperski ~ kaspersky (spelling variant 0.97)" in greek
    assert compare_names("KASPERSKY, Eugene", "Eugene Kaspersky", PERSON).score == 1.0


def test_the_rules_that_join_the_spellings_of_the_company() -> None:
    def explain(left: str, right: str) -> str:
        return compare_names(left, right, ORG).explanation

    assert "legal form AO set aside" in explain("AO Kaspersky Lab", "Kaspersky Lab JSC")
    assert "legal form JSC set aside" in explain("AO Kaspersky Lab", "Kaspersky Lab JSC")
    russian = explain("Лаборатория Касперского", "Kaspersky Lab")
    assert "Касперского → касперский (Russian case ending)" in russian
    assert "laboratoriya ~ lab (same organisation word 0.95)" in russian
    assert "transliterated from Cyrillic" in russian
    with_form = explain(AO_LAB_RU, "AO Kaspersky Lab")
    assert "legal form ao set aside" in with_form.lower()
    assert "kasperskogo → kaspersky (Russian case ending)" in with_form


def test_his_patronymic_is_a_spare_part() -> None:
    for name in ("Yevgeny Valentinovich Kaspersky", "Евгений Валентинович Касперский"):
        for other in PERSON_NAMES:
            comparison = compare_names(name, other, PERSON)
            assert comparison.score >= DEFAULT_THRESHOLD, comparison.explanation
            assert comparison.unmatched == ("valentinovich",)


# Plainly different people and companies with names that look alike.
NEAR_MISSES: list[tuple[str, str, EntityType]] = [
    ("Eugene Kasparov", "Eugene Kaspersky", PERSON),
    ("Yevgeny Kasparov", "Евгений Касперский", PERSON),
    ("Garry Kasparov", "Eugene Kaspersky", PERSON),
    ("Garry Kasparov", "Евгений Касперский", PERSON),
    ("Evgeny Kissin", "Evgeny Kaspersky", PERSON),
    ("Yevgeny Prigozhin", "Yevgeny Kaspersky", PERSON),
    ("Евгений Пригожин", "Евгений Касперский", PERSON),
    # the same family, not the same person: a different first name
    ("Natalya Kaspersky", "Eugene Kaspersky", PERSON),
    ("Natalya Kasperskaya", "Eugene Kaspersky", PERSON),
    ("Наталья Касперская", "Евгений Касперский", PERSON),
    ("Svetlana Ivanova", "Eugene Kaspersky", PERSON),
    ("Kasparov Lab", "Kaspersky Lab", ORG),
    ("AO Kasparov Lab", "AO Kaspersky Lab", ORG),
    ("Positive Technologies", "Kaspersky Lab", ORG),
    # the founder is not the company
    ("Eugene Kaspersky", "Kaspersky Lab", ORG),
    ("Eugene Kaspersky", "Kaspersky Lab", PERSON),
]


@pytest.mark.parametrize(
    ("left", "right", "entity_type"),
    [
        pytest.param(a, b, kind, id=f"{a} | {b} ({kind.value})")
        for x, y, kind in NEAR_MISSES
        for a, b in ((x, y), (y, x))
    ],
)
def test_similar_names_of_other_people_and_companies_stay_below_the_threshold(
    left: str, right: str, entity_type: EntityType
) -> None:
    comparison = compare_names(left, right, entity_type)
    assert comparison.score < DEFAULT_THRESHOLD, comparison.explanation


def test_the_family_name_alone_does_not_make_natalya_eugene() -> None:
    comparison = compare_names("Natalya Kaspersky", "Eugene Kaspersky", PERSON)
    assert {(pair.left, pair.right, pair.rule) for pair in comparison.pairs} == {
        ("kaspersky", "kaspersky", "exact")
    }
    assert set(comparison.unmatched) == {"natalya", "eugene"}
    assert "unmatched: natalya, eugene" in comparison.explanation


# --------------------------------------------------------------------------
# Matcher over a small fictional list
# --------------------------------------------------------------------------

DIRECTIVE = IndexedEntry(
    list_id="test-directive",
    entry_id="TD-1",
    entity_type=ORG,
    names=("AO Kaspersky Lab", "Лаборатория Касперского"),
    countries=("RU",),
)
FOUNDER = IndexedEntry(
    list_id="test-scrutiny",
    entry_id="TS-7",
    entity_type=PERSON,
    names=("Eugene Kaspersky",),
    countries=("RU",),
    birth_dates=("1965-10-04",),
)
ENTRIES = (
    DIRECTIVE,
    FOUNDER,
    IndexedEntry("test-directive", "TD-2", ORG, ("Northwind Trading Ltd",), ("GB",)),
    IndexedEntry("test-directive", "TD-3", ORG, ("Bluefjord Analytics AS",), ("NO",)),
    IndexedEntry("test-scrutiny", "TS-8", PERSON, ("Anna Fiktivnaya",), ("RU",), ("1971-03-02",)),
    IndexedEntry("test-scrutiny", "TS-9", PERSON, ("Yevgeny Kasparyan",), ("AM",), ("1980-06-30",)),
    # a fictional look-alike, written close enough to match but not exactly
    IndexedEntry("test-lookalikes", "TL-1", ORG, ("Kasperski Laboratories",), ("CY",)),
)


@pytest.fixture(scope="module")
def matcher() -> Matcher:
    return Matcher(ENTRIES)


def _ids(matches: list[Match]) -> list[tuple[str, str]]:
    return [(match.list_id, match.entry_id) for match in matches]


def test_matcher_indexes_every_name(matcher: Matcher) -> None:
    assert matcher.name_count == sum(len(entry.names) for entry in ENTRIES)


@pytest.mark.parametrize(
    ("name", "entity_type", "best_name", "phrases"),
    [
        ("Eugene Kaspersky", PERSON, "Eugene Kaspersky", ["eugene = eugene"]),
        ("Yevgeny Kaspersky", PERSON, "Eugene Kaspersky", ["given-name equivalent"]),
        ("Evgeny Kaspersky", EntityType.unknown, "Eugene Kaspersky", ["given-name equivalent"]),
        ("Evgeniy Kaspersky", PERSON, "Eugene Kaspersky", ["given-name equivalent"]),
        (
            "Евгений Касперский",
            PERSON,
            "Eugene Kaspersky",
            ["transliterated from Cyrillic", "given-name equivalent"],
        ),
        (
            "Ευγένιος Κασπέρσκι",
            PERSON,
            "Eugene Kaspersky",
            ["transliterated from Greek", "spelling variant"],
        ),
        ("KASPERSKY, Eugene", PERSON, "Eugene Kaspersky", ["kaspersky = kaspersky"]),
    ],
)
def test_matcher_finds_the_founder_from_each_spelling(
    matcher: Matcher, name: str, entity_type: EntityType, best_name: str, phrases: list[str]
) -> None:
    matches = matcher.match(Query(name, entity_type))
    assert _ids(matches) == [("test-scrutiny", "TS-7")]
    best = matches[0]
    assert best.name == best_name
    assert best.score >= DEFAULT_THRESHOLD
    for phrase in phrases:
        assert phrase in best.explanation, best.explanation


@pytest.mark.parametrize(
    ("name", "best_name", "phrases"),
    [
        ("Kaspersky Lab", "AO Kaspersky Lab", ["legal form AO set aside"]),
        ("Kaspersky Lab JSC", "AO Kaspersky Lab", ["legal form JSC set aside"]),
        ("AO Kaspersky Lab", "AO Kaspersky Lab", ["kaspersky = kaspersky", "lab = lab"]),
        (
            "Лаборатория Касперского",
            "Лаборатория Касперского",
            ["Russian case ending", "transliterated from Cyrillic"],
        ),
        (AO_LAB_RU, "Лаборатория Касперского", ["legal form", "Russian case ending"]),
        ("Laboratoriya Kasperskogo", "Лаборатория Касперского", ["Russian case ending"]),
        ("Kaspersky Laboratory", "AO Kaspersky Lab", ["same organisation word"]),
    ],
)
def test_matcher_finds_the_company_from_each_spelling_best_first(
    matcher: Matcher, name: str, best_name: str, phrases: list[str]
) -> None:
    matches = matcher.match(Query(name, ORG))
    assert matches, name
    best = matches[0]
    assert (best.list_id, best.entry_id) == ("test-directive", "TD-1")
    assert best.name == best_name
    for phrase in phrases:
        assert phrase in best.explanation, best.explanation
    # best first; the fictional look-alike may follow, nothing else
    scores = [match.score for match in matches]
    assert scores == sorted(scores, reverse=True)
    assert set(_ids(matches[1:])) <= {("test-lookalikes", "TL-1")}


def test_matcher_ranks_the_exact_entry_above_the_look_alike(matcher: Matcher) -> None:
    matches = matcher.match(Query("Kaspersky Lab", ORG))
    assert _ids(matches) == [("test-directive", "TD-1"), ("test-lookalikes", "TL-1")]
    assert matches[0].score == 1.0
    assert DEFAULT_THRESHOLD <= matches[1].score < matches[0].score
    assert "spelling variant" in matches[1].explanation
    assert "same organisation word" in matches[1].explanation


@pytest.mark.parametrize(
    ("name", "entity_type"),
    [
        ("Garry Kasparov", PERSON),
        ("Natalya Kaspersky", PERSON),
        ("Yevgeny Prigozhin", PERSON),
        ("Evgeny Kissin", PERSON),
        ("Kasparov Lab", ORG),
        ("Positive Technologies", ORG),
    ],
)
def test_matcher_finds_nothing_for_other_people_and_companies(
    matcher: Matcher, name: str, entity_type: EntityType
) -> None:
    assert matcher.match(Query(name, entity_type)) == []


def test_matcher_notes_a_type_mismatch_and_it_costs_the_match(matcher: Matcher) -> None:
    # the founder's name asked about as a company: the person entry scores 1.0 * 0.8
    assert _ids(matcher.match(Query("Eugene Kaspersky", ORG))) == []
    matches = matcher.match(Query("Eugene Kaspersky", ORG), threshold=0.7)
    founder = [match for match in matches if match.entry_id == "TS-7"]
    assert len(founder) == 1
    assert founder[0].score == pytest.approx(0.8)
    assert "type differs: organization vs person" in founder[0].explanation


# The name scores 0.895 on its own (a spare patronymic): low enough that what
# dates of birth and countries add and take away shows, without reaching 1.0.
WITH_PATRONYMIC = "Yevgeny Valentinovich Kaspersky"


@pytest.mark.parametrize(
    ("birth_date", "country", "note", "matches_at_default"),
    [
        (None, None, None, True),
        ("1965-10-04", None, "date of birth 1965-10-04 on both", True),
        ("1965", None, "born 1965 on both", True),
        ("1966-10-04", None, "born a year apart", False),
        ("1980-01-01", None, "date of birth differs", False),
        (None, "RU", "country RU on both", True),
        (None, "ru", "country RU on both", True),
        (None, "US", "country differs: US vs RU", False),
    ],
)
def test_matcher_birth_date_and_country_move_the_score_as_scoring_says(
    matcher: Matcher,
    birth_date: str | None,
    country: str | None,
    note: str | None,
    matches_at_default: bool,
) -> None:
    query = Query(WITH_PATRONYMIC, PERSON, country=country, birth_date=birth_date)
    name_score = compare_names(WITH_PATRONYMIC, "Eugene Kaspersky", PERSON).score
    expected, notes = adjust(
        name_score,
        PERSON,
        FOUNDER.entity_type,
        birth_date,
        FOUNDER.birth_dates,
        country,
        FOUNDER.countries,
    )
    assert notes == [] if note is None else any(note in n for n in notes)
    found = [m for m in matcher.match(query, threshold=0.0) if m.entry_id == "TS-7"]
    assert len(found) == 1
    assert found[0].score == expected
    if note is not None:
        assert note in found[0].explanation
    at_default = [m.entry_id for m in matcher.match(query)]
    assert ("TS-7" in at_default) is matches_at_default


def test_matcher_same_birth_date_scores_above_the_name_alone(matcher: Matcher) -> None:
    def score(birth_date: str | None) -> float:
        query = Query(WITH_PATRONYMIC, PERSON, birth_date=birth_date)
        return next(m.score for m in matcher.match(query, threshold=0.0) if m.entry_id == "TS-7")

    assert score("1965-10-04") > score("1965") > score(None) > score("1966") > score("1990")


def test_matcher_lists_filter(matcher: Matcher) -> None:
    query = Query("Kaspersky Lab", ORG)
    assert _ids(matcher.match(query, lists={"test-directive"})) == [("test-directive", "TD-1")]
    assert _ids(matcher.match(query, lists={"test-lookalikes"})) == [("test-lookalikes", "TL-1")]
    assert matcher.match(query, lists={"test-scrutiny"}) == []
    assert matcher.match(query, lists=set()) == []
    assert _ids(matcher.match(query, lists=None)) == _ids(matcher.match(query))
    assert len(matcher.match(query, lists={"test-directive", "test-lookalikes"})) == 2


def test_matcher_threshold_is_the_default_unless_given(matcher: Matcher) -> None:
    query = Query("Natalya Kaspersky", PERSON)
    assert matcher.match(query) == matcher.match(query, threshold=DEFAULT_THRESHOLD) == []
    loose = matcher.match(query, threshold=0.5)
    assert ("test-scrutiny", "TS-7") in _ids(loose)
    assert all(match.score >= 0.5 for match in loose)


def test_matcher_empty_query_finds_nothing(matcher: Matcher) -> None:
    assert matcher.match(Query("", PERSON)) == []
    assert matcher.match(Query("«»", ORG)) == []


# --------------------------------------------------------------------------
# Cross-script pairs from the shared evaluation data
# --------------------------------------------------------------------------

ASSERTED_SCRIPTS = frozenset({"Cyrillic", "Arabic", "Greek", "Hebrew"})


def _cross_script_rows() -> list[tuple[str, str, float, str]]:
    with CROSS_SCRIPT.open(encoding="utf-8", newline="") as handle:
        lines = [line for line in handle if line.strip() and not line.startswith("#")]
    return [
        (query, expected, float(low), about) for query, expected, low, about in csv.reader(lines)
    ]


def _rows_in(scripts: frozenset[str]) -> list[tuple[str, str, float, str]]:
    return [row for row in _cross_script_rows() if normalize(row[0], PERSON).scripts & scripts]


def test_cross_script_file_has_the_rows_we_assert() -> None:
    rows = _rows_in(ASSERTED_SCRIPTS)
    assert len(rows) >= 10
    assert {normalize(query, PERSON).scripts & ASSERTED_SCRIPTS for query, *_ in rows} == {
        frozenset({script}) for script in ASSERTED_SCRIPTS
    }


@pytest.mark.parametrize(
    ("query", "expected", "low", "about"),
    [pytest.param(*row, id=f"{row[0]} -> {row[1]}") for row in _rows_in(ASSERTED_SCRIPTS)],
)
def test_cross_script_pairs_match_as_persons(
    query: str, expected: str, low: float, about: str
) -> None:
    comparison = compare_names(query, expected, PERSON)
    assert comparison.score >= DEFAULT_THRESHOLD, f"{about}: {comparison.explanation}"
    assert comparison.score >= low, f"{about}: {comparison.explanation}"
    assert "transliterated from" in comparison.explanation
