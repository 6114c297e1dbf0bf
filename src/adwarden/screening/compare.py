"""Score two names part by part, and say which rule matched each pair of parts."""

from __future__ import annotations

import itertools
from dataclasses import dataclass
from functools import lru_cache

from rapidfuzz.distance import OSA

from adwarden.domain.enums import EntityType
from adwarden.screening.normalize import NameForm, Part, make_part, normalize
from adwarden.screening.variants import consonants, fold

# Similarity each rule grants a pair of parts. Exact beats a known spelling
# variant, which beats an equivalence between languages, which beats typo
# distance: the order a reviewer would trust them in.
EXACT = 1.0
VARIANT = 0.97
ORG_WORD = 0.95
GIVEN_NAME = 0.93
ABJAD = 0.92
PHONETIC = 0.86
INITIAL = 0.8
# below this an edit-distance similarity is a different word, not a typo
EDIT_FLOOR = 0.72

RESEMBLANCE_FLOOR = 0.5
RESEMBLANCE = 0.7

# A part with no counterpart costs less when it is the kind of part sources
# often leave out: a middle name or patronymic on the longer side of a
# person's name, once two other parts have matched.
SPARE_PART_FACTOR = 0.3


@dataclass(frozen=True, slots=True)
class PartMatch:
    left: str
    right: str
    score: float
    rule: str

    def describe(self) -> str:
        if self.rule == "exact":
            return f"{self.left} = {self.right}"
        return f"{self.left} ~ {self.right} ({self.rule} {self.score:.2f})"


@dataclass(frozen=True, slots=True)
class Comparison:
    score: float
    pairs: tuple[PartMatch, ...]
    unmatched: tuple[str, ...]
    left: NameForm
    right: NameForm

    @property
    def explanation(self) -> str:
        lines = [f"“{self.left.original}” vs “{self.right.original}”: {self.score:.2f}"]
        if self.pairs:
            lines.append("; ".join(pair.describe() for pair in self.pairs))
        if self.unmatched:
            lines.append("unmatched: " + ", ".join(self.unmatched))
        for form in (self.left, self.right):
            lines.extend(form.notes)
        return "; ".join(lines)


def _edit(a: str, b: str) -> float:
    if not a or not b:
        return 0.0
    similarity = OSA.normalized_similarity(a, b)
    # short words have little room for typos: a dropped letter or a wrong last
    # one is a slip ("benn", "stom"), a changed inner letter is another name
    # ("ivan", "iran")
    shortest = min(len(a), len(b))
    if shortest <= 3:
        allowed = 0
    elif shortest == 4:
        allowed = int(len(a) != len(b) or a[:-1] == b[:-1])
    else:
        allowed = 1 if shortest <= 5 else 2 + (shortest > 11)
    if OSA.distance(a, b, score_cutoff=allowed + 1) > allowed:
        return 0.0
    return similarity


def part_similarity(a: Part, b: Part, abjad: bool) -> tuple[float, str]:
    """How alike two parts are, and by which rule; (0, "") when they are not."""
    if a.form == b.form:
        return EXACT, "exact"
    if a.key == b.key:
        return VARIANT, "spelling variant"
    if a.org_word is not None and a.org_word == b.org_word:
        return ORG_WORD, "same organisation word"
    if a.given is not None and a.given == b.given:
        return GIVEN_NAME, "given-name equivalent"
    # rigour links romanisations of one CJK syllable too (Wang/Hong); only
    # trust its identities between spellings that start alike
    # trust its identities between spellings that start alike; and not between
    # a surname and its feminine form (Petrov, Petrova), which edit distance weighs
    if (
        a.symbols & b.symbols
        and a.key[0] == b.key[0]
        and min(len(a.key), len(b.key)) > 2
        and not (a.key.startswith(b.key) or b.key.startswith(a.key))
    ):
        return GIVEN_NAME, "given-name equivalent"
    if a.is_initial or b.is_initial:
        short, long = (a, b) if a.is_initial else (b, a)
        if not long.is_initial and (
            long.form.startswith(short.form) or long.key.startswith(short.key)
        ):
            return INITIAL, "initial"
        return 0.0, ""
    if abjad and len(a.skeleton) > 1 and a.skeleton == b.skeleton:
        return ABJAD, "transliteration by consonants"
    edit = _edit(a.key, b.key)
    if edit < EDIT_FLOOR and (a.form != a.key or b.form != b.key):
        edit = max(edit, _edit(a.form, b.form))
    if abjad:
        edit = max(edit, _edit(a.skeleton, b.skeleton) * ABJAD)
    if len(a.sound) > 2 and a.sound == b.sound and edit < PHONETIC:
        return PHONETIC, "phonetic"
    if edit >= EDIT_FLOOR:
        return edit, "edit distance"
    return 0.0, ""


@dataclass(frozen=True, slots=True)
class _Window:
    """Neighbouring parts that, written together, might be the other side's one word."""

    start: int
    span: int
    joined: str
    key: str
    skeleton: str


@lru_cache(maxsize=131072)
def _windows(parts: tuple[Part, ...]) -> tuple[_Window, ...]:
    found: list[_Window] = []
    for span in (3, 2):
        for start in range(len(parts) - span + 1):
            window = parts[start : start + span]
            if any(part.is_initial for part in window):
                continue
            joined = "".join(part.form for part in window)
            found.append(_Window(start, span, joined, fold(joined), consonants(joined)))
    return tuple(found)


