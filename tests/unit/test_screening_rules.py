"""Every rule the name matcher applies, one test (or more) per rule.

The spelling folds, the Russian case endings, consonant skeletons, the
given-name and organisation-word groups, what `normalize` does to a name, the
rule `part_similarity` picks for a pair of parts, how `_regroup` rejoins
split words and initials, and each branch of `scoring.adjust`. Tests assert
the rule names that reach explanations, not only scores.
"""

from __future__ import annotations

import itertools

import pytest

from adwarden.domain.enums import EntityType
from adwarden.screening import scoring
from adwarden.screening.compare import (
    ABJAD,
    EXACT,
    GIVEN_NAME,
    INITIAL,
    ORG_WORD,
    PHONETIC,
    VARIANT,
    Part,
    _edit,
    _regroup,
    compare_names,
    part_similarity,
)
from adwarden.screening.matcher import IndexedEntry, Matcher, Query
from adwarden.screening.normalize import PARTICLES, normalize
from adwarden.screening.scoring import DEFAULT_THRESHOLD, adjust
from adwarden.screening.variants import (
    _FOLDS,
    _GIVEN_NAME_GROUPS,
    _ORG_WORD_GROUPS,
    GENERIC_ORG_WORDS,
    GIVEN_NAMES,
    ORG_WORDS,
    consonants,
    fold,
    russian_nominative,
)

PERSON = EntityType.person
ORG = EntityType.organization
# the company's Russian name with its Russian legal form, as the registry writes it
AO_LAB_RU = "АО «Лаборатория Касперского»"  # noqa: RUF001 (the Cyrillic letters are the point)


def part(text: str, entity_type: EntityType = PERSON) -> Part:
    """The single part a one-word name normalises to."""
    parts = normalize(text, entity_type).parts
    assert len(parts) == 1, parts
    return parts[0]


def forms(parts: tuple[Part, ...]) -> list[str]:
    return [p.form for p in parts]


def rules(text_a: str, text_b: str, entity_type: EntityType = PERSON) -> dict[tuple[str, str], str]:
    comparison = compare_names(text_a, text_b, entity_type)
    return {(pair.left, pair.right): pair.rule for pair in comparison.pairs}


# --------------------------------------------------------------------------
# variants.fold: one test row per rewrite in _FOLDS, spellings that must meet
# --------------------------------------------------------------------------

# (rule it exercises, spellings of one name, the folded spelling they share)
FOLD_CASES: list[tuple[str, tuple[str, ...], str]] = [
    (
        "-skiy/-skii/-skij/-ski/-skyi/-skyj -> -sky",
        ("kaspersky", "kasperskiy", "kasperskii", "kasperskij", "kasperski", "kasperskyi"),
        "kasperski",
    ),
    ("-iy/-ii/-ij/-yi/-yy -> -y", ("evgeniy", "evgenii", "evgenij", "evgeny"), "evgeni"),
    ("-ii/-iy -> -y (Dmitrii)", ("dmitrii", "dmitriy", "dmitry", "dmitri"), "dmitri"),
    ("-yy -> -y (Zelenskyy)", ("zelenskyy", "zelenskiy", "zelensky"), "zelenski"),
    ("^ye -> e", ("yevgeny", "evgeny"), "evgeni"),
    ("^ye -> e (Yelena)", ("yelena", "elena"), "elena"),
    ("^je before v/w -> e (German)", ("jewgeni", "jevgenij", "evgeny"), "evgeni"),
    ("^iu/^ju -> yu", ("iuri", "juri", "yuri", "yury"), "yuri"),
    ("^iu/^ju -> yu (Julia)", ("julia", "iulia", "yulia"), "yulia"),
    ("^ia/^ja -> ya", ("jakov", "iakov", "yakov"), "yakov"),
    ("vowel + iu/ju -> yu", ("nikolaiuk", "nikolajuk", "nikolayuk"), "nikolayuk"),
    ("vowel + ia/ja -> ya", ("zoia", "zoja", "zoya"), "zoya"),
    ("tsch -> ch", ("tschaikowsky", "chaikovsky"), "chaikovski"),
    ("sch -> sh", ("schmidt", "shmidt"), "shmidt"),
    ("tch -> ch", ("tchaikovsky", "chaikovsky"), "chaikovski"),
    ("dzh -> j", ("dzhokhar", "jokhar"), "johar"),
    ("zh -> j", ("zhukov", "joukov"), "jukov"),
    ("kh -> h", ("khodorkovsky", "hodorkovsky"), "hodorkovski"),
    ("kh -> h (Mikhail)", ("mikhail", "mihail"), "mihail"),
    ("ph -> f", ("joseph", "josef"), "josef"),
    ("ph -> f (Philip)", ("philip", "filip"), "filip"),
    ("w -> v", ("wladimir", "vladimir"), "vladimir"),
    ("x -> ks", ("alexander", "aleksander"), "aleksander"),
    ("x -> ks (Alexey)", ("alexey", "aleksei", "aleksey"), "aleksei"),
    ("ck -> k", ("frederick", "frederik"), "frederik"),
    ("q -> k", ("qasim", "kasim"), "kasim"),
    ("ou -> u", ("mousa", "musa"), "musa"),
    ("oo -> u", ("mahmood", "mahmud"), "mahmud"),
    ("ee -> i", ("deepak", "dipak"), "dipak"),
    ("doubled letters", ("mohammed", "mohamed"), "mohamed"),
    ("doubled letters (Kauffmann)", ("kauffmann", "kaufman"), "kaufman"),
    ("final -y -> -i", ("dmitry", "dmitri"), "dmitri"),
]


