"""Publishing policy versions and reading them back."""

from __future__ import annotations

from collections.abc import Sequence

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from adwarden.audit.services import record_created
from adwarden.domain.actors import Actor
from adwarden.domain.enums import Role
from adwarden.domain.errors import ConflictError, ForbiddenError, InvalidInputError, NotFoundError
from adwarden.policy.loader import Policy, policy_from_document
from adwarden.policy.models import PolicyVersion


def publish_policy(session: Session, actor: Actor, policy: Policy, changelog: str) -> PolicyVersion:
    """Make `policy` the current version. Only a policy admin may, and only with a changelog."""
    if actor.role is not Role.policy_admin or actor.user_id is None:
        raise ForbiddenError("publishing a policy version needs a signed-in policy_admin")
    if not changelog.strip():
        raise InvalidInputError("say what changed and why: the changelog is empty", "changelog")
    current = current_version(session)
    if current is not None and current.content_hash == policy.content_hash:
        raise ConflictError(
            f"this policy is already the current version (v{current.number}, "
            f"sha256 {policy.content_hash[:12]})"
        )
    number = (session.scalar(select(func.max(PolicyVersion.number))) or 0) + 1
    version = PolicyVersion(
        number=number,
        content_hash=policy.content_hash,
        title=policy.title,
        document=policy.document,
        changelog=changelog.strip(),
        published_by=actor.user_id,
    )
    record_created(
        session,
        actor,
        "policy_version",
        version,
        reason=changelog.strip(),
        changes={"number": number, "content_hash": policy.content_hash},
    )
    return version


def current_version(session: Session) -> PolicyVersion | None:
    return session.scalars(
        select(PolicyVersion).order_by(PolicyVersion.number.desc()).limit(1)
    ).first()


def version_by_number(session: Session, number: int) -> PolicyVersion:
    found = session.scalars(select(PolicyVersion).where(PolicyVersion.number == number)).first()
    if found is None:
        raise NotFoundError("policy version", number)
    return found


def versions(session: Session) -> Sequence[PolicyVersion]:
    return session.scalars(select(PolicyVersion).order_by(PolicyVersion.number.desc())).all()


def policy_of(version: PolicyVersion) -> Policy:
    """The stored version, compiled; its hash must be the one it was published under."""
    policy = policy_from_document(version.document, f"policy version {version.number}")
    if policy.content_hash != version.content_hash:
        raise ConflictError(
            f"policy version {version.number} no longer hashes to {version.content_hash[:12]}: "
            "its stored document was altered"
        )
    return policy
