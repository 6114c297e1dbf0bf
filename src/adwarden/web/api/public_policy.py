"""The published ads policy for anyone, no token: the current version, every past version,
and what changed between any two. Responses carry no personal data (not who published)."""

from __future__ import annotations

from datetime import datetime
from typing import Annotated, Any, Literal

from fastapi import APIRouter, HTTPException, Query, Response, status
from pydantic import BaseModel, Field

from adwarden import settings
from adwarden.domain.enums import DsaCategory, GroundKind, Outcome, SubjectLevel
from adwarden.policy.models import PolicyVersion
from adwarden.policy.services import current_version, policy_of, version_by_number, versions
from adwarden.transparency.policy_diff import FieldChange, PolicyDiff, diff_policies
from adwarden.web.api.schemas import ErrorOut
from adwarden.web.deps import MAX_ID, DbSession, IdPath
from adwarden.web.views import PUBLIC_CACHE

router = APIRouter(prefix="/public", tags=["public"])

_CACHED: dict[int | str, dict[str, Any]] = {
    200: {
        "description": "the same for everyone",
        "headers": {
            "Cache-Control": {
                "description": "any cache may keep the answer for a minute",
                "schema": {"type": "string", "example": PUBLIC_CACHE},
            }
        },
    }
}
_NO_VERSION: dict[int | str, dict[str, Any]] = {
    404: {"model": ErrorOut, "description": "no such policy version, or none published yet"},
}


class GroundOut(BaseModel):
    kind: GroundKind
    law: str | None = Field(description="the law, for a legal ground")
    reference_url: str | None
    explanation: str


class ClassifierOut(BaseModel):
    category: str
    keywords: list[str]
    patterns: list[str]
    domains: list[str]


class ClauseOut(BaseModel):
    id: str = Field(examples=["3.1"])
    title: str
    text: str = Field(description="the public text, in Markdown")
    level: SubjectLevel
    condition: str = Field(description="when it applies: CEL over the level's facts")
    outcome: Outcome
    ground: GroundOut
    dsa_category: DsaCategory
    automatic: bool = Field(description="may be applied without a human deciding")
    duration_days: int | None = Field(description="how long it lasts; null: until it ends")
    end_rule: str = Field(description="what ends it, in words")
    rereview_days: int = Field(description="how often a human looks again")
    appeal_window_days: int = Field(description="days after a decision to appeal it")
    appeal_sla_days: int = Field(description="days to decide an appeal")
    classifiers: list[ClassifierOut]
    withhold_ad_content: bool | None = Field(
        None,
        description="whether the ads repository withholds an ad it restricts; unset: "
        "withheld when the ad itself is rejected",
    )
    url: str = Field(description="the clause on the public policy page of its version")


class PolicyVersionSummaryOut(BaseModel):
    number: int = Field(ge=1)
    title: str
    content_hash: str = Field(description="sha256 of the canonical document, in hex")
    published_at: datetime
    changelog: str = Field(description="what changed and why, in words")
    url: str = Field(description="the public page of this version")


class PolicyVersionOut(PolicyVersionSummaryOut):
    current: bool = Field(description="whether this is the version in force")
    clauses: list[ClauseOut]


class SegmentOut(BaseModel):
    kind: Literal["same", "del", "ins"] = Field(
        description="in both versions, only in the older (del), or only in the newer (ins)"
    )
    text: str


class FieldChangeOut(BaseModel):
    field: str = Field(description="the field; a ground's parts as ground.law and so on")
    old: Any = Field(description="the value in the `from` version; null where absent")
    new: Any = Field(description="the value in the `to` version; null where absent")
    segments: list[SegmentOut] | None = Field(
        description="the text marked word by word, when both values are text"
    )


class ClauseChangeOut(BaseModel):
    id: str
    old_title: str
    new_title: str
    changes: list[FieldChangeOut]


class PolicyDiffOut(BaseModel):
    from_version: PolicyVersionSummaryOut
    to_version: PolicyVersionSummaryOut
    same_version: bool = Field(description="`from` and `to` name the same version")
    identical: bool = Field(description="no clause or title differs")
    title: FieldChangeOut | None = Field(description="the policy's title, if it changed")
    added: list[ClauseOut] = Field(description="only in `to`, as it stands there")
    removed: list[ClauseOut] = Field(description="only in `from`, as it stood there")
    changed: list[ClauseChangeOut]
    unchanged: list[str] = Field(description="ids of the clauses the same in both")