@pytest.mark.parametrize(
    ("spellings", "expected"),
    [pytest.param(spellings, expected, id=rule) for rule, spellings, expected in FOLD_CASES],
)
def test_fold_collapses_transliteration_variants(spellings: tuple[str, ...], expected: str) -> None:
    assert {spelling: fold(spelling) for spelling in spellings} == dict.fromkeys(
        spellings, expected
    )


def _rules_fired(token: str) -> set[int]:
    fired: set[int] = set()
    for index, (pattern, replacement) in enumerate(_FOLDS):
        rewritten = pattern.sub(replacement, token)
        if rewritten != token:
            fired.add(index)
        token = rewritten
    return fired


def test_every_fold_rule_is_exercised_by_the_cases_above() -> None:
    fired = set().union(
        *(_rules_fired(spelling) for _, spellings, _ in FOLD_CASES for spelling in spellings)
    )
    missing = [_FOLDS[index][0].pattern for index in range(len(_FOLDS)) if index not in fired]
    assert missing == []


def test_fold_leaves_a_plain_name_alone_and_keeps_different_names_apart() -> None:
    assert fold("ivan") == "ivan"
    assert fold("putin") == "putin"
    assert fold("kasparov") != fold("kaspersky")
    assert fold("natalya") != fold("evgeny")


def test_fold_sky_rule_needs_the_s_so_other_ki_endings_stay() -> None:
    # -ski is the -sky adjective; -ki after anything else is not (Japanese, Polish -cki)
    assert fold("kovalski") == fold("kovalsky") == "kovalski"
    assert fold("suzuki") == "suzuki"
    assert fold("nowicki") == "noviki"  # w -> v and ck -> k, but no -ky


# --------------------------------------------------------------------------
# variants.russian_nominative
# --------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("oblique", "nominative"),
    [
        ("касперского", "касперский"),  # genitive: Лаборатория Касперского
        ("касперскому", "касперский"),  # dative
        ("касперским", "касперский"),  # instrumental
        ("касперском", "касперский"),  # prepositional
        ("троцкого", "троцкий"),
        ("троцкому", "троцкий"),
        ("троцким", "троцкий"),
        ("троцком", "троцкий"),
        ("Касперского", "Касперский"),  # the stem keeps its capital
    ],
)
def test_russian_nominative_undoes_cyrillic_adjectival_case_endings(
    oblique: str, nominative: str
) -> None:
    assert russian_nominative(oblique) == nominative


@pytest.mark.parametrize(
    ("oblique", "nominative"),
    [
        ("kasperskogo", "kaspersky"),
        ("kasperskomu", "kaspersky"),
        ("trotskogo", "trotsky"),
        ("trotskomu", "trotsky"),
        ("nevskogo", "nevsky"),
    ],
)
def test_russian_nominative_undoes_transliterated_endings(oblique: str, nominative: str) -> None:
    assert russian_nominative(oblique) == nominative


@pytest.mark.parametrize(
    "word",
    [
        "ского",  # five letters: too short to be a surname with this ending
        "ским",
        "skogo",
        "ivan",
        "петрова",  # feminine surname (or genitive of Петров): left alone
        "ивановой",
        "касперская",  # feminine of Касперский
        "kasperskaya",
        "ivanova",
        "petrova",
        "kaspersky",  # already nominative
        "касперский",
        "лаборатория",
    ],
)
def test_russian_nominative_leaves_short_feminine_and_nominative_words(word: str) -> None:
    assert russian_nominative(word) == word


# --------------------------------------------------------------------------
# variants.consonants
# --------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("spellings", "skeleton"),
    [
        (("mohammed", "muhammad", "mohamed", "mhmd"), "mhmd"),
        (("hussein", "husayn", "husein", "hsn"), "hsn"),
        (("ahmed", "ahmad", "ahmd"), "hmd"),
        (("khaled", "khalid", "khald"), "hld"),  # folded first: kh -> h
        (("abdullah", "abdallah"), "bdlh"),  # and doubled letters collapse
        (("moshe", "msh"), "msh"),
    ],
)
def test_consonants_gives_abjad_spellings_one_skeleton(
    spellings: tuple[str, ...], skeleton: str
) -> None:
    assert {consonants(s) for s in spellings} == {skeleton}


