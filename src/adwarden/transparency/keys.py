"""The log's signing key: Ed25519, kept as a PKCS#8 PEM file the owner alone may read.

The key is never made implicitly: a log whose key silently changed would look forged to every
verifier that saved its earlier tree heads. `adwarden keys init` makes one, once.
"""

from __future__ import annotations

import base64
import hashlib
import os
from dataclasses import dataclass
from functools import lru_cache
from pathlib import Path

from cryptography.exceptions import InvalidSignature
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey, Ed25519PublicKey

from adwarden import settings


class LogKeyError(LookupError):
    """No usable signing key: the message says where it was looked for and what to do."""


@dataclass(frozen=True)
class PublicKey:
    raw: bytes  # the 32-byte Ed25519 public key

    @property
    def key_id(self) -> str:
        """SHA-256 of the key's DER SubjectPublicKeyInfo, as RFC 9162 names a log's key."""
        return hashlib.sha256(self._der()).hexdigest()

    @property
    def base64(self) -> str:
        return base64.b64encode(self.raw).decode()

    def _der(self) -> bytes:
        key = Ed25519PublicKey.from_public_bytes(self.raw)
        return key.public_bytes(
            serialization.Encoding.DER, serialization.PublicFormat.SubjectPublicKeyInfo
        )

    def verify(self, signature: bytes, message: bytes) -> bool:
        try:
            Ed25519PublicKey.from_public_bytes(self.raw).verify(signature, message)
        except InvalidSignature:
            return False
        return True


def init_key(path: Path | None = None) -> tuple[Path, PublicKey]:
    """Write a new key to `path` (default: the configured one). An existing key is kept."""
    target = path or settings.log_key_path()
    if target.exists():
        raise FileExistsError(
            f"{target} already holds a log signing key; a new key would break every saved "
            "tree head, so it is kept (move it away first if you really mean to replace it)"
        )
    target.parent.mkdir(parents=True, exist_ok=True)
    key = Ed25519PrivateKey.generate()
    pem = key.private_bytes(
        serialization.Encoding.PEM,
        serialization.PrivateFormat.PKCS8,
        serialization.NoEncryption(),
    )
    handle = os.open(target, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    with os.fdopen(handle, "wb") as out:
        out.write(pem)
    return target, _public(key)


def _public(key: Ed25519PrivateKey) -> PublicKey:
    return PublicKey(
        key.public_key().public_bytes(serialization.Encoding.Raw, serialization.PublicFormat.Raw)
    )


@lru_cache(maxsize=4)
def _load(path: Path, mtime_ns: int) -> Ed25519PrivateKey:
    try:
        key = serialization.load_pem_private_key(path.read_bytes(), password=None)
    except ValueError as error:
        raise LogKeyError(f"{path} is not a PEM private key: {error}") from None
    if not isinstance(key, Ed25519PrivateKey):
        raise LogKeyError(f"{path} holds a {type(key).__name__}, not an Ed25519 key")
    return key


def signing_key() -> Ed25519PrivateKey:
    path = settings.log_key_path()
    try:
        mtime = path.stat().st_mtime_ns
    except FileNotFoundError:
        raise LogKeyError(
            f"no log signing key at {path}: run `adwarden keys init`, or set ADWARDEN_LOG_KEY "
            "to the PEM file of an Ed25519 key"
        ) from None
    return _load(path, mtime)


def public_key() -> PublicKey:
    return _public(signing_key())


def sign(message: bytes) -> bytes:
    return signing_key().sign(message)
