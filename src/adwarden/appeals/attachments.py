"""Appeal attachments on disk: size-limited, type-checked by content, named by their hash.

The bytes are stored under `data_dir()/attachments/ab/abcdef…` (the SHA-256), written to
a temporary name and renamed into place, so a file is either whole or absent. A file left
by a transaction that rolled back is harmless: nothing names it, and the same upload
later lands on the same path.
"""

from __future__ import annotations

import hashlib
import os
import tempfile
from dataclasses import dataclass
from pathlib import Path, PurePath

from adwarden import settings
from adwarden.domain.errors import AdwardenError, InvalidInputError

MAX_BYTES = 5 * 1024 * 1024
MAX_PER_APPEAL = 5


@dataclass(frozen=True)
class FileType:
    media_type: str
    extensions: tuple[str, ...]
    label: str


PDF = FileType("application/pdf", (".pdf",), "PDF")
PNG = FileType("image/png", (".png",), "PNG image")
JPEG = FileType("image/jpeg", (".jpg", ".jpeg"), "JPEG image")
TEXT = FileType("text/plain", (".txt",), "plain text")
ALLOWED = (PDF, PNG, JPEG, TEXT)
ALLOWED_NAMES = ", ".join(t.label for t in ALLOWED)


class AttachmentAlteredError(AdwardenError):
    """A stored attachment's bytes no longer hash to the name the database holds."""


def sniff(data: bytes) -> FileType | None:
    """What the bytes are, by their content; the name a browser sent is not trusted."""
    if data.startswith(b"%PDF-"):
        return PDF
    if data.startswith(b"\x89PNG\r\n\x1a\n"):
        return PNG
    if data.startswith(b"\xff\xd8\xff"):
        return JPEG
    if b"\x00" not in data:
        try:
            data.decode("utf-8")
        except UnicodeDecodeError:
            return None
        return TEXT
    return None


def check(filename: str, data: bytes) -> tuple[str, FileType]:
    """The file's safe name and type, or an error naming the problem with this file."""
    name = PurePath(filename.replace("\\", "/")).name.strip()
    if not name or name in {".", ".."}:
        raise InvalidInputError("give the attachment a file name", "attachments")
    if len(name) > 200:
        raise InvalidInputError(
            f"{name[:40]}…: file names are at most 200 characters", "attachments"
        )
    if not data:
        raise InvalidInputError(f"{name} is empty", "attachments")
    if len(data) > MAX_BYTES:
        raise InvalidInputError(
            f"{name} is {len(data) / 1048576:.1f} MB; attachments are at most "
            f"{MAX_BYTES // 1048576} MB",
            "attachments",
        )
    kind = sniff(data)
    if kind is None:
        raise InvalidInputError(
            f"{name} is not a file type we accept; send {ALLOWED_NAMES}", "attachments"
        )
    if PurePath(name).suffix.lower() not in kind.extensions:
        raise InvalidInputError(
            f"{name} holds a {kind.label}; name it with {' or '.join(kind.extensions)}",
            "attachments",
        )
    return name, kind


def path_for(sha256: str) -> Path:
    return settings.data_dir() / "attachments" / sha256[:2] / sha256


def store(data: bytes) -> str:
    """Write the bytes under their hash, if not there already; return the hash."""
    digest = hashlib.sha256(data).hexdigest()
    target = path_for(digest)
    if target.is_file() and hashlib.sha256(target.read_bytes()).hexdigest() == digest:
        return digest
    target.parent.mkdir(parents=True, exist_ok=True)
    handle, temporary = tempfile.mkstemp(dir=target.parent, prefix=".incoming-")
    with os.fdopen(handle, "wb") as out:
        out.write(data)
    os.replace(temporary, target)
    return digest


def load(sha256: str) -> bytes:
    """The stored bytes, checked against their hash."""
    try:
        data = path_for(sha256).read_bytes()
    except FileNotFoundError:
        raise AttachmentAlteredError(f"attachment {sha256[:12]}… is missing from disk") from None
    if hashlib.sha256(data).hexdigest() != sha256:
        raise AttachmentAlteredError(f"attachment {sha256[:12]}… was altered on disk")
    return data