def test_consonants_treats_y_as_a_vowel_and_keeps_an_all_vowel_word() -> None:
    assert consonants("yusuf") == "sf"
    assert consonants("aya") == "aya"  # nothing left: the word itself, never ""
    assert consonants("ea") == "ea"


# --------------------------------------------------------------------------
# variants.GIVEN_NAMES and ORG_WORDS
# --------------------------------------------------------------------------


@pytest.mark.parametrize("group", _GIVEN_NAME_GROUPS, ids=lambda group: group[0])
def test_every_given_name_in_a_group_maps_to_the_group(group: tuple[str, ...]) -> None:
    assert {name: GIVEN_NAMES[fold(name)] for name in group} == dict.fromkeys(group, fold(group[0]))


@pytest.mark.parametrize("group", _ORG_WORD_GROUPS, ids=lambda group: group[0])
def test_every_organisation_word_in_a_group_maps_to_the_group(group: tuple[str, ...]) -> None:
    assert {word: ORG_WORDS[fold(word)] for word in group} == dict.fromkeys(group, fold(group[0]))


def test_no_spelling_belongs_to_two_groups() -> None:
    for groups in (_GIVEN_NAME_GROUPS, _ORG_WORD_GROUPS):
        owners: dict[str, set[str]] = {}
        for group in groups:
            for name in group:
                owners.setdefault(fold(name), set()).add(group[0])
        assert {key: o for key, o in owners.items() if len(o) > 1} == {}


def test_given_names_cover_unlisted_spellings_through_the_fold() -> None:
    # not written in the group, but folded onto a spelling that is
    for spelling in ("yevgeny", "yevgeniy", "evgeniy", "jewgeni", "evgenij"):
        assert GIVEN_NAMES[fold(spelling)] == "eugene", spelling
    assert GIVEN_NAMES[fold("dmitriy")] == GIVEN_NAMES[fold("dimitri")]
    assert GIVEN_NAMES[fold("aleksandr")] == GIVEN_NAMES[fold("alexander")]
    assert GIVEN_NAMES[fold("natalya")] != GIVEN_NAMES[fold("eugene")]
    assert fold("garry") not in GIVEN_NAMES


def test_org_words_translate_and_generic_words_are_known() -> None:
    assert ORG_WORDS[fold("laboratoriya")] == ORG_WORDS[fold("lab")] == "lab"
    assert ORG_WORDS[fold("laboratories")] == "lab"
    assert ORG_WORDS[fold("banque")] == ORG_WORDS[fold("bank")]
    assert ORG_WORDS[fold("ltd")] == fold("limited")
    assert fold("kaspersky") not in ORG_WORDS
    assert {fold("company"), fold("holding"), fold("limited")} <= GENERIC_ORG_WORDS
    assert fold("lab") not in GENERIC_ORG_WORDS  # a lab says what kind of work, not nothing


# --------------------------------------------------------------------------
# normalize
# --------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("text", "script", "latin", "parts"),
    [
        ("Евгений Касперский", "Cyrillic", "evgeny kaspersky", ["evgeny", "kaspersky"]),
        ("Ευγένιος Κασπέρσκι", "Greek", "Evgenios Kasperski", ["evgenios", "kasperski"]),
        ("محمد علي", "Arabic", "mhmd", ["mhmd", "ly"]),
        ("习近平", "Han", "xi jin ping", ["xi", "jin", "ping"]),
        ("김정은", "Hangul", "gimjeong-eun", ["gimjeong", "eun"]),
    ],
)
def test_normalize_transliterates_and_notes_the_script(
    text: str, script: str, latin: str, parts: list[str]
) -> None:
    form = normalize(text, PERSON)
    assert forms(form.parts) == parts
    assert script in form.scripts
    assert any(note.startswith(f"transliterated from {script}: ") for note in form.notes)
    assert latin in " ".join(form.notes)


def test_normalize_latin_name_has_no_transliteration_note() -> None:
    form = normalize("Eugene Kaspersky", PERSON)
    assert form.scripts == frozenset({"Latin"})
    assert form.notes == ()
    assert not form.abjad


def test_normalize_marks_abjad_scripts() -> None:
    assert normalize("محمد علي", PERSON).abjad
    assert normalize("משה", PERSON).abjad
    assert not normalize("Евгений", PERSON).abjad


def test_normalize_cyrillic_case_ending_is_noted() -> None:
    form = normalize("Лаборатория Касперского", ORG)
    assert forms(form.parts) == ["laboratoriya", "kaspersky"]
    assert "Касперского → касперский (Russian case ending)" in form.notes
    assert "transliterated from Cyrillic: laboratoriya kaspersky" in form.notes


def test_normalize_latin_case_ending_is_noted() -> None:
    form = normalize("Laboratoriya Kasperskogo", ORG)
    assert forms(form.parts) == ["laboratoriya", "kaspersky"]
    assert form.notes == ("kasperskogo → kaspersky (Russian case ending)",)


