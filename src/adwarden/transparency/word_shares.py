"""How many ads hold some words, going by PostgreSQL's own statistics on the ads' text
vectors: the most common words (a thousand, with the default statistics target) and the
share of ads that holds each. A word not among them is in fewer ads than the least common
that is. The ads repository sorts a search that promises few matches at once, rather than
walk the newest ads for them first, and does not try to sort one that promises many.
"""

from __future__ import annotations

import bisect
import threading
import time
from dataclasses import dataclass

from sqlalchemy import text
from sqlalchemy.orm import Session

# statistics change as ANALYZE runs (autovacuum, after enough rows changed): read them again
# this often, per database
FRESH_FOR = 600.0  # seconds
# a last word shorter than this may be the start of many rare words, which no statistics
# count: the estimate is then unknown
SHORTEST_PREFIX = 4

_STATISTICS = text(
    "SELECT s.most_common_elems::text::text[], s.most_common_elem_freqs, c.reltuples"
    " FROM pg_class c JOIN pg_namespace n ON n.oid = c.relnamespace LEFT JOIN pg_stats s"
    " ON s.schemaname = n.nspname AND s.tablename = c.relname"
    " AND s.attname = 'text_search' AND NOT s.inherited"
    " WHERE c.oid = 'promoted_posts'::regclass"
)


@dataclass(frozen=True)
class WordShares:
    """The most common words of the ads' texts, in order, with the share of ads holding each,
    out of `ads`; `rare`: the share taken for any other word."""

    ads: float
    words: list[str]
    shares: list[float]
    rare: float

    def expected(self, words: list[str]) -> float | None:
        """How many ads hold all of `words`, the last as a prefix (as the ads repository
        searches them), taking the words as independent; None if that cannot be told."""
        if not words or len(words[-1]) < SHORTEST_PREFIX:
            return None
        share = 1.0
        for word in words[:-1]:
            share *= self._share(word)
        last = words[-1]
        # the common words that start with it, and any rare ones
        first = bisect.bisect_left(self.words, last)
        prefixed = 0.0
        for n in range(first, len(self.words)):
            if not self.words[n].startswith(last):
                break
            prefixed += self.shares[n]
        return self.ads * share * min(1.0, prefixed + self.rare)

    def _share(self, word: str) -> float:
        at = bisect.bisect_left(self.words, word)
        if at < len(self.words) and self.words[at] == word:
            return self.shares[at]
        return self.rare


def read(session: Session) -> WordShares | None:
    """The statistics as PostgreSQL holds them now; None before the ads were analysed."""
    row = session.execute(_STATISTICS).one_or_none()
    if row is None or row[0] is None or row[1] is None or row[2] is None or row[2] <= 0:
        return None
    elements, frequencies, ads = row
    listed = len(elements)
    # past the words' own shares come their least and their greatest (PostgreSQL's pg_stats)
    least = frequencies[listed]
    pairs = sorted(zip(elements, frequencies[:listed], strict=True))
    # a word below the least listed share, taken at half of it, as PostgreSQL's planner does
    return WordShares(
        float(ads), [word for word, _ in pairs], [share for _, share in pairs], least / 2
    )


class Cache:
    """The statistics of each database, read again once they are FRESH_FOR old. Shared by
    the threads that serve requests."""

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._read: dict[str, tuple[float, WordShares | None]] = {}

    def shares(self, session: Session) -> WordShares | None:
        key = session.get_bind().engine.url.render_as_string(hide_password=True)
        with self._lock:
            kept = self._read.get(key)
        if kept is not None and time.monotonic() - kept[0] < FRESH_FOR:
            return kept[1]
        # read outside the lock: threads that find them stale at once each read them
        found = read(session)
        with self._lock:
            self._read[key] = (time.monotonic(), found)
        return found
