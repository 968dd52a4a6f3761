"""Peer tokens are Phoenix tokens: verified here by an implementation written from the spec.

The server's side (fishjam-dev/fishjam at v0.5.0, behaviour reference §6.1):

* ``lib/jellyfish_web/peer_token.ex``: ``Phoenix.Token.sign(Endpoint, secret_key_base,
  %{peer_id: ..., room_id: ...})`` (the secret key base is the salt too) and
  ``Phoenix.Token.verify(Endpoint, secret_key_base, token, max_age: 86_400)``;
* ``lib/jellyfish_web/peer_socket.ex``: the close reasons ``invalid token``,
  ``expired token``.

The algorithm (phoenix ``lib/phoenix/token.ex`` -> plug_crypto ``lib/plug/crypto.ex``,
``lib/plug/crypto/key_generator.ex``, ``lib/plug/crypto/message_verifier.ex``):

* key = PBKDF2-HMAC-SHA256(secret_key_base, salt, 1000 iterations, 32 bytes);
* payload = ``:erlang.term_to_binary({data, signed_at_ms, max_age})`` (max_age 86 400 by
  default);
* token = ``"SFMyNTY." <> b64url(payload) <> "." <> b64url(HMAC-SHA256(key, "SFMyNTY." <>
  b64url(payload)))``, url-safe base64 without padding;
* verify: the signature first (``:invalid``), then ``signed + max_age * 1000 < now_ms``
  (``:expired``).

The verifier and the external term format decoder below are written from those definitions
and from Erlang's "External Term Format" chapter (erts/doc), not from the emulator's code.
"""

from __future__ import annotations

import base64
import contextlib
import hashlib
import hmac
import struct
import time
from typing import Any

import pytest
from hypothesis import example, given
from hypothesis import strategies as st

from jellyfish.testing import FakePeer, JellyfishServer

from .helpers import Rest

SECRET = "a-secret-key-base-of-at-least-sixty-four-bytes-like-phoenix-generates-them-1234"


# --- an independent Phoenix.Token implementation -------------------------------------------------


def _b64(data: bytes) -> str:
    return base64.urlsafe_b64encode(data).decode().rstrip("=")


def _unb64(text: str) -> bytes:
    return base64.urlsafe_b64decode(text + "=" * (-len(text) % 4))


def _key(secret_key_base: str) -> bytes:
    raw = secret_key_base.encode()
    return hashlib.pbkdf2_hmac("sha256", raw, raw, 1000, 32)


class Atom(str):
    """An Erlang atom, decoded."""


def binary_to_term(data: bytes) -> Any:
    """A decoder for the external term format (erts ``External Term Format`` chapter)."""
    assert data[0] == 131, "version"
    value, end = _term(data, 1)
    assert end == len(data)
    return value


def _term(data: bytes, at: int) -> tuple[Any, int]:
    tag = data[at]
    at += 1
    if tag == 97:  # SMALL_INTEGER_EXT: uint8
        return data[at], at + 1
    if tag == 98:  # INTEGER_EXT: int32 big-endian
        return struct.unpack(">i", data[at : at + 4])[0], at + 4
    if tag == 110:  # SMALL_BIG_EXT: n, sign, n little-endian digits
        n, sign = data[at], data[at + 1]
        value = int.from_bytes(data[at + 2 : at + 2 + n], "little")
        return (-value if sign else value), at + 2 + n
    if tag in (119, 115):  # SMALL_ATOM_UTF8_EXT / SMALL_ATOM_EXT: uint8 length
        n = data[at]
        return Atom(data[at + 1 : at + 1 + n].decode()), at + 1 + n
    if tag in (118, 100):  # ATOM_UTF8_EXT / ATOM_EXT: uint16 length
        n = struct.unpack(">H", data[at : at + 2])[0]
        return Atom(data[at + 2 : at + 2 + n].decode()), at + 2 + n
    if tag == 109:  # BINARY_EXT: uint32 length
        n = struct.unpack(">I", data[at : at + 4])[0]
        return data[at + 4 : at + 4 + n], at + 4 + n
    if tag == 104:  # SMALL_TUPLE_EXT: uint8 arity
        items = []
        arity, at = data[at], at + 1
        for _ in range(arity):
            item, at = _term(data, at)
            items.append(item)
        return tuple(items), at
    if tag == 116:  # MAP_EXT: uint32 arity, then key/value pairs
        arity, at = struct.unpack(">I", data[at : at + 4])[0], at + 4
        result = {}
        for _ in range(arity):
            key, at = _term(data, at)
            result[key], at = _term(data, at)
        return result, at
    raise AssertionError(f"tag {tag} not expected in a peer token")