def _joins(window: _Window, keys: frozenset[str], skeletons: frozenset[str]) -> bool:
    if window.key in keys:
        return True
    # "abd al" / "abdul": joined particles that differ only in their vowels
    if len(window.key) >= 5 and window.skeleton in skeletons:
        return True
    return len(window.key) >= 6 and any(
        abs(len(key) - len(window.key)) <= 2 and OSA.normalized_similarity(window.key, key) >= 0.85
        for key in keys
        if len(key) >= 6
    )


def _spells_initials(form: str, other: tuple[Part, ...]) -> bool:
    """ "JC" for Jean-Claude, "US" for United States: letters for adjacent words."""
    if not 2 <= len(form) <= 4 or any(form == part.form for part in other):
        return False
    heads = "".join(part.form[0] if len(part.form) > 1 else "\0" for part in other)
    return form in heads


def _regroup(
    parts: tuple[Part, ...], other: tuple[Part, ...], entity_type: EntityType
) -> tuple[Part, ...]:
    """Rejoin words the other side writes as one (Jin Ping / Jinping), split initials."""
    keys = frozenset(part.key for part in other)
    loose = [index for index, part in enumerate(parts) if part.key not in keys]
    adjacent = any(b - a == 1 for a, b in itertools.pairwise(loose))
    initials = any(2 <= len(parts[index].form) <= 4 for index in loose)
    if not adjacent and not initials:
        return parts
    skeletons = frozenset(part.skeleton for part in other if len(part.skeleton) >= 3)
    merges: dict[int, _Window] = {}
    covered: set[int] = set()
    for window in _windows(parts) if adjacent else ():
        indexes = range(window.start, window.start + window.span)
        if covered.intersection(indexes) or any(parts[i].key in keys for i in indexes):
            continue
        if _joins(window, keys, skeletons):
            merges[window.start] = window
            covered.update(indexes)
    if not merges and not initials:
        return parts
    regrouped: list[Part] = []
    index = 0
    while index < len(parts):
        merge = merges.get(index)
        if merge is not None:
            regrouped.append(make_part(merge.joined, frozenset(), entity_type))
            index += merge.span
            continue
        part = parts[index]
        if _spells_initials(part.form, other):
            regrouped.extend(make_part(letter, frozenset(), entity_type) for letter in part.form)
        else:
            regrouped.append(part)
        index += 1
    return tuple(regrouped)


def compare_forms(left: NameForm, right: NameForm, entity_type: EntityType) -> Comparison:
    if not left.parts or not right.parts:
        return Comparison(0.0, (), (), left, right)
    person = entity_type is not EntityType.organization
    abjad = left.abjad != right.abjad
    lparts = _regroup(left.parts, right.parts, entity_type)
    rparts = _regroup(right.parts, lparts, entity_type)

    candidates: list[tuple[float, int, int, str]] = []
    for i, a in enumerate(lparts):
        for j, b in enumerate(rparts):
            score, rule = part_similarity(a, b, abjad)
            if score > 0:
                candidates.append((score * (a.weight + b.weight), i, j, rule))
    candidates.sort(reverse=True)
    used_left: set[int] = set()
    used_right: set[int] = set()
    pairs: list[tuple[int, int, float, str]] = []
    for weighted, i, j, rule in candidates:
        if i in used_left or j in used_right:
            continue
        used_left.add(i)
        used_right.add(j)
        pairs.append((i, j, weighted / (lparts[i].weight + rparts[j].weight), rule))

    # parts left over on both sides that still resemble each other: typo-level
    # changes a name-by-name budget refuses still say more than nothing
    residue: list[tuple[float, int, int]] = []
    for i, a in enumerate(lparts):
        for j, b in enumerate(rparts):
            if i not in used_left and j not in used_right and not (a.is_initial or b.is_initial):
                similarity = OSA.normalized_similarity(a.key, b.key)
                if similarity >= RESEMBLANCE_FLOOR:
                    residue.append((similarity, i, j))
    for similarity, i, j in sorted(residue, reverse=True):
        if i in used_left or j in used_right:
            continue
        used_left.add(i)
        used_right.add(j)
        pairs.append((i, j, round(similarity * RESEMBLANCE, 4), "resemblance"))

    matched = sum(score * (lparts[i].weight + rparts[j].weight) for i, j, score, _ in pairs)
    weight = sum(lparts[i].weight + rparts[j].weight for i, j, _, _ in pairs)
    spare_left = [p for k, p in enumerate(lparts) if k not in used_left]
    spare_right = [p for k, p in enumerate(rparts) if k not in used_right]
    strong = sum(1 for _, _, score, _ in pairs if score >= PHONETIC)
    for side, spare in ((lparts, spare_left), (rparts, spare_right)):
        other = rparts if side is lparts else lparts
        lenient = person and strong >= 2 and len(side) > len(other)
        factor = SPARE_PART_FACTOR if lenient else 1.0
        weight += factor * sum(p.weight for p in spare)
    score = matched / weight if weight else 0.0
    ordered = sorted(pairs, key=lambda pair: pair[0])
    return Comparison(
        score=round(score, 4),
        pairs=tuple(
            PartMatch(lparts[i].form, rparts[j].form, round(s, 2), rule)
            for i, j, s, rule in ordered
        ),
        unmatched=tuple(p.form for p in spare_left + spare_right),
        left=left,
        right=right,
    )


def compare_names(
    name1: str, name2: str, entity_type: EntityType = EntityType.unknown
) -> Comparison:
    """Score two names on their own, with no list context."""
    return compare_forms(normalize(name1, entity_type), normalize(name2, entity_type), entity_type)
