"""The three matchers of the screening benchmark behind one small interface.

- ours: `adwarden.screening` (imported lazily, so the others run without it);
- peer: OpenSanctions nomenklatura's logic-v2 (the scorer behind yente), at its
  default threshold 0.7; for lists, rapidfuzz WRatio picks candidate names and
  logic-v2 re-ranks their entries, as in shared/data/SOURCES.md;
- baseline: rapidfuzz WRatio on ASCII-folded names.

Every screener returns hits at or above its own threshold, best first, with
scores in [0, 1] (WRatio's 0-100 is divided by 100).
"""

from __future__ import annotations

import itertools
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass
from typing import Any, Protocol

from rapidfuzz import fuzz, process
from rapidfuzz.utils import default_process
from rigour.text.translit import ascii_text
from screening_inputs import SCHEMA_TYPES, ListRecord, QueryRecord

PEER_THRESHOLD = 0.7  # yente's default match threshold for logic-v2
BASELINE_THRESHOLD = 90.0  # WRatio, 0-100
PEER_CANDIDATES = 10  # WRatio candidate names per query in the peer pipeline
PEER_ALIAS_CANDIDATES = 20  # the alias-query protocol re-ranks the top 20


@dataclass(frozen=True, slots=True)
class Hit:
    list_id: str
    entry_id: str
    score: float


class Screener(Protocol):
    threshold: float

    def screen(self, query: QueryRecord) -> list[Hit]: ...


# name1, name2, FollowTheMoney schema (as name-pairs.csv gives it) -> score in [0, 1]
PairScorer = Callable[[str, str, str], float]


def fold(name: str) -> str:
    """ASCII, lower case, punctuation as spaces: what the WRatio sides compare."""
    return default_process(ascii_text(name))


def _best_per_entry(hits: Iterable[Hit]) -> list[Hit]:
    best: dict[tuple[str, str], Hit] = {}
    for hit in hits:
        key = (hit.list_id, hit.entry_id)
        held = best.get(key)
        if held is None or hit.score > held.score:
            best[key] = hit
    return sorted(best.values(), key=lambda hit: -hit.score)


class _FoldedNames:
    """Every name of every entry, folded, with the entry it belongs to."""

    def __init__(self, records: Sequence[ListRecord]) -> None:
        self.records = list(records)
        self.choices: list[str] = []
        self.owner: list[int] = []
        for number, record in enumerate(self.records):
            for name in dict.fromkeys(fold(name) for name in record.names):
                if name:
                    self.choices.append(name)
                    self.owner.append(number)


# ---------------------------------------------------------------- ours


class Ours:
    def __init__(self, records: Sequence[ListRecord]) -> None:
        from adwarden.domain.enums import EntityType
        from adwarden.screening.matcher import IndexedEntry, Matcher, Query
        from adwarden.screening.scoring import DEFAULT_THRESHOLD

        self._type = EntityType
        self._query = Query
        self.threshold = float(DEFAULT_THRESHOLD)
        self.matcher = Matcher(
            IndexedEntry(
                record.list_id,
                record.entry_id,
                EntityType(record.entity_type),
                record.names,
                record.countries,
                record.birth_dates,
            )
            for record in records
        )

    def screen(self, query: QueryRecord) -> list[Hit]:
        found = self.matcher.match(
            self._query(
                name=query.name,
                entity_type=self._type(query.entity_type),
                country=query.country,
                birth_date=query.birth_date,
            )
        )
        return [Hit(match.list_id, match.entry_id, match.score) for match in found]

    def top(self, query: QueryRecord) -> Hit | None:
        """The best-ranked entry at any score, as SOURCES' WRatio reference counts it."""
        found = self.matcher.match(
            self._query(
                name=query.name,
                entity_type=self._type(query.entity_type),
                country=query.country,
                birth_date=query.birth_date,
            ),
            threshold=0.0,
        )
        return Hit(found[0].list_id, found[0].entry_id, found[0].score) if found else None


def ours_threshold() -> float:
    from adwarden.screening.scoring import DEFAULT_THRESHOLD

    return float(DEFAULT_THRESHOLD)


def ours_pair_scorer() -> PairScorer:
    from adwarden.domain.enums import EntityType
    from adwarden.screening.compare import compare_names

    def score(name1: str, name2: str, schema: str) -> float:
        kind = EntityType(SCHEMA_TYPES.get(schema, "unknown"))
        return compare_names(name1, name2, kind).score

    return score


def clear_ours_caches() -> None:
    """Empty our per-string caches, so a timed pass never reuses a previous pass's work."""
    import sys

    for module_name, module in list(sys.modules.items()):
        if not module_name.startswith("adwarden.screening") or module is None:
            continue
        for value in vars(module).values():
            clear = getattr(value, "cache_clear", None)
            if callable(clear) and getattr(value, "__module__", None) == module_name:
                clear()