@pytest.mark.parametrize(
    ("text", "legal_form", "parts"),
    [
        ("AO Kaspersky Lab", "AO", ["kaspersky", "lab"]),
        ("Kaspersky Lab JSC", "JSC", ["kaspersky", "lab"]),
        ("OOO Romashka", "OOO", ["romashka"]),
        ("Northwind Trading LLC", "LLC", ["northwind", "trading"]),
        ("Northwind Ltd", "Ltd", ["northwind"]),
        ("Beispiel GmbH", "GmbH", ["beispiel"]),
    ],
)
def test_normalize_sets_legal_forms_aside_for_organisations(
    text: str, legal_form: str, parts: list[str]
) -> None:
    form = normalize(text, ORG)
    assert forms(form.parts) == parts
    assert form.legal_forms == (legal_form,)
    assert f"legal form {legal_form} set aside" in form.notes


def test_normalize_sets_a_legal_form_aside_for_an_unknown_type_too() -> None:
    assert normalize("Northwind LLC", EntityType.unknown).legal_forms == ("LLC",)


def test_normalize_sets_a_cyrillic_legal_form_aside() -> None:
    form = normalize(AO_LAB_RU, ORG)
    assert forms(form.parts) == ["laboratoriya", "kaspersky"]
    assert [f.lower() for f in form.legal_forms] == ["ao"]
    assert any("legal form" in note for note in form.notes)
    assert "kasperskogo → kaspersky (Russian case ending)" in form.notes


def test_normalize_keeps_legal_form_words_in_a_persons_name() -> None:
    form = normalize("AO Ivanov", PERSON)
    assert forms(form.parts) == ["ao", "ivanov"]
    assert form.legal_forms == ()
    assert not any("legal form" in note for note in form.notes)
    assert forms(normalize("John Smith LLC", PERSON).parts) == ["john", "smith", "llc"]


def test_normalize_keeps_a_name_that_is_only_a_legal_form() -> None:
    form = normalize("LLC", ORG)
    assert forms(form.parts) == ["llc"]
    assert form.legal_forms == ()


@pytest.mark.parametrize(
    ("text", "parts"),
    [
        ("Pérez", ["perez"]),
        ("Müller", ["muller"]),
        ("José Núñez", ["jose", "nunez"]),
        ("O'Brien", ["obrien"]),
        ("Jean-Claude Van Damme", ["jean", "claude", "van", "damme"]),
        ("PUTIN, Vladimir", ["putin", "vladimir"]),
        ("KASPERSKY, Eugene", ["kaspersky", "eugene"]),
        ("  Eugene   Kaspersky ", ["eugene", "kaspersky"]),
        ("E. Kaspersky", ["e", "kaspersky"]),
    ],
)
def test_normalize_folds_diacritics_punctuation_and_case(text: str, parts: list[str]) -> None:
    assert forms(normalize(text, PERSON).parts) == parts


def test_comma_inverted_name_matches_the_natural_order() -> None:
    comparison = compare_names("PUTIN, Vladimir", "Vladimir Putin", PERSON)
    assert comparison.score == 1.0
    assert {pair.rule for pair in comparison.pairs} == {"exact"}


def test_normalize_fills_every_field_of_a_part() -> None:
    evgeny = normalize("Евгений Касперский", PERSON).parts[0]
    assert evgeny.form == "evgeny"
    assert evgeny.key == "evgeni"
    assert evgeny.skeleton == "gn"  # v, like w, can be a written vowel in an abjad
    assert evgeny.given == "eugene"
    assert evgeny.org_word is None
    assert evgeny.sound  # metaphone
    assert evgeny.symbols  # rigour's name identities, persons only
    lab = normalize("Kaspersky Lab", ORG).parts[1]
    assert lab.org_word == "lab"
    assert lab.symbols == frozenset()


def test_part_weights_favour_long_distinctive_parts() -> None:
    assert part("bin").weight == 0.2  # a particle
    assert "bin" in PARTICLES
    assert part("j").weight == 0.35  # an initial
    assert part("holding", ORG).weight == 0.3  # generic for an organisation...
    assert part("holding", PERSON).weight > 0.3  # ...but not in a person's name
    assert part("kaspersky").weight > part("ivan").weight > part("e").weight


def test_normalize_of_an_empty_name_has_no_parts() -> None:
    assert normalize("", PERSON).parts == ()
    assert compare_names("", "Eugene Kaspersky", PERSON).score == 0.0


