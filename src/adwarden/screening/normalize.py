"""From a name as written, in any script, to the comparable parts a matcher scores.

rigour does the heavy lifting (transliteration, tokenising, legal forms,
phonetics, given-name symbols); the rules in `variants` cover what it leaves
apart. Every step that changes the name is noted, so an explanation can say
why two names that look different were compared as one.
"""

from __future__ import annotations

import unicodedata
from dataclasses import dataclass
from functools import lru_cache

from rigour.names import NameTypeTag, analyze_names, tokenize_name
from rigour.names.org_types import extract_org_types, remove_org_types
from rigour.text import metaphone
from rigour.text.scripts import text_scripts
from rigour.text.translit import ascii_text

from adwarden.domain.enums import EntityType
from adwarden.screening.variants import (
    GENERIC_ORG_WORDS,
    GIVEN_NAMES,
    ORG_WORDS,
    consonants,
    fold,
    russian_nominative,
)

# Scripts that write consonants and leave most vowels out, so a Latin name
# must be compared by its consonants.
ABJADS = frozenset({"Arabic", "Hebrew", "Syriac", "Thaana"})

# Short connecting words that say little about who someone is.
PARTICLES = frozenset(
    {"al", "el", "ul", "bin", "ibn", "bint", "ben", "abu", "de", "da", "di", "del", "der", "van",
     "von", "la", "le", "of", "the", "and", "y", "e", "i", "u", "do", "dos", "das", "du", "st"}
)  # fmt: skip


@dataclass(frozen=True, slots=True)
class Part:
    """One comparable part of a name."""

    form: str  # lower-case ASCII as written (after transliteration)
    key: str  # the folded spelling shared by transliteration variants
    sound: str  # metaphone
    skeleton: str  # consonants only
    given: str | None  # the given-name group it belongs to, if any
    org_word: str | None  # the organisation word it translates, if any
    symbols: frozenset[str]  # rigour's name identities (Wikidata ids)
    weight: float

    @property
    def is_initial(self) -> bool:
        return len(self.form) == 1


@dataclass(frozen=True, slots=True)
class NameForm:
    original: str
    parts: tuple[Part, ...]
    legal_forms: tuple[str, ...]  # as written, e.g. ("AO",)
    scripts: frozenset[str]
    notes: tuple[str, ...]  # what normalising did, for the explanation

    @property
    def abjad(self) -> bool:
        return bool(self.scripts & ABJADS)

    @property
    def joined(self) -> str:
        return "".join(part.key for part in self.parts)

    @property
    def canonical(self) -> str:
        """Each part in the spelling its equivalents share, for quick whole-name checks."""
        return " ".join(part.given or part.org_word or part.key for part in self.parts)

    @property
    def skeletal(self) -> str:
        return " ".join(part.skeleton for part in self.parts)

    @property
    def has_initials(self) -> bool:
        return any(part.is_initial for part in self.parts)


def part_weight(form: str, key: str, entity_type: EntityType) -> float:
    if form in PARTICLES:
        return 0.2
    if entity_type is not EntityType.person and ORG_WORDS.get(key, key) in GENERIC_ORG_WORDS:
        return 0.3
    if len(form) == 1:
        return 0.35
    return 0.55 + 0.07 * min(len(form), 9)


def _type_tag(entity_type: EntityType) -> NameTypeTag:
    if entity_type is EntityType.person:
        return NameTypeTag.PER
    if entity_type is EntityType.organization:
        return NameTypeTag.ORG
    return NameTypeTag.ENT


def _name_symbols(text: str, entity_type: EntityType) -> dict[str, frozenset[str]]:
    """rigour's given-name identities per token, e.g. Pyotr and Peter share one."""
    if entity_type is not EntityType.person:
        return {}
    found: dict[str, set[str]] = {}
    for name in analyze_names(NameTypeTag.PER, [text], phonetics=False, numerics=False):
        for span in name.spans:
            category = span.symbol.category.value
            if category in {"NAME", "NICK"} and len(span.parts) == 1:
                found.setdefault(span.comparable, set()).add(f"{category}:{span.symbol.id}")
    return {token: frozenset(ids) for token, ids in found.items()}


@lru_cache(maxsize=131072)
def make_part(
    form: str, symbols: frozenset[str] = frozenset(), entity_type: EntityType = EntityType.unknown
) -> Part:
    key = fold(form)
    return Part(
        form=form,
        key=key,
        sound=metaphone(form) if form.isalpha() else form,
        skeleton=consonants(form),
        given=GIVEN_NAMES.get(key),
        org_word=ORG_WORDS.get(key),
        symbols=symbols,
        weight=part_weight(form, key, entity_type),
    )


def _split_article(tokens: list[str], notes: list[str]) -> list[str]:
    """Arabic writes the article on its word (الرحمن); Latin spellings set it apart."""
    split: list[str] = []
    for token in tokens:
        if token.startswith("al") and len(token) > 4:
            split.extend(("al", token[2:]))
            notes.append(f"{token} → al {token[2:]} (Arabic article)")
        else:
            split.append(token)
    return split


@lru_cache(maxsize=65536)
def normalize(text: str, entity_type: EntityType = EntityType.unknown) -> NameForm:
    """Analyse one name. Pure and cached: list names repeat across lists."""
    notes: list[str] = []
    original = text
    text = unicodedata.normalize("NFKC", text).strip()
    scripts = frozenset(text_scripts(text)) - {"Common", "Inherited"}

    if "Cyrillic" in scripts:
        words = text.split()
        nominative = [russian_nominative(word.lower()) for word in words]
        for word, base in zip(words, nominative, strict=True):
            if base != word.lower():
                notes.append(f"{word} → {base} (Russian case ending)")
        text = " ".join(nominative)

    latin = ascii_text(text)
    foreign = sorted(scripts - {"Latin"})
    if foreign:
        notes.append(f"transliterated from {', '.join(foreign)}: {latin}")

    legal_forms: tuple[str, ...] = ()
    if entity_type is not EntityType.person:
        found = extract_org_types(latin)
        if found:
            stripped = remove_org_types(latin)
            if tokenize_name(stripped):
                latin = stripped
                legal_forms = tuple(written for written, _ in found)
                notes.append(f"legal form {', '.join(legal_forms)} set aside")

    tokens = [token.lower() for token in tokenize_name(latin)]
    if "Arabic" in scripts:
        tokens = _split_article(tokens, notes)
    endings = [russian_nominative(token) for token in tokens]
    for token, base in zip(tokens, endings, strict=True):
        if base != token:
            notes.append(f"{token} → {base} (Russian case ending)")
    symbols = _name_symbols(" ".join(endings), entity_type)
    parts = tuple(make_part(form, symbols.get(form, frozenset()), entity_type) for form in endings)
    return NameForm(
        original=original,
        parts=parts,
        legal_forms=legal_forms,
        scripts=scripts,
        notes=tuple(notes),
    )


def warm_up() -> None:
    """Load rigour's name data now rather than inside the first request that needs it."""
    normalize("Warm Up", EntityType.person)
    normalize("Warm Up Ltd", EntityType.organization)