# ---------------------------------------------------------------- peer (logic-v2)

# our entity type -> FollowTheMoney schema
_LIST_SCHEMA = {
    "person": "Person",
    "organization": "Organization",
    "vessel": "Vessel",
    "aircraft": "Airplane",
    "unknown": "LegalEntity",
}
_QUERY_SCHEMA = {**_LIST_SCHEMA, "organization": "LegalEntity"}

_ids = itertools.count()


def _entity(
    schema: str,
    names: Iterable[str],
    countries: Iterable[str] = (),
    birth_dates: Iterable[str] = (),
    entity_id: str | None = None,
) -> Any:
    from followthemoney import model

    entity = model.make_entity(schema)
    # logic-v2 caches name analysis by entity id: every entity needs its own
    entity.id = entity_id or f"bench-q{next(_ids)}"
    for name in names:
        entity.add("name", name)
    for country in countries:
        entity.add("country", country.lower())
    if entity.schema.get("birthDate") is not None:
        for date in birth_dates:
            entity.add("birthDate", date)
    return entity


class _LogicV2:
    def __init__(self) -> None:
        from nomenklatura.matching import LogicV2

        self.algorithm = LogicV2
        self.config = LogicV2.default_config()

    def score(self, query: Any, result: Any) -> float:
        return float(self.algorithm.compare(query, result, self.config).score)


def peer_pair_scorer() -> PairScorer:
    """logic-v2 on two fresh one-name entities of the pair's schema."""
    logic = _LogicV2()

    def score(name1: str, name2: str, schema: str) -> float:
        return logic.score(_entity(schema, [name1]), _entity(schema, [name2]))

    return score


class PeerPipeline:
    """WRatio candidate names over every name of the lists, entries re-ranked by logic-v2."""

    threshold = PEER_THRESHOLD

    def __init__(self, records: Sequence[ListRecord], candidates: int = PEER_CANDIDATES) -> None:
        self.names = _FoldedNames(records)
        self.candidates = candidates
        self.logic = _LogicV2()
        self.entities = [
            _entity(
                _LIST_SCHEMA[record.entity_type],
                record.names,
                record.countries,
                record.birth_dates,
                entity_id=f"bench-{record.list_id}-{record.entry_id}",
            )
            for record in self.names.records
        ]

    def ranked(self, query: QueryRecord, candidates: int | None = None) -> list[Hit]:
        """The candidates' entries, re-ranked by logic-v2, at any score."""
        folded = fold(query.name)
        if not folded:
            return []
        found = process.extract(
            folded,
            self.names.choices,
            scorer=fuzz.WRatio,
            limit=candidates or self.candidates,
        )
        owners = dict.fromkeys(self.names.owner[index] for _, _, index in found)
        entity = _entity(
            _QUERY_SCHEMA.get(query.entity_type, "LegalEntity"),
            [query.name],
            [query.country] if query.country else (),
            [query.birth_date] if query.birth_date else (),
        )
        hits = []
        for number in owners:
            record = self.names.records[number]
            score = self.logic.score(entity, self.entities[number])
            hits.append(Hit(record.list_id, record.entry_id, score))
        # stable: equal scores keep WRatio's order
        return sorted(hits, key=lambda hit: -hit.score)

    def screen(self, query: QueryRecord) -> list[Hit]:
        return [hit for hit in self.ranked(query) if hit.score >= self.threshold]


# ---------------------------------------------------------------- baseline (WRatio)


def baseline_pair_scorer() -> PairScorer:
    def score(name1: str, name2: str, schema: str) -> float:
        return float(fuzz.WRatio(fold(name1), fold(name2))) / 100

    return score


class Baseline:
    """Every list name at or above WRatio 90 is a match; the type, dates and countries are unused."""

    threshold = BASELINE_THRESHOLD / 100

    def __init__(self, records: Sequence[ListRecord]) -> None:
        self.names = _FoldedNames(records)

    def _hits(self, found: Iterable[tuple[str, float, int]]) -> list[Hit]:
        hits = []
        for _, score, index in found:
            record = self.names.records[self.names.owner[index]]
            hits.append(Hit(record.list_id, record.entry_id, score / 100))
        return _best_per_entry(hits)

    def screen(self, query: QueryRecord) -> list[Hit]:
        folded = fold(query.name)
        if not folded:
            return []
        found = process.extract(
            folded,
            self.names.choices,
            scorer=fuzz.WRatio,
            limit=None,
            score_cutoff=BASELINE_THRESHOLD,
        )
        return self._hits(found)

    def top(self, query: QueryRecord) -> Hit | None:
        """The best entry at any score."""
        folded = fold(query.name)
        found = process.extractOne(folded, self.names.choices, scorer=fuzz.WRatio)
        if not folded or found is None:
            return None
        return self._hits([found])[0]