# --------------------------------------------------------------------------
# compare.part_similarity: the rule that matched a pair of parts
# --------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("a", "b", "abjad", "score", "rule"),
    [
        ("Kaspersky", "kaspersky", False, EXACT, "exact"),
        ("Kaspersky", "Kasperskiy", False, VARIANT, "spelling variant"),
        ("Yevgeny", "Evgeniy", False, VARIANT, "spelling variant"),
        ("Schmidt", "Shmidt", False, VARIANT, "spelling variant"),
        ("Khodorkovsky", "Hodorkovsky", False, VARIANT, "spelling variant"),
        ("Eugene", "Evgeny", False, GIVEN_NAME, "given-name equivalent"),
        ("Eugene", "Yevgeny", False, GIVEN_NAME, "given-name equivalent"),
        ("Alexander", "Aleksandr", False, GIVEN_NAME, "given-name equivalent"),
        ("Pyotr", "Peter", False, GIVEN_NAME, "given-name equivalent"),
        ("Elena", "Helena", False, GIVEN_NAME, "given-name equivalent"),
        ("J", "Jean", False, INITIAL, "initial"),
        ("Abdel", "Abdul", True, ABJAD, "transliteration by consonants"),
        ("Smith", "Smyth", True, ABJAD, "transliteration by consonants"),
        ("Catherine", "Kathryn", False, PHONETIC, "phonetic"),
        ("Petrov", "Petrof", False, PHONETIC, "phonetic"),
        ("Abdel", "Abdul", False, PHONETIC, "phonetic"),  # no abjad: by sound instead
    ],
)
def test_part_similarity_names_its_rule(
    a: str, b: str, abjad: bool, score: float, rule: str
) -> None:
    assert part_similarity(part(a), part(b), abjad) == (score, rule)
    assert part_similarity(part(b), part(a), abjad) == (score, rule)


def test_part_similarity_same_organisation_word() -> None:
    lab, laboratoriya = part("Lab", ORG), part("Laboratoriya", ORG)
    assert part_similarity(lab, laboratoriya, False) == (ORG_WORD, "same organisation word")
    assert part_similarity(part("Bank", ORG), part("Banque", ORG), False) == (
        ORG_WORD,
        "same organisation word",
    )


def test_part_similarity_given_name_from_rigour_symbols_needs_the_same_first_letter() -> None:
    # rigour links these as one name; they start alike, so they are trusted
    marko, marco = part("Marko"), part("Marco")
    assert marko.symbols & marco.symbols
    assert marko.given is None
    assert part_similarity(marko, marco, False) == (GIVEN_NAME, "given-name equivalent")
    # rigour links Sasha to Alexander and Wang to Hong; different first letters: not trusted
    for a, b in (("Sasha", "Alexander"), ("Wang", "Hong")):
        left, right = part(a), part(b)
        assert left.symbols & right.symbols, (a, b)
        assert part_similarity(left, right, False) == (0.0, ""), (a, b)


def test_part_similarity_initial_only_for_its_own_letter() -> None:
    assert part_similarity(part("E"), part("Evgeny"), False) == (INITIAL, "initial")
    assert part_similarity(part("J"), part("Pierre"), False) == (0.0, "")
    assert part_similarity(part("J"), part("K"), False) == (0.0, "")
    assert part_similarity(part("J"), part("J"), False) == (EXACT, "exact")


def test_part_similarity_consonants_only_across_an_abjad() -> None:
    hsn, hassan = part("hsn"), part("Hassan")
    assert part_similarity(hsn, hassan, True) == (ABJAD, "transliteration by consonants")
    assert part_similarity(hsn, hassan, False) == (0.0, "")


def test_part_similarity_edit_distance_for_typos() -> None:
    score, rule = part_similarity(part("Kaspersky"), part("Kasparsky"), False)
    assert rule == "edit distance"
    assert score == pytest.approx(8 / 9)
    score, rule = part_similarity(part("Schwarzenegger"), part("Shvartsenegger"), False)
    assert rule == "edit distance"
    assert 0.72 <= score < PHONETIC


def test_part_similarity_rejects_different_names() -> None:
    for a, b in (("Kaspersky", "Kasparov"), ("Kissin", "Kaspersky"), ("Bob", "Rob")):
        assert part_similarity(part(a), part(b), False) == (0.0, ""), (a, b)


@pytest.mark.parametrize(
    ("a", "b"),
    [
        ("jon", "john"),  # one insertion, 0.75 alike, but three letters allow no edit
        ("tom", "tim"),
        ("jon", "jan"),
        ("ali", "ari"),
    ],
)
def test_edit_budget_three_letter_words_allow_no_edit(a: str, b: str) -> None:
    assert _edit(a, b) == 0.0
    assert part_similarity(part(a), part(b), False) == (0.0, "")


def test_edit_budget_grows_with_length() -> None:
    # five letters: one edit
    assert _edit("garry", "harry") == pytest.approx(0.8)
    assert _edit("garry", "hurry") == 0.0
    # six to eleven letters: two edits
    assert _edit("kaspersky", "kasparsky") == pytest.approx(8 / 9)
    assert _edit("kaspersky", "kasparsly") == pytest.approx(7 / 9)
    assert _edit("kaspersky", "kasparsli") == 0.0
    # longer than eleven: three edits
    assert _edit("konstantinovich", "konstantinovna") == pytest.approx(1 - 3 / 15)
    assert _edit("konstantinovich", "konstantinovnaya") == 0.0
    assert _edit("", "kaspersky") == 0.0


