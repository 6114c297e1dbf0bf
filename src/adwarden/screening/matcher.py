"""Screen a name against every list entry: index lookups for candidates, then scoring.

The index maps keys derived from each name part (its folded spelling, sound,
consonant skeleton, given-name identity, prefix and suffix) to the names that
have them. A query reads the postings of its own keys, so candidates come from
a handful of dictionary lookups, never from a scan of the lists.
"""

from __future__ import annotations

import math
from collections import defaultdict
from collections.abc import Collection, Iterable, Iterator
from dataclasses import dataclass

import numpy as np
from rapidfuzz import fuzz

from adwarden.domain.enums import EntityType
from adwarden.screening.compare import compare_forms
from adwarden.screening.normalize import NameForm, Part, normalize
from adwarden.screening.scoring import DEFAULT_THRESHOLD, adjust

# How many of the best-keyed names get a full comparison. Enough that a typo
# in the rarest part still leaves the entry among them through its others.
CANDIDATES = 10
# Keys shared by more names than this carry almost no information; they are
# skipped unless a query has nothing better.
COMMON_KEY = 4000


@dataclass(frozen=True, slots=True)
class IndexedEntry:
    list_id: str
    entry_id: str
    entity_type: EntityType
    names: tuple[str, ...]
    countries: tuple[str, ...] = ()
    birth_dates: tuple[str, ...] = ()


@dataclass(frozen=True, slots=True)
class Query:
    name: str
    entity_type: EntityType = EntityType.unknown
    country: str | None = None
    birth_date: str | None = None


@dataclass(frozen=True, slots=True)
class Match:
    list_id: str
    entry_id: str
    name: str  # the entry's name that matched best
    score: float
    explanation: str


def part_keys(part: Part) -> Iterator[str]:
    yield "k:" + part.key
    if part.is_initial:
        return
    yield "c:" + part.skeleton
    if len(part.sound) > 2:
        yield "s:" + part.sound
    if part.given is not None:
        yield "g:" + part.given
    if part.org_word is not None:
        yield "o:" + part.org_word
    yield from ("y:" + symbol for symbol in part.symbols)
    if len(part.key) >= 6:
        yield "p:" + part.key[:4]
        yield "x:" + part.key[-4:]


def name_keys(form: NameForm) -> set[str]:
    keys = {key for part in form.parts for key in part_keys(part)}
    # written apart on one side and together on the other: "jin ping" / "jinping"
    for left, right in zip(form.parts, form.parts[1:], strict=False):
        keys.add("k:" + left.key + right.key)
    if len(form.parts) > 1:
        keys.add("k:" + form.joined)
    return keys


class _QuickCheck:
    """A whole-string check at C speed that rules out candidates a full comparison
    could never score as a match; measured on the labelled pairs, every pair the
    full comparison accepts clears it."""

    FLOOR = 50.0

    def __init__(self, form: NameForm) -> None:
        self.canonical = form.canonical
        self.joined = form.joined
        self.skeletal = form.skeletal if form.abjad else None
        self.always = form.has_initials

    def plausible(self, other: tuple[str, str, str]) -> bool:
        if self.always:
            return True
        canonical, joined, skeletal = other
        if fuzz.token_sort_ratio(self.canonical, canonical, score_cutoff=self.FLOOR):
            return True
        if fuzz.ratio(self.joined, joined, score_cutoff=self.FLOOR):
            return True
        return self.skeletal is not None and bool(
            fuzz.token_sort_ratio(self.skeletal, skeletal, score_cutoff=self.FLOOR)
        )


class Matcher:
    """An in-memory index over list entries; build once, query many times."""

    def __init__(self, entries: Iterable[IndexedEntry]) -> None:
        self.entries: list[IndexedEntry] = []
        self._forms: list[NameForm] = []
        self._owner: list[int] = []  # name number -> entry number
        self._quick: list[tuple[str, str, str]] = []
        postings: defaultdict[str, list[int]] = defaultdict(list)
        for entry in entries:
            number = len(self.entries)
            self.entries.append(entry)
            for name in dict.fromkeys(entry.names):
                form = normalize(name, entry.entity_type)
                if not form.parts:
                    continue
                name_number = len(self._forms)
                self._forms.append(form)
                self._quick.append((form.canonical, form.joined, form.skeletal))
                self._owner.append(number)
                for key in name_keys(form):
                    postings[key].append(name_number)
        self._postings = {key: np.array(ids, dtype=np.int32) for key, ids in postings.items()}
        # which list each name is on, so a query for some lists ranks only their names
        codes = {
            list_id: code
            for code, list_id in enumerate(dict.fromkeys(e.list_id for e in self.entries))
        }
        self._list_codes = codes
        self._name_list = np.array(
            [codes[self.entries[owner].list_id] for owner in self._owner], dtype=np.int32
        )
        total = max(len(self._forms), 1)
        self._idf = {key: math.log(1 + total / len(ids)) for key, ids in self._postings.items()}

    @property
    def name_count(self) -> int:
        return len(self._forms)

    def _candidates(self, form: NameForm, lists: Collection[str] | None) -> list[int]:
        keys = [key for key in name_keys(form) if key in self._postings]
        usable = [key for key in keys if len(self._postings[key]) <= COMMON_KEY] or keys
        if not usable:
            return []
        # a vector add per key instead of a Python loop per posting
        weights = np.zeros(len(self._forms), dtype=np.float32)
        for key in usable:
            weights[self._postings[key]] += self._idf[key]
        if lists is not None:
            chosen = [self._list_codes[name] for name in lists if name in self._list_codes]
            weights[~np.isin(self._name_list, chosen)] = 0
        count = min(CANDIDATES, len(weights))
        best = np.argpartition(-weights, count - 1)[:count]
        best = best[weights[best] > 0]
        return [int(i) for i in best[np.argsort(-weights[best], kind="stable")]]

    def match(
        self,
        query: Query,
        threshold: float | None = None,
        lists: Collection[str] | None = None,
    ) -> list[Match]:
        """Entries matching the query at or above the threshold, best first."""
        floor = DEFAULT_THRESHOLD if threshold is None else threshold
        form = normalize(query.name, query.entity_type)
        if not form.parts:
            return []
        best: dict[int, Match] = {}
        quick = _QuickCheck(form)
        for name_number in self._candidates(form, lists):
            number = self._owner[name_number]
            entry = self.entries[number]
            if not quick.plausible(self._quick[name_number]):
                continue
            kind = (
                query.entity_type
                if query.entity_type is not EntityType.unknown
                else entry.entity_type
            )
            comparison = compare_forms(form, self._forms[name_number], kind)
            score, notes = adjust(
                comparison.score,
                query.entity_type,
                entry.entity_type,
                query.birth_date,
                entry.birth_dates,
                query.country,
                entry.countries,
            )
            if score < floor:
                continue
            held = best.get(number)
            if held is None or score > held.score:
                explanation = "; ".join([comparison.explanation, *notes])
                best[number] = Match(
                    entry.list_id,
                    entry.entry_id,
                    self._forms[name_number].original,
                    score,
                    explanation,
                )
        return sorted(
            best.values(), key=lambda match: (-match.score, match.list_id, match.entry_id)
        )
