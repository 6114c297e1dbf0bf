"""The public policy pages of the transparency center: the current policy, every past version,
the changelog, and what changed between any two versions. The same for everyone, no sign-in.

Decisions link to `/policy/v{number}#clause-{id}`, so those pages and anchors must stay."""

from __future__ import annotations

import json
import re
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

from fastapi import APIRouter, Request, status
from fastapi.responses import HTMLResponse, Response
from markdown_it import MarkdownIt
from markupsafe import Markup

from adwarden.domain.enums import DsaCategory, GroundKind, Outcome, SubjectLevel
from adwarden.domain.errors import NotFoundError
from adwarden.policy.document import Clause
from adwarden.policy.models import PolicyVersion
from adwarden.policy.services import current_version, policy_of, version_by_number, versions
from adwarden.transparency.policy_diff import Segment, diff_policies
from adwarden.web.deps import MAX_ID, DbSession
from adwarden.web.views import public_page

router = APIRouter(include_in_schema=False)

# CommonMark with raw HTML off: a clause that holds <script> shows it as text. Its link
# validation also drops javascript: and similar links.
_markdown = MarkdownIt("commonmark", {"html": False})
_PARAGRAPH_BREAK = re.compile(r"\n[ \t]*\n\s*")

OUTCOME_WORDS = {
    Outcome.reject_post: "the promoted post is rejected",
    Outcome.pause_campaign: "the campaign is paused",
    Outcome.account_ineligible: "the account may not advertise",
    Outcome.off_board: "the advertiser is off-boarded from ads",
    Outcome.review_required: "a reviewer must look before anything runs",
    Outcome.label: "a label is shown",
}
LEVEL_WORDS = {
    SubjectLevel.post: "a promoted post",
    SubjectLevel.campaign: "a campaign",
    SubjectLevel.account: "an account",
    SubjectLevel.advertiser: "an advertiser",
}
FIELD_LABELS = {
    "title": "Title",
    "text": "Text",
    "level": "Applies to",
    "condition": "Condition",
    "outcome": "Outcome",
    "ground.kind": "Ground: kind",
    "ground.law": "Ground: law",
    "ground.reference_url": "Ground: reference",
    "ground.explanation": "Ground: explanation",
    "dsa_category": "DSA category",
    "automatic": "Applied automatically",
    "duration_days": "Duration in days",
    "end_rule": "What ends it",
    "rereview_days": "Re-review every (days)",
    "appeal_window_days": "Appeal window (days)",
    "appeal_sla_days": "Appeal decided within (days)",
    "classifiers": "Content rules",
}


def clause_html(text: str) -> Markup:
    """A clause's Markdown as HTML; its headings sit below the clause's own h2."""
    tokens = _markdown.parse(text)
    for token in tokens:
        if token.type in ("heading_open", "heading_close"):
            token.tag = f"h{min(6, int(token.tag[1:]) + 2)}"
    html = _markdown.renderer.render(tokens, _markdown.options, {})
    return Markup(html)  # noqa: S704  (markdown-it with raw HTML off escapes every text)


def dsa_words(category: DsaCategory | str) -> str:
    value = category.value if isinstance(category, DsaCategory) else category
    return value.removeprefix("STATEMENT_CATEGORY_").replace("_", " ").capitalize()


def shown(value: Any) -> str:
    """A field's value as a reader sees it in the diff."""
    if value is None:
        return "none"
    if isinstance(value, bool):
        return "yes" if value else "no"
    if isinstance(value, str):
        return value
    return json.dumps(value, indent=1, ensure_ascii=False)


def paragraphs(segments: Sequence[Segment]) -> list[list[Segment]]:
    """Marked text cut at its blank lines, so each paragraph shows as one; a paragraph break
    that was added or removed shows as a break too."""
    result: list[list[Segment]] = [[]]
    for segment in segments:
        parts = _PARAGRAPH_BREAK.split(segment.text)
        for index, part in enumerate(parts):
            if index:
                result.append([])
            if part:
                result[-1].append(Segment(segment.kind, part))
    return [paragraph for paragraph in result if paragraph]


def markdown_or_nothing(text: Any) -> Markup:
    return clause_html(text) if isinstance(text, str) else Markup()


def field_label(field: str) -> str:
    return FIELD_LABELS.get(field, field)


@dataclass(frozen=True)
class ClauseView:
    clause: Clause
    html: Markup

    @property
    def anchor(self) -> str:
        return f"clause-{self.clause.id}"


def _clauses(version: PolicyVersion) -> tuple[str, list[ClauseView]]:
    policy = policy_of(version)
    views = [
        ClauseView(loaded.clause, clause_html(loaded.clause.text)) for loaded in policy.clauses
    ]
    return policy.title, views


def _policy_page(request: Request, version: PolicyVersion, current: PolicyVersion) -> Response:
    title, clauses = _clauses(version)
    return public_page(
        request,
        "public/policy.html",
        {
            "version": version,
            "current": current,
            "is_current": version.number == current.number,
            "title": title,
            "clauses": clauses,
            "outcome_words": OUTCOME_WORDS,
            "level_words": LEVEL_WORDS,
            "dsa_words": dsa_words,
            "legal": GroundKind.legal,
        },
    )


