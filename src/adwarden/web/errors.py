"""Turn stage errors into HTTP answers: 404, 403, 409, or 422 naming the field, and a
database too busy to answer in time into 503 with Retry-After.

Nothing escapes as a 500 by design; an unexpected exception still gets a
plain 500 without internals.
"""

from __future__ import annotations

from fastapi import FastAPI, Request, status
from fastapi.exception_handlers import http_exception_handler, request_validation_exception_handler
from fastapi.exceptions import RequestValidationError
from fastapi.responses import JSONResponse, Response
from sqlalchemy.exc import OperationalError
from sqlalchemy.exc import TimeoutError as PoolTimeoutError
from starlette.exceptions import HTTPException as StarletteHTTPException

from adwarden import settings
from adwarden.auth.services import user_for_session
from adwarden.domain.errors import (
    ConflictError,
    ForbiddenError,
    InvalidInputError,
    NotFoundError,
    UnavailableError,
)
from adwarden.store.engine import DatabaseBusyError, is_busy
from adwarden.transparency.keys import LogKeyError
from adwarden.web.views import SignInRequiredError, WrongRoleError, error_page, sign_in_redirect


def install(app: FastAPI) -> None:
    @app.exception_handler(StarletteHTTPException)
    async def _http(request: Request, exc: StarletteHTTPException) -> Response:
        # FastAPI answers 400 when a JSON body cannot even be decoded (bytes that are
        # not UTF-8, or nesting too deep to parse); that is malformed JSON like any
        # other, so it gets the same 422 as a syntax error.
        if exc.status_code == status.HTTP_400_BAD_REQUEST and isinstance(
            exc.__cause__, ValueError | RecursionError
        ):
            error = {
                "type": "json_invalid",
                "loc": ("body",),
                "msg": "JSON decode error",
                "input": {},
                "ctx": {"error": str(exc.__cause__)},
            }
            return await request_validation_exception_handler(
                request, RequestValidationError([error])
            )
        if _is_page(request):
            return _page(request, exc.status_code, str(exc.detail))
        return await http_exception_handler(request, exc)

    @app.exception_handler(RequestValidationError)
    async def _validation(request: Request, exc: RequestValidationError) -> Response:
        if _is_page(request):
            first = exc.errors()[0] if exc.errors() else {}
            where = ".".join(str(part) for part in first.get("loc", ()))
            return _page(
                request,
                status.HTTP_422_UNPROCESSABLE_CONTENT,
                f"Not a valid request: {where}: {first.get('msg', 'invalid')}",
            )
        return await request_validation_exception_handler(request, exc)

    @app.exception_handler(NotFoundError)
    async def _not_found(request: Request, exc: NotFoundError) -> Response:
        return _answer(request, status.HTTP_404_NOT_FOUND, str(exc))

    @app.exception_handler(ForbiddenError)
    async def _forbidden(request: Request, exc: ForbiddenError) -> Response:
        return _answer(request, status.HTTP_403_FORBIDDEN, str(exc))

    @app.exception_handler(ConflictError)
    async def _conflict(request: Request, exc: ConflictError) -> Response:
        return _answer(request, status.HTTP_409_CONFLICT, str(exc))

    @app.exception_handler(InvalidInputError)
    async def _invalid(request: Request, exc: InvalidInputError) -> Response:
        if _is_page(request):
            return _page(request, status.HTTP_422_UNPROCESSABLE_CONTENT, str(exc))
        loc = ["body", exc.field] if exc.field else ["body"]
        detail = [{"loc": loc, "msg": str(exc), "type": "value_error"}]
        return JSONResponse({"detail": detail}, status.HTTP_422_UNPROCESSABLE_CONTENT)

    @app.exception_handler(LogKeyError)
    async def _no_log_key(request: Request, exc: LogKeyError) -> Response:
        # nothing may be published unlogged: say so, rather than fail without a word
        return _answer(request, status.HTTP_503_SERVICE_UNAVAILABLE, str(exc))

    @app.exception_handler(UnavailableError)
    async def _unavailable(request: Request, exc: UnavailableError) -> Response:
        return busy_answer(request, str(exc))

    async def _busy(request: Request, exc: Exception) -> Response:
        if not is_busy(exc):
            raise exc  # any other database failure is the plain 500 it was
        return busy_answer(request)

    for busy in (DatabaseBusyError, PoolTimeoutError, OperationalError):
        app.add_exception_handler(busy, _busy)

    @app.exception_handler(SignInRequiredError)
    async def _sign_in(request: Request, _exc: SignInRequiredError) -> Response:
        return sign_in_redirect(request)

    @app.exception_handler(WrongRoleError)
    async def _wrong_role(request: Request, exc: WrongRoleError) -> Response:
        return _page(request, status.HTTP_403_FORBIDDEN, str(exc))


# Long enough for a queue of writers or a burst of requests to drain, short enough that a
# client that honours it is not kept waiting for nothing.
RETRY_AFTER = 2  # seconds
BUSY = "The database is busy; please try again in a moment."


def busy_answer(request: Request, message: str = BUSY) -> Response:
    """503 with Retry-After. A page says so without the signed-in nav: finding who is signed
    in would need the database that is too busy."""
    headers = {"Retry-After": str(RETRY_AFTER)}
    if _is_page(request):
        response = error_page(request, None, status.HTTP_503_SERVICE_UNAVAILABLE, message)
        response.headers.update(headers)
        return response
    return JSONResponse({"detail": message}, status.HTTP_503_SERVICE_UNAVAILABLE, headers=headers)


def _is_page(request: Request) -> bool:
    return not request.url.path.startswith("/api/")


def _page(request: Request, status_code: int, message: str) -> Response:
    """An error as a page, with the nav as the signed-in user would see it."""
    token = request.cookies.get(settings.SESSION_COOKIE)
    with request.app.state.db.sessions() as session:
        user = user_for_session(session, token) if token else None
        return error_page(request, user, status_code, message)


def _answer(request: Request, status_code: int, message: str) -> Response:
    if _is_page(request):
        return _page(request, status_code, message)
    return JSONResponse({"detail": message}, status_code)
