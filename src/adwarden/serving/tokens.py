"""Signed impression and click URLs: what was decided, sealed with an HMAC, so that a client
can neither forge an event nor change its price. Replays are stopped by the ledger, which
counts each decision id and kind once."""

from __future__ import annotations

import base64
import hashlib
import hmac
from dataclasses import dataclass

from adwarden.domain.enums import LedgerKind
from adwarden.domain.errors import AdwardenError

# an event must be reported within this many seconds of its decision
MAX_AGE_SECONDS = 3600
_MAC_BYTES = 16


class EventTokenError(AdwardenError):
    """An impression or click URL that was altered, forged, or is too old."""


@dataclass(frozen=True)
class EventClaim:
    decision_id: str
    kind: LedgerKind
    campaign_id: int
    promoted_post_id: int
    advertiser_id: int
    placement: str
    price_micros: int
    issued_at: int  # seconds since the epoch
    viewer: str  # viewer_of(user_key): counts against the frequency cap, names no one

    def payload(self) -> bytes:
        fields = (
            self.decision_id,
            self.kind.value,
            self.campaign_id,
            self.promoted_post_id,
            self.advertiser_id,
            self.placement,
            self.price_micros,
            self.issued_at,
            self.viewer,
        )
        return "|".join(str(field) for field in fields).encode()


def viewer_of(user_key: str) -> str:
    """The user key as the ledger keeps it: a short hash, enough to cap frequency."""
    return hashlib.blake2b(user_key.encode(), digest_size=8).hexdigest()


def _b64(data: bytes) -> str:
    return base64.urlsafe_b64encode(data).rstrip(b"=").decode()


def _unb64(text: str) -> bytes:
    return base64.urlsafe_b64decode(text + "=" * (-len(text) % 4))


def sign(claim: EventClaim, key: bytes) -> str:
    payload = claim.payload()
    mac = hmac.new(key, payload, hashlib.sha256).digest()[:_MAC_BYTES]
    return f"{_b64(payload)}.{_b64(mac)}"


def verify(token: str, key: bytes, now: float) -> EventClaim:
    try:
        encoded, encoded_mac = token.split(".")
        payload, mac = _unb64(encoded), _unb64(encoded_mac)
    except (ValueError, TypeError):
        raise EventTokenError("the event token is malformed") from None
    expected = hmac.new(key, payload, hashlib.sha256).digest()[:_MAC_BYTES]
    if not hmac.compare_digest(mac, expected):
        raise EventTokenError("the event token's signature does not match: it was altered")
    try:
        parts = payload.decode().split("|")
        decision_id, kind, campaign, post, advertiser, placement, price, issued, viewer = parts
        claim = EventClaim(
            decision_id,
            LedgerKind(kind),
            int(campaign),
            int(post),
            int(advertiser),
            placement,
            int(price),
            int(issued),
            viewer,
        )
    except ValueError:
        raise EventTokenError("the event token is malformed") from None
    if now - claim.issued_at > MAX_AGE_SECONDS:
        raise EventTokenError(f"the event token is older than {MAX_AGE_SECONDS} seconds")
    return claim
