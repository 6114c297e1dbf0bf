"""The shape of a written ads policy: numbered clauses, each a rule the code can apply."""

from __future__ import annotations

import re

from pydantic import Field, field_validator, model_validator

from adwarden.domain.enums import DsaCategory, GroundKind, Outcome, SubjectLevel
from adwarden.domain.fields import ShortText, Text, WebUrl
from adwarden.domain.inputs import Input

CLAUSE_ID = r"^\d+(\.\d+)*$"


class Ground(Input):
    """Why the platform may act: a law it must follow, or its own terms."""

    kind: GroundKind
    law: ShortText | None = Field(None, description="the law, for a legal ground")
    reference_url: WebUrl | None = None
    explanation: Text = Field(description="how the ground applies, in a sentence or two")

    @model_validator(mode="after")
    def _law_for_legal(self) -> Ground:
        if self.kind is GroundKind.legal and not self.law:
            raise ValueError("a legal ground names the law: add `law:`")
        return self


class ClassifierRule(Input):
    """Transparent content rules: what in a post's text or landing page puts it in a category."""

    category: str = Field(pattern=r"^[a-z][a-z0-9_]{0,63}$")
    keywords: list[ShortText] = Field(default_factory=list, description="whole words, any case")
    patterns: list[ShortText] = Field(default_factory=list, description="regular expressions")
    domains: list[ShortText] = Field(
        default_factory=list, description="landing domains, subdomains included"
    )

    @field_validator("patterns")
    @classmethod
    def _patterns_compile(cls, patterns: list[str]) -> list[str]:
        for pattern in patterns:
            try:
                re.compile(pattern)
            except re.error as error:
                raise ValueError(
                    f"pattern {pattern!r} is not a regular expression: {error}"
                ) from None
        return patterns

    @model_validator(mode="after")
    def _some_rule(self) -> ClassifierRule:
        if not (self.keywords or self.patterns or self.domains):
            raise ValueError(f"classifier {self.category} needs keywords, patterns or domains")
        return self


class Clause(Input):
    id: str = Field(pattern=CLAUSE_ID, examples=["4.2"])
    title: ShortText
    text: Text = Field(description="the public text, in Markdown")
    level: SubjectLevel
    condition: str = Field(min_length=1, max_length=2000, description="CEL over the level's facts")
    outcome: Outcome
    ground: Ground
    dsa_category: DsaCategory
    automatic: bool = Field(description="may be applied without a human deciding")
    duration_days: int | None = Field(
        None, ge=1, le=3650, description="how long the restriction lasts; none: until lifted"
    )
    end_rule: ShortText = Field(description="what ends the restriction, in words")
    rereview_days: int = Field(ge=1, le=3650, description="how often a human looks again")
    appeal_window_days: int = Field(183, ge=183, le=3650, description="at least six months")
    appeal_sla_days: int = Field(7, ge=1, le=90, description="days to decide an appeal")
    classifiers: list[ClassifierRule] = Field(default_factory=list)
    withhold_ad_content: bool | None = Field(
        None,
        description="whether the public ads repository withholds the content of an ad this "
        "clause restricts (DSA Article 39(3)); unset: withheld when the ad itself is rejected",
    )

    @property
    def withholds_ad_content(self) -> bool:
        if self.withhold_ad_content is not None:
            return self.withhold_ad_content
        return self.outcome is Outcome.reject_post

    @model_validator(mode="after")
    def _outcome_fits_level(self) -> Clause:
        if self.level not in self.outcome.levels:
            fits = ", ".join(sorted(level.value for level in self.outcome.levels))
            raise ValueError(
                f"outcome {self.outcome.value} does not fit level {self.level.value}: "
                f"use it at {fits}, or choose an outcome for {self.level.value}"
            )
        if self.classifiers and self.level is not SubjectLevel.post:
            raise ValueError("classifiers read post content: only post-level clauses hold them")
        return self


class PolicyFile(Input):
    """One file of a policy; a policy may be one file or a folder of them."""

    title: ShortText | None = None
    clauses: list[Clause] = Field(min_length=1)
