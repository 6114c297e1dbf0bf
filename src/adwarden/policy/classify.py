"""Content categories for promoted posts, with the evidence that put a post in each.

The first classifier is transparent: keywords, patterns and landing domains
written in the policy's own clauses, each hit reported as a span of the text.
A learned classifier plugs in through the same `Classifier` protocol, and must
return evidence of the same shape.
"""

from __future__ import annotations

import re
from collections.abc import Iterable
from dataclasses import dataclass
from typing import Protocol

from adwarden.policy.document import ClassifierRule

# characters of the post quoted either side of a match, so a reader sees it in context
CONTEXT = 30


@dataclass(frozen=True)
class Evidence:
    """Why a post is in a category: the rule, and where in the post it matched."""

    category: str
    rule: str  # keyword, pattern or domain
    matched: str
    start: int | None = None  # span in the post text; None for the landing domain
    end: int | None = None

    def describe(self, text: str = "") -> str:
        """The rule and what it matched; given the post's text, the passage it matched in."""
        if self.start is None or self.end is None:
            return f"landing domain {self.matched!r} is listed for {self.category}"
        where = f"{self.rule} {self.matched!r} at characters {self.start}-{self.end}"
        if not text:
            return where
        left, right = max(0, self.start - CONTEXT), min(len(text), self.end + CONTEXT)
        passage = (
            ("…" if left else "")
            + " ".join(text[left:right].split())
            + ("…" if right < len(text) else "")
        )
        return f"{where} of the post, for {self.category}: “{passage}”"


class Classifier(Protocol):
    def classify(self, text: str, landing_domain: str) -> list[Evidence]: ...


def _keyword(word: str) -> re.Pattern[str]:
    # whole words, any case, any run of spaces or hyphens between the words
    parts = [re.escape(part) for part in re.split(r"[\s-]+", word.strip()) if part]
    return re.compile(r"(?<!\w)" + r"[\s-]+".join(parts) + r"(?!\w)", re.IGNORECASE)


class RuleClassifier:
    """Keywords, patterns and domains from the policy's clauses."""

    def __init__(self, rules: Iterable[ClassifierRule]) -> None:
        self._text: list[tuple[str, str, re.Pattern[str]]] = []
        self._domains: list[tuple[str, str]] = []
        for rule in rules:
            self._text += [(rule.category, "keyword", _keyword(word)) for word in rule.keywords]
            self._text += [
                (rule.category, "pattern", re.compile(pattern, re.IGNORECASE))
                for pattern in rule.patterns
            ]
            self._domains += [(rule.category, domain.lower()) for domain in rule.domains]

    def classify(self, text: str, landing_domain: str) -> list[Evidence]:
        found: list[Evidence] = []
        for category, rule, pattern in self._text:
            found += [
                Evidence(category, rule, match.group(0), match.start(), match.end())
                for match in pattern.finditer(text)
            ]
        host = landing_domain.lower()
        for category, domain in self._domains:
            if host == domain or host.endswith("." + domain):
                found.append(Evidence(category, "domain", host))
        return sorted(found, key=lambda item: (item.category, item.start or -1, item.rule))