def test_edit_distance_on_consonants_across_an_abjad_is_discounted() -> None:
    # عبدالرحمن: skeleton bdlrhmn against Abdurrahman's bdrhmn, one letter apart
    written, latin = part("عبدالرحمن"), part("Abdurrahman")
    assert (written.skeleton, latin.skeleton) == ("bdlrhmn", "bdrhmn")
    score, rule = part_similarity(written, latin, True)
    assert rule == "edit distance"
    assert score == pytest.approx(ABJAD * 6 / 7)
    # without the abjad the written forms are too far apart
    assert part_similarity(written, latin, False) == (0.0, "")


# --------------------------------------------------------------------------
# compare_forms: pairing, resemblance, spare parts, explanation
# --------------------------------------------------------------------------


def test_resemblance_counts_for_something_but_never_a_match() -> None:
    comparison = compare_names("Eugene Kasparov", "Eugene Kaspersky", PERSON)
    assert rules("Eugene Kasparov", "Eugene Kaspersky") == {
        ("eugene", "eugene"): "exact",
        ("kasparov", "kaspersky"): "resemblance",
    }
    assert comparison.score < DEFAULT_THRESHOLD
    assert "resemblance" in comparison.explanation


def test_a_middle_name_on_one_side_costs_little() -> None:
    comparison = compare_names("Eugene Kaspersky", "Yevgeny Valentinovich Kaspersky", PERSON)
    assert comparison.unmatched == ("valentinovich",)
    assert comparison.score >= DEFAULT_THRESHOLD
    # the same unmatched part without two strong matches costs its full weight
    assert compare_names("Kaspersky", "Valentinovich Kaspersky", PERSON).score < DEFAULT_THRESHOLD


def test_word_order_does_not_matter() -> None:
    assert compare_names("Kaspersky Eugene", "Eugene Kaspersky", PERSON).score == 1.0
    assert compare_names("Lab Kaspersky", "Kaspersky Lab", ORG).score == 1.0


def test_explanation_lists_pairs_rules_unmatched_and_notes() -> None:
    explanation = compare_names(
        "Евгений Валентинович Касперский", "Eugene Kaspersky", PERSON
    ).explanation
    assert explanation.startswith("“Евгений Валентинович Касперский” vs “Eugene Kaspersky”: ")
    assert "evgeny ~ eugene (given-name equivalent 0.93)" in explanation
    assert "kaspersky = kaspersky" in explanation
    assert "unmatched: valentinovich" in explanation
    assert "transliterated from Cyrillic" in explanation


def test_explanation_names_the_spelling_variant_rule() -> None:
    explanation = compare_names("Yevgeny Kasperskiy", "Evgeny Kaspersky", PERSON).explanation
    assert "yevgeny ~ evgeny (spelling variant 0.97)" in explanation
    assert "kasperskiy ~ kaspersky (spelling variant 0.97)" in explanation


def test_explanation_names_the_organisation_word_and_legal_form_rules() -> None:
    explanation = compare_names(AO_LAB_RU, "Kaspersky Lab", ORG).explanation
    assert "laboratoriya ~ lab (same organisation word 0.95)" in explanation
    assert "legal form" in explanation
    assert "Russian case ending" in explanation


def test_explanation_names_the_consonant_rule_across_an_abjad() -> None:
    comparison = compare_names("أحمد حسن", "Ahmed Hassan", PERSON)
    assert comparison.score >= DEFAULT_THRESHOLD
    assert "hsn ~ hassan (transliteration by consonants 0.92)" in comparison.explanation
    assert "transliterated from Arabic" in comparison.explanation


def test_explanation_names_the_initial_rule() -> None:
    comparison = compare_names("E. Kaspersky", "Eugene Kaspersky", PERSON)
    assert comparison.score >= DEFAULT_THRESHOLD
    assert "e ~ eugene (initial 0.80)" in comparison.explanation


# --------------------------------------------------------------------------
# compare._regroup: words joined on one side, initials for several words
# --------------------------------------------------------------------------


def test_regroup_joins_words_the_other_side_writes_as_one() -> None:
    split, joined = normalize("Xi Jin Ping", PERSON), normalize("Xi Jinping", PERSON)
    assert forms(_regroup(split.parts, joined.parts, PERSON)) == ["xi", "jinping"]
    comparison = compare_names("Xi Jin Ping", "Xi Jinping", PERSON)
    assert comparison.score == 1.0
    assert rules("Xi Jinping", "Xi Jin Ping") == {
        ("xi", "xi"): "exact",
        ("jinping", "jinping"): "exact",
    }


def test_regroup_joins_three_words_and_in_any_position() -> None:
    assert forms(
        _regroup(
            normalize("Jin Ping Xi", PERSON).parts, normalize("Xi Jinping", PERSON).parts, PERSON
        )
    ) == ["jinping", "xi"]
    assert compare_names("Kim Jong Un", "Kim Jongun", PERSON).score == 1.0


