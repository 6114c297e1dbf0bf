"""Error responses every API route may give, declared once so the OpenAPI spec lists them."""

from __future__ import annotations

from typing import Any

from adwarden.web.api.schemas import ErrorOut

AUTHENTICATED: dict[int | str, dict[str, Any]] = {
    401: {"model": ErrorOut, "description": "no valid API token"},
    403: {"model": ErrorOut, "description": "the token's role may not do this"},
    404: {"model": ErrorOut, "description": "no such record, or not yours"},
}
WRITES: dict[int | str, dict[str, Any]] = {
    409: {"model": ErrorOut, "description": "clashes with stored state"},
}
