"""Request dependencies: the database session, who is asking, and what they may see."""

from __future__ import annotations

import re
from collections.abc import Callable, Iterator
from datetime import date
from typing import Annotated, Any, TypeVar

from fastapi import Depends, HTTPException, Path, Query, Request, status
from fastapi.security import HTTPAuthorizationCredentials, HTTPBearer
from pydantic import BeforeValidator
from sqlalchemy.orm import Session

from adwarden import settings
from adwarden.auth.models import User
from adwarden.auth.services import actor_for, user_for_api_token, user_for_session
from adwarden.domain.actors import Actor, Source
from adwarden.domain.enums import Role
from adwarden.domain.errors import NotFoundError
from adwarden.store.engine import Database


def database(request: Request) -> Database:
    db: Database = request.app.state.db
    return db


# Methods that read, by HTTP's rules. A handler that writes on one all the same (opening the
# appeals queue escalates the late ones) still may: on SQLite it takes its turn to write at
# its first write, rather than every read queueing behind the writers for one.
_READING = frozenset({"GET", "HEAD", "OPTIONS"})
_READS_ONLY = "_adwarden_reads_only"

Endpoint = TypeVar("Endpoint", bound=Callable[..., Any])


def reads_only(endpoint: Endpoint) -> Endpoint:
    """Marks a POST handler that only reads (a self-check, a name match): anyone may send
    one, and on SQLite it must not hold up the writers while it computes."""
    setattr(endpoint, _READS_ONLY, True)
    return endpoint


def _session(request: Request, db: Annotated[Database, Depends(database)]) -> Iterator[Session]:
    # Commits when the handler returns and before the response is sent, so a
    # client never sees success for work that did not commit.
    endpoint = request.scope.get("endpoint")
    writes = request.method not in _READING and not getattr(endpoint, _READS_ONLY, False)
    with db.transaction(writes=writes) as session:
        yield session


DbSession = Annotated[Session, Depends(_session, scope="function")]

_bearer = HTTPBearer(auto_error=False, description="an API token from POST /api/v1/tokens")


def _api_user(
    session: DbSession,
    credentials: Annotated[HTTPAuthorizationCredentials | None, Depends(_bearer)],
) -> User:
    user = user_for_api_token(session, credentials.credentials) if credentials else None
    if user is None:
        raise HTTPException(
            status.HTTP_401_UNAUTHORIZED,
            "a valid API token is required (Authorization: Bearer ...)",
            headers={"WWW-Authenticate": "Bearer"},
        )
    return user


def _api_actor(user: Annotated[User, Depends(_api_user)]) -> Actor:
    return actor_for(user, Source.api)


ApiActor = Annotated[Actor, Depends(_api_actor)]


def _staff(actor: ApiActor) -> Actor:
    if not actor.is_staff:
        raise HTTPException(status.HTTP_403_FORBIDDEN, "staff only")
    return actor


StaffActor = Annotated[Actor, Depends(_staff)]


def _advertiser_user(actor: ApiActor) -> Actor:
    if actor.role is not Role.advertiser:
        raise HTTPException(status.HTTP_403_FORBIDDEN, "advertiser users only")
    return actor


AdvertiserActor = Annotated[Actor, Depends(_advertiser_user)]


def ensure_visible(actor: Actor, advertiser_id: int | None, kind: str, ident: int) -> None:
    """Staff see everything; an advertiser user sees only its own advertiser's records.

    Another advertiser's record answers 404, as if it did not exist, so ids leak nothing.
    """
    if actor.is_staff:
        return
    if advertiser_id is None or actor.advertiser_id != advertiser_id:
        raise NotFoundError(kind, ident)


def web_user(request: Request, session: DbSession) -> User | None:
    token = request.cookies.get(settings.SESSION_COOKIE)
    return user_for_session(session, token) if token else None


WebUser = Annotated[User | None, Depends(web_user)]

MAX_ID = 2**31 - 1
IdPath = Annotated[int, Path(ge=1, le=MAX_ID)]
Offset = Annotated[int, Query(ge=0, le=1_000_000, description="rows to skip")]
Limit = Annotated[int, Query(ge=1, le=200, description="rows per page")]


_ISO_DAY = re.compile(r"\d{4}-\d{2}-\d{2}")


def _iso_day(value: Any) -> Any:
    # pydantic would also read "0" or "1700000000" as a date; a query says YYYY-MM-DD
    if isinstance(value, str) and not _ISO_DAY.fullmatch(value):
        raise ValueError("a date as YYYY-MM-DD")
    return value


IsoDate = Annotated[date, BeforeValidator(_iso_day)]
