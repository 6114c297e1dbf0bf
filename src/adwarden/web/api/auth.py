"""API tokens and the caller's own identity."""

from __future__ import annotations

from fastapi import APIRouter, HTTPException, status

from adwarden.auth.models import User
from adwarden.auth.services import authenticate, issue_api_token
from adwarden.web.api.errors import AUTHENTICATED
from adwarden.web.api.schemas import ErrorOut, TokenOut, TokenRequest, UserOut
from adwarden.web.deps import ApiActor, DbSession

router = APIRouter(tags=["auth"])


@router.post(
    "/tokens",
    response_model=TokenOut,
    status_code=status.HTTP_201_CREATED,
    responses={401: {"model": ErrorOut, "description": "wrong email or password"}},
)
def create_token(body: TokenRequest, session: DbSession) -> TokenOut:
    """Exchange an email and password for a bearer token, shown once."""
    user = authenticate(session, body.email, body.password)
    if user is None:
        raise HTTPException(status.HTTP_401_UNAUTHORIZED, "wrong email or password")
    token = issue_api_token(session, user, body.label)
    return TokenOut(token=token, user=UserOut.of(user))


@router.get("/me", response_model=UserOut, responses=AUTHENTICATED)
def me(actor: ApiActor, session: DbSession) -> UserOut:
    assert actor.user_id is not None
    user = session.get(User, actor.user_id)
    assert user is not None
    return UserOut.of(user)
