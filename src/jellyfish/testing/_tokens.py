"""Peer tokens: opaque, HMAC-SHA256 signed and expiring, in the spirit of ``Phoenix.Token``."""

from __future__ import annotations

import base64
import binascii
import hashlib
import hmac
import json
import secrets
import time
from collections.abc import Callable

#: ``Phoenix.Token`` checks tokens with ``max_age`` = 86 400 s in Jellyfish v0.5.0.
DEFAULT_MAX_AGE = 86_400.0

_PREFIX = "SFMyNTY"  # base64url("HS256"), the prefix Phoenix tokens carry


class TokenError(Exception):
    """A token that does not verify; ``reason`` is the peer-socket close reason."""

    def __init__(self, reason: str) -> None:
        super().__init__(reason)
        self.reason = reason


def _b64(data: bytes) -> str:
    return base64.urlsafe_b64encode(data).rstrip(b"=").decode("ascii")


def _unb64(text: str) -> bytes:
    return base64.urlsafe_b64decode(text + "=" * (-len(text) % 4))


class PeerTokenSigner:
    """Signs and verifies peer tokens with one secret (random per boot unless given)."""

    def __init__(
        self,
        secret_key_base: bytes | str | None = None,
        max_age: float = DEFAULT_MAX_AGE,
        clock: Callable[[], float] = time.time,
    ) -> None:
        if secret_key_base is None:
            secret_key_base = secrets.token_bytes(48)
        if isinstance(secret_key_base, str):
            secret_key_base = secret_key_base.encode()
        self._key = hashlib.sha256(secret_key_base + b"|peer-token").digest()
        self.max_age = max_age
        self._clock = clock

    def sign(self, room_id: str, peer_id: str) -> str:
        """A token for ``peer_id`` in ``room_id``, valid for ``max_age`` seconds."""
        payload = {
            "data": {"peer_id": peer_id, "room_id": room_id},
            "signed": int(self._clock() * 1000),
        }
        body = _b64(json.dumps(payload, separators=(",", ":")).encode())
        signing_input = f"{_PREFIX}.{body}".encode()
        signature = hmac.new(self._key, signing_input, hashlib.sha256).digest()
        return f"{_PREFIX}.{body}.{_b64(signature)}"

    def verify(self, token: str) -> tuple[str, str]:
        """``(room_id, peer_id)`` of a valid token; :class:`TokenError` otherwise."""
        if not token:
            raise TokenError("missing token")
        parts = token.split(".")
        if len(parts) != 3 or parts[0] != _PREFIX:
            raise TokenError("invalid token")
        try:
            signature = _unb64(parts[2])
        except (binascii.Error, ValueError):
            raise TokenError("invalid token") from None
        expected = hmac.new(self._key, f"{parts[0]}.{parts[1]}".encode(), hashlib.sha256).digest()
        if not hmac.compare_digest(signature, expected):
            raise TokenError("invalid token")
        try:
            payload = json.loads(_unb64(parts[1]))
            data = payload["data"]
            room_id, peer_id, signed = data["room_id"], data["peer_id"], payload["signed"]
        except (ValueError, KeyError, TypeError, binascii.Error):
            raise TokenError("invalid token") from None
        if not (isinstance(room_id, str) and isinstance(peer_id, str)):
            raise TokenError("invalid token")
        if not isinstance(signed, int) or signed + self.max_age * 1000 < self._clock() * 1000:
            raise TokenError("expired token")
        return room_id, peer_id
