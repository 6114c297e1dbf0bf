"""Configuration, read from ADWARDEN_-prefixed environment variables."""

from __future__ import annotations

import contextlib
import os
import secrets
import tempfile
from pathlib import Path

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


# Where the workspace keeps its copy of the shared public data, for clones made elsewhere.
WORKSPACE_SHARED_DATA = Path("/work/shared/data")


class SharedDataMissingError(LookupError):
    """The shared public data folder (lists, evaluation sets) could not be found."""


def shared_data() -> Path:
    """The public data read in place: ADWARDEN_SHARED_DATA if set (and then only there),
    else `shared/data` beside the checkout, else the workspace copy. A folder counts only
    if it holds SOURCES.md."""
    override = os.environ.get("ADWARDEN_SHARED_DATA")
    if override:
        if (Path(override) / "SOURCES.md").is_file():
            return Path(override)
        raise SharedDataMissingError(
            f"ADWARDEN_SHARED_DATA={override} is not the shared data folder (no SOURCES.md there)"
        )
    candidates = [parent / "shared" / "data" for parent in Path(__file__).resolve().parents]
    candidates.append(WORKSPACE_SHARED_DATA)
    for candidate in candidates:
        if (candidate / "SOURCES.md").is_file():
            return candidate
    raise SharedDataMissingError(
        "shared/data (with SOURCES.md) not found beside the checkout: "
        "set ADWARDEN_SHARED_DATA to its folder"
    )


def data_dir() -> Path:
    """Where files that do not belong in the database live (appeal attachments)."""
    return Path(os.environ.get("ADWARDEN_DATA_DIR") or "adwarden-data")


def serving_key() -> bytes:
    """The key that signs impression and click URLs: ADWARDEN_SERVING_KEY (hex), or one made
    on first use and kept in the data folder, readable by its owner only."""
    given = os.environ.get("ADWARDEN_SERVING_KEY")
    if given:
        return bytes.fromhex(given)
    path = data_dir() / "serving.key"
    if not path.exists():
        # written whole under another name, then linked into place: serving processes
        # starting together all end up with the one key that won, never a half-written one
        path.parent.mkdir(parents=True, exist_ok=True)
        handle, temporary = tempfile.mkstemp(dir=path.parent, prefix=".serving-key-")
        try:
            with os.fdopen(handle, "w") as out:
                out.write(secrets.token_hex(32))
            with contextlib.suppress(FileExistsError):
                os.link(temporary, path)
        finally:
            os.unlink(temporary)
    return bytes.fromhex(path.read_text().strip())


def log_key_path() -> Path:
    """The Ed25519 key that signs the transparency log's tree heads: the PEM file named by
    ADWARDEN_LOG_KEY, else `log-signing-key.pem` in the data folder (`adwarden keys init`)."""
    given = os.environ.get("ADWARDEN_LOG_KEY")
    return Path(given) if given else data_dir() / "log-signing-key.pem"
