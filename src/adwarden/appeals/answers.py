"""Is an appeal answer a real answer, or the notice (or an earlier answer) sent back?

Three measures, each over normalised text (case folded, digits and punctuation
levelled, so a swapped date or a changed comma does not disguise a copy):

- `similarity`: rapidfuzz's normalised Indel similarity of the two texts, the
  larger of the plain and the word-sorted comparison (so reordering does not
  hide a copy);
- `copied`: the share of the answer's word trigrams that occur in the earlier
  text, which catches an answer that is the earlier text plus a greeting, or a
  paragraph lifted out of a longer notice.

An answer is refused when either measure reaches its threshold. The thresholds
were set on `tests/data/appeal_answers.yaml` (real boilerplate texts from ad
platforms and the 2018 case, with labelled replies) and the test that reads
that file keeps them honest.
"""

from __future__ import annotations

import re
import unicodedata
from dataclasses import dataclass

from rapidfuzz import fuzz

SIMILAR = 0.80  # at or above: nearly identical
COPIED = 0.60  # at or above: mostly lifted from the earlier text
MIN_ANSWER = 40  # characters; the reasons of a real answer do not fit in fewer

_WORD = re.compile(r"\w+")


def normalise(text: str) -> str:
    folded = unicodedata.normalize("NFKC", text).casefold()
    return " ".join(re.sub(r"\d+", "0", word) for word in _WORD.findall(folded))


def _trigrams(words: list[str]) -> set[tuple[str, ...]]:
    if len(words) < 3:
        return {tuple(words)} if words else set()
    return {tuple(words[i : i + 3]) for i in range(len(words) - 2)}


@dataclass(frozen=True)
class Likeness:
    similarity: float
    copied: float

    @property
    def too_close(self) -> bool:
        return self.similarity >= SIMILAR or self.copied >= COPIED


def likeness(answer: str, earlier: str) -> Likeness:
    a, b = normalise(answer), normalise(earlier)
    if not a or not b:
        return Likeness(0.0, 0.0)
    similarity = max(fuzz.ratio(a, b), fuzz.token_sort_ratio(a, b)) / 100
    mine = _trigrams(a.split())
    copied = len(mine & _trigrams(b.split())) / len(mine) if mine else 0.0
    return Likeness(similarity, copied)


def answer_problem(answer: str, earlier: list[tuple[str, str]]) -> str | None:
    """Why the answer may not be sent, or None. `earlier` holds (what it is, its text)."""
    if not answer.strip():
        return "write an answer: the advertiser asked for reasons"
    if len(answer.strip()) < MIN_ANSWER:
        return (
            f"the answer is {len(answer.strip())} characters; a reasoned answer takes at "
            f"least {MIN_ANSWER}"
        )
    for what, text in earlier:
        found = likeness(answer, text)
        if found.too_close:
            return (
                f"the answer repeats {what} ({found.similarity:.0%} alike, "
                f"{found.copied:.0%} of its phrases copied): answer the appeal's points "
                "in your own words"
            )
    return None
