"""Errors stage services raise; the web and CLI layers translate them, never the reverse."""

from __future__ import annotations


class AdwardenError(Exception):
    """Base for errors that carry a message fit to show the person who caused them."""


class NotFoundError(AdwardenError):
    def __init__(self, kind: str, ident: object) -> None:
        super().__init__(f"{kind} {ident} not found")
        self.kind = kind
        self.ident = ident


class ForbiddenError(AdwardenError):
    """The actor may not do this. Callers that must not reveal existence use NotFoundError."""


class ConflictError(AdwardenError):
    """The request is well-formed but clashes with stored state (a taken handle, say)."""


class InvalidInputError(AdwardenError):
    """The input is well-formed but wrong; `field` names the place when there is one."""

    def __init__(self, message: str, field: str | None = None) -> None:
        super().__init__(message)
        self.field = field


class UnavailableError(AdwardenError):
    """Not now, but soon: a part the request needs is not ready (the first screening index of
    a process still building, say). Worth trying again; the web answers 503 with Retry-After."""
