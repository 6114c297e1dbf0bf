"""Configuration, read from ADWARDEN_-prefixed environment variables."""

from __future__ import annotations

import os

DEFAULT_DATABASE_URL = "sqlite:///adwarden-demo.db"


def database_url() -> str:
    return os.environ.get("ADWARDEN_DATABASE_URL") or DEFAULT_DATABASE_URL


SESSION_COOKIE = "adwarden_session"
SESSION_HOURS = int(os.environ.get("ADWARDEN_SESSION_HOURS", "12"))
# Secure cookies need HTTPS; the demo serves plain HTTP on loopback.
COOKIE_SECURE = os.environ.get("ADWARDEN_COOKIE_SECURE", "0") == "1"


def public_url() -> str:
    """Where the public site lives, for links in notices and statements of reasons."""
    return (os.environ.get("ADWARDEN_PUBLIC_URL") or "http://127.0.0.1:8000").rstrip("/")
