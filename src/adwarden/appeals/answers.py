"""Is an appeal answer a real answer, or the notice (or an earlier answer) sent back?

Texts are compared after normalising (case folded, digits levelled, punctuation
dropped), so a swapped date or a straightened apostrophe does not disguise a copy.
An answer is refused when, against any earlier text:

- it is nearly identical: rapidfuzz's normalised Indel similarity, the larger of
  the plain and the word-sorted comparison (reordered sentences are still a
  copy), reaches SIMILAR; or
- it repeats the earlier text (shares at least REPEATS of the answer's word
  trigrams, or of the earlier text's) and adds fewer than MIN_OWN_WORDS words of
  its own: a greeting and "the decision stands" around the notice is not an
  answer, while a real answer may quote the notice and go on to give reasons.

The thresholds were set on `tests/data/appeal_answers.yaml`: twelve real texts
from ad platforms (and the 2018 case) with 53 labelled replies. There, the
replies that must be refused add at most 18 words of their own and the real
answers at least 34; real answers reach a similarity of at most 0.58 and share
at most 3% of their trigrams. The test reading that file keeps the rule honest.
"""

from __future__ import annotations

import re
import unicodedata
from dataclasses import dataclass

from rapidfuzz import fuzz

SIMILAR = 0.75  # at or above: nearly identical
REPEATS = 0.30  # share of trigrams in common at which an answer counts as repeating
MIN_OWN_WORDS = 25  # words an answer that repeats must add of its own
MIN_ANSWER = 40  # characters; the reasons of a real answer do not fit in fewer

_WORD = re.compile(r"\w+")


def normalise(text: str) -> str:
    folded = unicodedata.normalize("NFKC", text).casefold()
    return " ".join(re.sub(r"\d+", "0", word) for word in _WORD.findall(folded))


def _trigrams(words: list[str]) -> set[tuple[str, ...]]:
    return {tuple(words[i : i + 3]) for i in range(len(words) - 2)}


@dataclass(frozen=True)
class Likeness:
    similarity: float
    copied: float  # share of the answer's trigrams found in the earlier text
    contained: float  # share of the earlier text's trigrams found in the answer
    own_words: int  # words of the answer outside every trigram it shares

    @property
    def too_close(self) -> bool:
        repeats = max(self.copied, self.contained) >= REPEATS
        return self.similarity >= SIMILAR or (repeats and self.own_words < MIN_OWN_WORDS)


def likeness(answer: str, earlier: str) -> Likeness:
    a, b = normalise(answer).split(), normalise(earlier).split()
    if not a or not b:
        return Likeness(0.0, 0.0, 0.0, len(a))
    joined_a, joined_b = " ".join(a), " ".join(b)
    similarity = (
        max(fuzz.ratio(joined_a, joined_b), fuzz.token_sort_ratio(joined_a, joined_b)) / 100
    )
    mine, theirs = _trigrams(a), _trigrams(b)
    shared = mine & theirs
    covered = {i + k for i in range(len(a) - 2) if tuple(a[i : i + 3]) in shared for k in range(3)}
    return Likeness(
        similarity,
        len(shared) / len(mine) if mine else 0.0,
        len(shared) / len(theirs) if theirs else 0.0,
        len(a) - len(covered),
    )


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
                f"{found.own_words} words of its own): answer the appeal's points in your "
                "own words"
            )
    return None
