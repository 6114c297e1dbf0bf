"""Turn stage errors into HTTP answers: 404, 403, 409, or 422 naming the field.

Nothing escapes as a 500 by design; an unexpected exception still gets a
plain 500 without internals.
"""

from __future__ import annotations

from fastapi import FastAPI, Request, status
from fastapi.exception_handlers import http_exception_handler, request_validation_exception_handler
from fastapi.exceptions import RequestValidationError
from fastapi.responses import JSONResponse, Response
from starlette.exceptions import HTTPException as StarletteHTTPException

from adwarden.domain.errors import ConflictError, ForbiddenError, InvalidInputError, NotFoundError


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
        return await http_exception_handler(request, exc)

    @app.exception_handler(NotFoundError)
    async def _not_found(_request: Request, exc: NotFoundError) -> JSONResponse:
        return JSONResponse({"detail": str(exc)}, status.HTTP_404_NOT_FOUND)

    @app.exception_handler(ForbiddenError)
    async def _forbidden(_request: Request, exc: ForbiddenError) -> JSONResponse:
        return JSONResponse({"detail": str(exc)}, status.HTTP_403_FORBIDDEN)

    @app.exception_handler(ConflictError)
    async def _conflict(_request: Request, exc: ConflictError) -> JSONResponse:
        return JSONResponse({"detail": str(exc)}, status.HTTP_409_CONFLICT)

    @app.exception_handler(InvalidInputError)
    async def _invalid(_request: Request, exc: InvalidInputError) -> JSONResponse:
        loc = ["body", exc.field] if exc.field else ["body"]
        detail = [{"loc": loc, "msg": str(exc), "type": "value_error"}]
        return JSONResponse({"detail": detail}, status.HTTP_422_UNPROCESSABLE_CONTENT)