@router.get("/policy", response_class=HTMLResponse)
def current_policy(request: Request, session: DbSession) -> Response:
    """The policy in force, in full; a page saying so when none is published yet."""
    current = current_version(session)
    if current is None:
        return public_page(request, "public/policy.html", {"version": None})
    return _policy_page(request, current, current)


@router.get("/policy/versions", response_class=HTMLResponse)
def policy_versions(request: Request, session: DbSession) -> Response:
    return public_page(request, "public/policy_versions.html", {"versions": versions(session)})


@router.get("/policy/changelog", response_class=HTMLResponse)
def policy_changelog(request: Request, session: DbSession) -> Response:
    return public_page(request, "public/policy_changelog.html", {"versions": versions(session)})


_NUMBER = re.compile(r"[0-9]{1,10}")


def version_number(raw: str) -> int | None:
    """A version number as typed in a URL: a whole number from 1, or None."""
    raw = raw.strip()
    if not _NUMBER.fullmatch(raw):
        return None
    number = int(raw)
    return number if 1 <= number <= MAX_ID else None


def _clipped(raw: str, most: int = 40) -> str:
    """A value as typed, short enough to quote back (it is escaped where it is shown)."""
    return raw if len(raw) <= most else raw[: most - 1] + "…"


@dataclass(frozen=True)
class Choice:
    """One side of the comparison as asked for: the raw value, the version, or the problem."""

    name: str
    raw: str | None
    version: PolicyVersion | None = None
    problem: str | None = None
    status_code: int = status.HTTP_200_OK


def _choose(name: str, raw: str | None, known: Sequence[PolicyVersion]) -> Choice:
    if raw is None or not raw.strip():
        return Choice(
            name,
            raw,
            problem=f"Choose the version to compare {name}: “{name}” is missing.",
            status_code=status.HTTP_422_UNPROCESSABLE_CONTENT,
        )
    number = version_number(raw)
    if number is None:
        return Choice(
            name,
            raw,
            problem=(
                f"“{_clipped(raw)}” is not a version number: “{name}” takes a whole number "
                "such as 1."
            ),
            status_code=status.HTTP_422_UNPROCESSABLE_CONTENT,
        )
    found = next((version for version in known if version.number == number), None)
    if found is None:
        published = (
            f"the published versions are 1 to {known[0].number}"
            if known
            else "no policy is published yet"
        )
        return Choice(
            name,
            raw,
            problem=f"There is no policy version {number} (“{name}”): {published}.",
            status_code=status.HTTP_404_NOT_FOUND,
        )
    return Choice(name, raw, version=found)


@router.get("/policy/diff", response_class=HTMLResponse)
def policy_diff(request: Request, session: DbSession) -> Response:
    """What changed between two versions (`from` and `to`), with a form to choose them.

    A version missing or not a number answers 422, an unknown one 404, each naming the
    problem above the form; the page never guesses a version the reader did not ask for."""
    known = versions(session)
    asked = "from" in request.query_params or "to" in request.query_params
    chosen = [
        _choose("from", request.query_params.get("from"), known),
        _choose("to", request.query_params.get("to"), known),
    ]
    # With neither given, this is the form to choose them (linked from every policy page);
    # only a request that names one or both versions can name them wrongly.
    problems = [choice.problem for choice in chosen if choice.problem] if asked else []
    old, new = chosen[0].version, chosen[1].version
    context: dict[str, Any] = {
        "versions": known,
        "problems": problems,
        "selected_from": old.number if old else (known[1].number if len(known) > 1 else None),
        "selected_to": new.number if new else (known[0].number if known else None),
        "old": old,
        "new": new,
        "label": field_label,
        "shown": shown,
        "paragraphs": paragraphs,
        "markdown": markdown_or_nothing,
    }
    if old is not None and new is not None and old.number != new.number:
        context["diff"] = diff_policies(policy_of(old).document, policy_of(new).document)
    response = public_page(request, "public/policy_diff.html", context)
    if problems:
        # a value missing or not a number (422) says more than an unknown version (404)
        codes = {choice.status_code for choice in chosen}
        response.status_code = (
            status.HTTP_422_UNPROCESSABLE_CONTENT
            if status.HTTP_422_UNPROCESSABLE_CONTENT in codes
            else status.HTTP_404_NOT_FOUND
        )
    return response


# Declared after /policy/versions: "/policy/v{number}" would otherwise read "ersions" as one.
@router.get("/policy/v{number}", response_class=HTMLResponse)
def policy_version(request: Request, session: DbSession, number: str) -> Response:
    """One published version, current or past, at the address decisions link to."""
    parsed = version_number(number)
    if parsed is None:
        raise NotFoundError("policy version", number)
    version = version_by_number(session, parsed)
    current = current_version(session)
    assert current is not None  # a version exists, so a newest one does
    return _policy_page(request, version, current)