def test_regroup_joins_particles_that_differ_only_in_vowels() -> None:
    parts = _regroup(
        normalize("Abd al Rahman", PERSON).parts, normalize("Abdul Rahman", PERSON).parts, PERSON
    )
    assert forms(parts) == ["abdal", "rahman"]
    assert compare_names("Abd al Rahman", "Abdul Rahman", PERSON).score >= DEFAULT_THRESHOLD


def test_regroup_leaves_matching_parts_alone() -> None:
    parts = normalize("Xi Jinping", PERSON).parts
    assert _regroup(parts, parts, PERSON) is parts
    # words the other side has on their own are never joined
    assert forms(
        _regroup(
            normalize("Eugene Kaspersky", PERSON).parts,
            normalize("Kaspersky", PERSON).parts,
            PERSON,
        )
    ) == ["eugene", "kaspersky"]


def test_regroup_splits_initials_for_adjacent_words() -> None:
    parts = _regroup(
        normalize("JC Van Damme", PERSON).parts,
        normalize("Jean-Claude Van Damme", PERSON).parts,
        PERSON,
    )
    assert forms(parts) == ["j", "c", "van", "damme"]
    assert rules("JC Van Damme", "Jean-Claude Van Damme") == {
        ("j", "jean"): "initial",
        ("c", "claude"): "initial",
        ("van", "van"): "exact",
        ("damme", "damme"): "exact",
    }
    assert compare_names("JC Van Damme", "Jean-Claude Van Damme", PERSON).score >= DEFAULT_THRESHOLD
    assert compare_names("US Steel", "United States Steel", ORG).score >= DEFAULT_THRESHOLD


def test_regroup_does_not_split_letters_that_are_not_the_other_sides_initials() -> None:
    parts = _regroup(
        normalize("JK Van Damme", PERSON).parts,
        normalize("Jean-Claude Van Damme", PERSON).parts,
        PERSON,
    )
    assert forms(parts) == ["jk", "van", "damme"]


# --------------------------------------------------------------------------
# scoring.adjust: every branch
# --------------------------------------------------------------------------


def test_adjust_leaves_the_score_alone_without_data() -> None:
    assert adjust(0.9, PERSON, PERSON, None, (), None, ()) == (0.9, [])
    # data on one side only counts for nothing
    assert adjust(0.9, PERSON, PERSON, "1965-10-04", (), "RU", ()) == (0.9, [])
    assert adjust(0.9, PERSON, PERSON, None, ("1965-10-04",), None, ("RU",)) == (0.9, [])


def test_adjust_unknown_type_is_compatible_with_any() -> None:
    assert adjust(0.9, EntityType.unknown, ORG, None, (), None, ()) == (0.9, [])
    assert adjust(0.9, PERSON, EntityType.unknown, None, (), None, ()) == (0.9, [])


def test_adjust_type_mismatch() -> None:
    score, notes = adjust(0.9, PERSON, ORG, None, (), None, ())
    assert score == pytest.approx(0.9 * scoring.TYPE_MISMATCH)
    assert notes == ["type differs: person vs organization"]


def test_adjust_same_birth_date() -> None:
    score, notes = adjust(0.9, PERSON, PERSON, "1965-10-04", ("1965-10-04",), None, ())
    assert score == pytest.approx(0.9 + scoring.SAME_BIRTH_DATE)
    assert notes == ["date of birth 1965-10-04 on both"]


def test_adjust_same_birth_year() -> None:
    score, notes = adjust(0.9, PERSON, PERSON, "1965", ("1965-10-04",), None, ())
    assert score == pytest.approx(0.9 + scoring.SAME_BIRTH_YEAR)
    assert notes == ["born 1965 on both"]
    # a full date that differs within the same year counts as the year only
    assert adjust(0.9, PERSON, PERSON, "1965-01-01", ("1965-10-04",), None, ())[0] == (
        pytest.approx(0.9 + scoring.SAME_BIRTH_YEAR)
    )


def test_adjust_birth_a_year_apart() -> None:
    score, notes = adjust(0.9, PERSON, PERSON, "1966-10-04", ("1965-10-04",), None, ())
    assert score == pytest.approx(0.9 * scoring.BIRTH_YEAR_CLOSE)
    assert notes == ["born a year apart: 1966-10-04 vs 1965-10-04"]


def test_adjust_birth_years_apart() -> None:
    score, notes = adjust(0.9, PERSON, PERSON, "1980-01-01", ("1965-10-04",), None, ())
    assert score == pytest.approx(0.9 * scoring.BIRTH_DATE_DIFFERS)
    assert notes == ["date of birth differs: 1980-01-01 vs 1965-10-04"]


def test_adjust_birth_uses_the_closest_listed_date() -> None:
    score, notes = adjust(0.9, PERSON, PERSON, "1966", ("1990-01-01", "1965-10-04"), None, ())
    assert score == pytest.approx(0.9 * scoring.BIRTH_YEAR_CLOSE)
    assert notes == ["born a year apart: 1966 vs 1990-01-01, 1965-10-04"]