def _version_url(number: int) -> str:
    return f"{settings.public_url()}/policy/v{number}"


def _summary(version: PolicyVersion) -> PolicyVersionSummaryOut:
    # published_by is left out on purpose: it names a person
    return PolicyVersionSummaryOut(
        number=version.number,
        title=version.title,
        content_hash=version.content_hash,
        published_at=version.created_at,
        changelog=version.changelog,
        url=_version_url(version.number),
    )


def _clause(clause: dict[str, Any], number: int) -> ClauseOut:
    return ClauseOut.model_validate(
        {**clause, "url": f"{_version_url(number)}#clause-{clause['id']}"}
    )


def _version(version: PolicyVersion, current: PolicyVersion) -> PolicyVersionOut:
    policy = policy_of(version)
    return PolicyVersionOut(
        **_summary(version).model_dump(),
        current=version.number == current.number,
        clauses=[_clause(clause, version.number) for clause in policy.document["clauses"]],
    )


def _change(change: FieldChange) -> FieldChangeOut:
    segments = (
        None
        if change.segments is None
        else [SegmentOut(kind=s.kind, text=s.text) for s in change.segments]
    )
    return FieldChangeOut(field=change.field, old=change.old, new=change.new, segments=segments)


def _diff(old: PolicyVersion, new: PolicyVersion, diff: PolicyDiff) -> PolicyDiffOut:
    return PolicyDiffOut(
        from_version=_summary(old),
        to_version=_summary(new),
        same_version=old.number == new.number,
        identical=diff.identical,
        title=_change(diff.title) if diff.title else None,
        added=[_clause(clause, new.number) for clause in diff.added],
        removed=[_clause(clause, old.number) for clause in diff.removed],
        changed=[
            ClauseChangeOut(
                id=c.id,
                old_title=c.old_title,
                new_title=c.new_title,
                changes=[_change(change) for change in c.changes],
            )
            for c in diff.changed
        ],
        unchanged=list(diff.unchanged),
    )


@router.get("/policy", responses=_CACHED | _NO_VERSION)
def public_policy(session: DbSession, response: Response) -> PolicyVersionOut:
    """The ads policy in force, every clause in full."""
    current = current_version(session)
    if current is None:
        raise HTTPException(status.HTTP_404_NOT_FOUND, "no policy is published yet")
    response.headers["Cache-Control"] = PUBLIC_CACHE
    return _version(current, current)


@router.get("/policy/versions", responses=_CACHED)
def public_policy_versions(session: DbSession, response: Response) -> list[PolicyVersionSummaryOut]:
    """Every published version, newest first; empty before the first is published."""
    response.headers["Cache-Control"] = PUBLIC_CACHE
    return [_summary(version) for version in versions(session)]


@router.get("/policy/versions/{number}", responses=_CACHED | _NO_VERSION)
def public_policy_version(
    number: IdPath, session: DbSession, response: Response
) -> PolicyVersionOut:
    """One published version, current or past, every clause as it stood."""
    version = version_by_number(session, number)
    current = current_version(session)
    assert current is not None  # a version exists, so a newest one does
    response.headers["Cache-Control"] = PUBLIC_CACHE
    return _version(version, current)


@router.get("/policy/diff", responses=_CACHED | _NO_VERSION)
def public_policy_diff(
    session: DbSession,
    response: Response,
    from_: Annotated[int, Query(alias="from", ge=1, le=MAX_ID, description="the older version")],
    to: Annotated[int, Query(ge=1, le=MAX_ID, description="the newer version")],
) -> PolicyDiffOut:
    """What changed from version `from` to version `to`: clauses added, removed and changed,
    field by field, with changed text marked word by word."""
    old = version_by_number(session, from_)
    new = version_by_number(session, to)
    diff = diff_policies(policy_of(old).document, policy_of(new).document)
    response.headers["Cache-Control"] = PUBLIC_CACHE
    return _diff(old, new, diff)
