"""Peer tokens exactly as Jellyfish makes them: ``Phoenix.Token`` (§6.1).

``JellyfishWeb.PeerToken`` calls ``Phoenix.Token.sign(Endpoint, secret_key_base, data)``
with the secret key base as the salt too, and verifies with ``max_age: 86_400``. That is
``Plug.Crypto.sign``:

* key: PBKDF2-HMAC-SHA256(secret_key_base, salt, 1000 iterations, 32 bytes)
  (``Plug.Crypto.KeyGenerator``);
* payload: ``:erlang.term_to_binary({data, signed_at_ms, max_age})`` with ``data`` the map
  ``%{peer_id: ..., room_id: ...}`` and ``max_age`` Plug's default, 86 400 s;
* token: ``Plug.Crypto.MessageVerifier.sign``: ``"SFMyNTY." <> b64url(payload) <> "." <>
  b64url(HMAC-SHA256(key, "SFMyNTY." <> b64url(payload)))``, base64url without padding
  (``SFMyNTY`` is base64url of ``HS256``).

So any tool that verifies tokens with the server's secret key base verifies the emulator's.
"""

from __future__ import annotations

import base64
import binascii
import hashlib
import hmac
import secrets
import time
from collections.abc import Callable
from typing import Any

from jellyfish.testing._etf import Atom, TermError
from jellyfish.testing._etf import decode as decode_term
from jellyfish.testing._etf import encode as encode_term

#: ``jwt_max_age``: Jellyfish verifies peer tokens with ``max_age`` = 86 400 s.
DEFAULT_MAX_AGE = 86_400.0
#: ``Plug.Crypto``'s default token ``max_age``, written into every token it signs.
PLUG_TOKEN_MAX_AGE = 86_400
#: ``Plug.Crypto.KeyGenerator`` defaults used by ``Plug.Crypto.sign``.
KEY_ITERATIONS = 1000
KEY_LENGTH = 32
PROTECTED_HEADER = "SFMyNTY"  # base64url("HS256")


class TokenError(Exception):
    """A token that does not verify; ``reason`` is the peer-socket close reason."""

    def __init__(self, reason: str) -> None:
        super().__init__(reason)
        self.reason = reason


def _b64(data: bytes) -> str:
    return base64.urlsafe_b64encode(data).rstrip(b"=").decode("ascii")


def _unb64(text: str) -> bytes:
    if "=" in text:
        raise ValueError("padding")  # Base.url_decode64(padding: false) rejects it
    return base64.urlsafe_b64decode(text + "=" * (-len(text) % 4))


def derive_key(secret_key_base: bytes, salt: bytes) -> bytes:
    """``Plug.Crypto.KeyGenerator.generate(secret_key_base, salt)`` as Plug.Crypto.sign calls it."""
    return hashlib.pbkdf2_hmac("sha256", secret_key_base, salt, KEY_ITERATIONS, KEY_LENGTH)


class PeerTokenSigner:
    """Signs and verifies peer tokens with one secret key base (random per boot unless given)."""

    def __init__(
        self,
        secret_key_base: bytes | str | None = None,
        max_age: float = DEFAULT_MAX_AGE,
        clock: Callable[[], float] = time.time,
    ) -> None:
        if secret_key_base is None:
            # Jellyfish without JF_SECRET_KEY_BASE: 48 random bytes per boot.
            secret_key_base = _b64(secrets.token_bytes(48))
        if isinstance(secret_key_base, str):
            secret_key_base = secret_key_base.encode("utf-8")
        self._key = derive_key(secret_key_base, secret_key_base)
        self.max_age = max_age
        self._clock = clock

    def sign(self, room_id: str, peer_id: str) -> str:
        """A token for ``peer_id`` in ``room_id``, valid for ``max_age`` seconds."""
        data = {Atom("peer_id"): peer_id, Atom("room_id"): room_id}
        payload = encode_term((data, int(self._clock() * 1000), PLUG_TOKEN_MAX_AGE))
        signing_input = f"{PROTECTED_HEADER}.{_b64(payload)}"
        signature = hmac.new(self._key, signing_input.encode("ascii"), hashlib.sha256).digest()
        return f"{signing_input}.{_b64(signature)}"

    def verify(self, token: str) -> tuple[str, str]:
        """``(room_id, peer_id)`` of a valid token; :class:`TokenError` otherwise."""
        if not token:
            raise TokenError("missing token")
        parts = token.split(".")
        if len(parts) != 3 or parts[0] != PROTECTED_HEADER:
            raise TokenError("invalid token")
        try:
            signature = _unb64(parts[2])
            payload = _unb64(parts[1])
        except (binascii.Error, ValueError):
            raise TokenError("invalid token") from None
        signing_input = f"{parts[0]}.{parts[1]}".encode("ascii", "replace")
        expected = hmac.new(self._key, signing_input, hashlib.sha256).digest()
        if not hmac.compare_digest(signature, expected):
            raise TokenError("invalid token")
        data, signed_at = _token_term(payload)
        room_id, peer_id = data.get("room_id"), data.get("peer_id")
        if not (isinstance(room_id, bytes) and isinstance(peer_id, bytes)):
            raise TokenError("invalid token")
        # Jellyfish passes max_age to verify, which overrides the one inside the token.
        if signed_at + int(self.max_age * 1000) < int(self._clock() * 1000):
            raise TokenError("expired token")
        return room_id.decode("utf-8", "replace"), peer_id.decode("utf-8", "replace")


def _token_term(payload: bytes) -> tuple[dict[Any, Any], int]:
    """``(data, signed_at_ms)`` of a signed payload (``Plug.Crypto``'s three layouts)."""
    try:
        term = decode_term(payload)
    except TermError:
        raise TokenError("invalid token") from None
    if isinstance(term, tuple) and len(term) in (2, 3):
        data, signed_at = term[0], term[1]
    elif isinstance(term, dict) and "data" in term and "signed" in term:
        data, signed_at = term["data"], term["signed"]
    else:
        raise TokenError("invalid token")
    if not isinstance(data, dict) or not isinstance(signed_at, int):
        raise TokenError("invalid token")
    return data, signed_at
