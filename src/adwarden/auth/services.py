"""Creating users and checking who a request comes from."""

from __future__ import annotations

import hashlib
import re
import secrets
from datetime import datetime, timedelta

from sqlalchemy import select
from sqlalchemy.orm import Session

from adwarden import settings
from adwarden.audit.services import record, record_created
from adwarden.auth.models import ApiToken, User, WebSession
from adwarden.auth.passwords import hash_password, verify_password
from adwarden.domain.actors import Actor, Source
from adwarden.domain.enums import Role
from adwarden.domain.errors import ConflictError, InvalidInputError, NotFoundError
from adwarden.registry.models import Advertiser
from adwarden.store.base import utcnow

EMAIL = re.compile(r"^[^@\s]+@[^@\s]+\.[^@\s]+$")
TOKEN_PREFIX = "adw_"  # noqa: S105  (a public marker, not a secret)


def digest(token: str) -> str:
    return hashlib.sha256(token.encode()).hexdigest()


def actor_for(user: User, source: Source) -> Actor:
    return Actor(
        label=user.email,
        source=source,
        user_id=user.id,
        role=user.role,
        advertiser_id=user.advertiser_id,
    )


def create_user(
    session: Session,
    actor: Actor,
    *,
    email: str,
    name: str,
    role: Role,
    password: str,
    advertiser_id: int | None = None,
) -> User:
    email = email.strip().lower()
    if not EMAIL.match(email):
        raise InvalidInputError(f"{email!r} is not an email address", field="email")
    if role is Role.advertiser and advertiser_id is None:
        raise InvalidInputError("an advertiser user needs --advertiser ID", field="advertiser")
    if role is not Role.advertiser and advertiser_id is not None:
        raise InvalidInputError(f"a {role} belongs to no advertiser", field="advertiser")
    if advertiser_id is not None and session.get(Advertiser, advertiser_id) is None:
        raise NotFoundError("advertiser", advertiser_id)
    if session.scalar(select(User.id).where(User.email == email)) is not None:
        raise ConflictError(f"a user with email {email} exists already")
    try:
        password_hash = hash_password(password)
    except ValueError as exc:
        raise InvalidInputError(str(exc), field="password") from None
    user = User(
        email=email, name=name, role=role, advertiser_id=advertiser_id, password_hash=password_hash
    )
    record_created(session, actor, "user", user, changes={"email": email, "role": role.value})
    return user


def user_by_email(session: Session, email: str) -> User:
    user = session.scalars(select(User).where(User.email == email.strip().lower())).first()
    if user is None:
        raise NotFoundError("user", email)
    return user


def authenticate(session: Session, email: str, password: str) -> User | None:
    user = session.scalar(select(User).where(User.email == email.strip().lower()))
    ok = verify_password(user.password_hash if user else None, password)
    if user is None or not ok or user.disabled_at is not None:
        return None
    return user


def start_web_session(session: Session, user: User) -> str:
    """Open a session and return the cookie value; only its digest is stored."""
    token = secrets.token_urlsafe(32)
    now = utcnow()
    web_session = WebSession(
        user_id=user.id,
        token_hash=digest(token),
        expires_at=now + timedelta(hours=settings.SESSION_HOURS),
    )
    record(session, actor_for(user, Source.web), "session", "start", user.id)
    session.add(web_session)
    return token


def user_for_session(session: Session, token: str, now: datetime | None = None) -> User | None:
    now = now or utcnow()
    found = session.scalar(select(WebSession).where(WebSession.token_hash == digest(token)))
    if found is None or found.ended_at is not None or found.expires_at <= now:
        return None
    return found.user if found.user.disabled_at is None else None


def end_web_session(session: Session, token: str) -> None:
    found = session.scalar(select(WebSession).where(WebSession.token_hash == digest(token)))
    if found is None or found.ended_at is not None:
        return
    record(session, actor_for(found.user, Source.web), "session", "end", found.user_id)
    found.ended_at = utcnow()


def issue_api_token(session: Session, user: User, label: str) -> str:
    """Create a bearer token and return it; it is shown once and stored only as a digest."""
    token = TOKEN_PREFIX + secrets.token_urlsafe(32)
    session.add(ApiToken(user_id=user.id, label=label, token_hash=digest(token), prefix=token[:12]))
    record(
        session, actor_for(user, Source.api), "token", "issue", user.id, changes={"label": label}
    )
    return token


def user_for_api_token(session: Session, token: str) -> User | None:
    found = session.scalar(select(ApiToken).where(ApiToken.token_hash == digest(token)))
    if found is None or found.revoked_at is not None or found.user.disabled_at is not None:
        return None
    return found.user
