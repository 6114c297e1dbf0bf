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
# Any route that reads or writes the database: too busy to answer in time (no pooled
# connection, or no turn to write, came free); the same request may be sent again.
BUSY: dict[int | str, dict[str, Any]] = {
    503: {
        "model": ErrorOut,
        "description": "the database is too busy just now; send it again after Retry-After",
        "headers": {
            "Retry-After": {
                "description": "seconds to wait before sending it again",
                "schema": {"type": "integer"},
            }
        },
    },
}