def test_adjust_birth_dates_that_cannot_be_compared() -> None:
    assert adjust(0.9, PERSON, PERSON, "circa 1965", ("1965",), None, ()) == (
        0.9,
        ["date of birth not comparable"],
    )
    assert adjust(0.9, PERSON, PERSON, "1965", ("unknown",), None, ()) == (
        0.9,
        ["date of birth not comparable"],
    )


def test_adjust_same_country() -> None:
    score, notes = adjust(0.9, PERSON, PERSON, None, (), "ru", ("RU", "IL"))
    assert score == pytest.approx(0.9 + scoring.SAME_COUNTRY)
    assert notes == ["country RU on both"]


def test_adjust_different_country() -> None:
    score, notes = adjust(0.9, PERSON, PERSON, None, (), "US", ("RU", "GB"))
    assert score == pytest.approx(0.9 * scoring.COUNTRY_DIFFERS)
    assert notes == ["country differs: US vs RU, GB"]


def test_adjust_combines_and_stays_within_zero_and_one() -> None:
    score, notes = adjust(0.99, PERSON, PERSON, "1965-10-04", ("1965-10-04",), "RU", ("RU",))
    assert score == 1.0
    assert notes == ["date of birth 1965-10-04 on both", "country RU on both"]
    score, notes = adjust(0.9, PERSON, ORG, "1980", ("1965",), "US", ("RU",))
    expected = 0.9 * scoring.TYPE_MISMATCH * scoring.BIRTH_DATE_DIFFERS * scoring.COUNTRY_DIFFERS
    assert score == pytest.approx(expected, abs=1e-4)
    assert [note.split(":")[0] for note in notes] == [
        "type differs",
        "date of birth differs",
        "country differs",
    ]


def test_pairs_compare_alike_whichever_side_they_are_on() -> None:
    # symmetric rules give symmetric scores for names of everyday length
    names = ["Eugene Kaspersky", "Евгений Касперский", "E. Kaspersky", "Xi Jin Ping", "Xi Jinping"]
    for a, b in itertools.combinations(names, 2):
        assert compare_names(a, b, PERSON).score == compare_names(b, a, PERSON).score, (a, b)


# --------------------------------------------------------------------------
# Rules added after review: each one was a wrong answer before
# --------------------------------------------------------------------------


def test_a_changed_inner_letter_in_a_short_name_is_another_name() -> None:
    assert part_similarity(part("ivan"), part("iran"), False) == (0.0, "")
    assert compare_names("Ivan Petrov", "Iran Petrov", PERSON).score < DEFAULT_THRESHOLD
    # a dropped letter or a wrong last letter is still a slip
    assert part_similarity(part("stom"), part("storm"), False)[1] == "edit distance"
    assert part_similarity(part("benn"), part("benz"), False)[1] == "edit distance"


def test_scores_do_not_depend_on_which_side_is_the_query() -> None:
    pairs = [
        ("Sergei Aleksandrovich", "Sergei Aleksandrov"),
        ("Yevgeny Kaspersky", "KASPERSKY, Eugene"),
        ("Mercedes-Benn Group AG", "Mercedes-Benz Group AG"),
    ]
    for left, right in pairs:
        assert compare_names(left, right, PERSON).score == compare_names(right, left, PERSON).score


def test_abjad_half_vowels_and_the_article() -> None:
    yusuf = compare_names("يوسف", "Yusuf", PERSON)
    assert yusuf.score >= DEFAULT_THRESHOLD
    assert "transliteration by consonants" in yusuf.explanation
    rahman = normalize("عبد الرحمن", PERSON)
    assert [p.form for p in rahman.parts][-2:] == ["al", "rhmn"]
    assert any("(Arabic article)" in note for note in rahman.notes)


def test_an_initial_matches_the_folded_spelling() -> None:
    comparison = compare_names("E. Kaspersky", "Yevgeny Kaspersky", PERSON)
    assert comparison.score >= DEFAULT_THRESHOLD
    assert "(initial" in comparison.explanation


def test_a_feminine_surname_is_not_called_a_given_name_equivalent() -> None:
    comparison = compare_names("Sergei Petrov", "Sergei Petrova", PERSON)
    assert "given-name equivalent" not in comparison.explanation


def test_a_list_filter_ranks_only_the_chosen_lists_names() -> None:
    # more exact namesakes on another list than the matcher compares per query
    crowd = [IndexedEntry("big", f"b{n}", PERSON, ("Maria Example Garcia",)) for n in range(40)]
    wanted = IndexedEntry("small", "s1", PERSON, ("Maria Exampel Garcia",))
    matcher = Matcher([*crowd, wanted])
    found = matcher.match(Query("Maria Example Garcia", PERSON), lists=["small"])
    assert [(m.list_id, m.entry_id) for m in found] == [("small", "s1")]
    assert matcher.match(Query("Maria Example Garcia", PERSON), lists=["nowhere"]) == []