def term_to_binary_peer_token(peer_id: str, room_id: str, signed_at: int) -> bytes:
    """``{%{peer_id: ..., room_id: ...}, signed_at, 86400}``, encoded by hand (OTP 26)."""

    def atom(name: str) -> bytes:
        return bytes([119, len(name)]) + name.encode()

    def binary(text: str) -> bytes:
        return bytes([109]) + struct.pack(">I", len(text)) + text.encode()

    magnitude = signed_at.to_bytes((signed_at.bit_length() + 7) // 8, "little")
    return (
        bytes([131, 104, 3, 116])
        + struct.pack(">I", 2)
        + atom("peer_id")
        + binary(peer_id)
        + atom("room_id")
        + binary(room_id)
        + bytes([110, len(magnitude), 0])
        + magnitude
        + bytes([98])
        + struct.pack(">i", 86_400)
    )


def phoenix_sign(secret_key_base: str, payload: bytes) -> str:
    signing_input = f"SFMyNTY.{_b64(payload)}"
    mac = hmac.new(_key(secret_key_base), signing_input.encode(), hashlib.sha256).digest()
    return f"{signing_input}.{_b64(mac)}"


def phoenix_verify(secret_key_base: str, token: str, max_age: int = 86_400) -> Any:
    """``Phoenix.Token.verify``: the data, or ``"invalid"`` / ``"expired"``."""
    protected, payload, signature = token.split(".")
    signing_input = f"{protected}.{payload}".encode()
    mac = hmac.new(_key(secret_key_base), signing_input, hashlib.sha256).digest()
    if protected != "SFMyNTY" or not hmac.compare_digest(mac, _unb64(signature)):
        return "invalid"
    data, signed_at, _embedded_max_age = binary_to_term(_unb64(payload))
    if signed_at + max_age * 1000 < time.time() * 1000:
        return "expired"
    return data


# --- the tests ---------------------------------------------------------------------------------


@pytest.mark.emulator_only(in_process=True)
def test_tokens_verify_with_phoenix_algorithm_and_the_secret_key_base() -> None:
    with JellyfishServer(secret_key_base=SECRET) as server, Rest(server) as rest:
        room_id, _ = rest.create_room()
        before = int(time.time() * 1000)
        peer_id, token, _url = rest.add_peer(room_id)
        after = int(time.time() * 1000)

        data = phoenix_verify(SECRET, token)
        assert data == {"peer_id": peer_id.encode(), "room_id": room_id.encode()}
        assert all(isinstance(key, Atom) for key in data)  # atom keys, as %{peer_id: ...}
        payload = binary_to_term(_unb64(token.split(".")[1]))
        assert isinstance(payload, tuple)
        assert len(payload) == 3  # {data, signed_at_ms, max_age}
        assert before <= payload[1] <= after
        assert payload[2] == 86_400
        assert phoenix_verify("another-secret-key-base", token) == "invalid"


@pytest.mark.emulator_only(in_process=True)
def test_peer_socket_accepts_phoenix_tokens_of_its_key_and_only_those() -> None:
    with JellyfishServer(secret_key_base=SECRET) as server, Rest(server) as rest:
        room_id, _ = rest.create_room()
        peer_id, token, url = rest.add_peer(room_id)
        now = int(time.time() * 1000)

        # a token made by the independent signer with the same key base: accepted
        ours = phoenix_sign(SECRET, term_to_binary_peer_token(peer_id, room_id, now))
        assert server.verify_peer_token(ours) == (room_id, peer_id)
        with FakePeer(url, ours) as fake:
            assert fake.authenticated
        # the emulator's own token, after that peer left: accepted again
        with FakePeer(url, token) as fake:
            assert fake.authenticated

        forged = phoenix_sign(
            "another-secret-key-base", term_to_binary_peer_token(peer_id, room_id, now)
        )
        expired_at = now - 86_401 * 1000
        expired = phoenix_sign(SECRET, term_to_binary_peer_token(peer_id, room_id, expired_at))
        tampered = token[:-2] + ("AA" if not token.endswith("AA") else "BB")
        for bad, reason in [
            (forged, "invalid token"),
            (tampered, "invalid token"),
            ("SFMyNTY.e30.e30", "invalid token"),
            (expired, "expired token"),
        ]:
            with pytest.raises(ValueError, match=reason):
                server.verify_peer_token(bad)
            fake = FakePeer(url, bad)
            try:
                assert not fake.authenticated
                assert fake.wait_closed() == (1000, reason)
            finally:
                fake.close()


@pytest.mark.emulator_only(in_process=True)
def test_the_key_is_the_secret_key_base_option_across_restarts() -> None:
    with JellyfishServer(secret_key_base=SECRET) as server, Rest(server) as rest:
        room_id, _ = rest.create_room()
        peer_id, token, _url = rest.add_peer(room_id)
        server.restart()
        assert phoenix_verify(SECRET, token) == {
            "peer_id": peer_id.encode(),
            "room_id": room_id.encode(),
        }
        assert server.verify_peer_token(token) == (room_id, peer_id)


terms = st.recursive(
    st.integers(min_value=-(2**70), max_value=2**70) | st.binary(max_size=20),
    lambda children: (
        st.lists(children, max_size=4).map(tuple)
        | st.dictionaries(st.binary(max_size=5), children, max_size=3)
    ),
    max_leaves=10,
)


@given(terms)
def test_the_emulators_term_codec_round_trips(term: Any) -> None:
    from jellyfish.testing import _etf

    data = _etf.encode(term)
    assert _etf.decode(data) == term
    assert binary_to_term(data) == term  # and the independent decoder reads it the same


@given(st.binary(max_size=64))
@example(b"c")  # a FLOAT_EXT cut short (found by hypothesis)
@example(b"c" + b"x" * 31)  # a FLOAT_EXT whose text is no float
def test_garbage_is_a_term_error_never_a_crash(data: bytes) -> None:
    from jellyfish.testing import _etf

    with contextlib.suppress(_etf.TermError):
        _etf.decode(b"\x83" + data)
