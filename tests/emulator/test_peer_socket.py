"""Peer WebSocket (§6) and peer tokens; integration/peer_socket_test."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import pytest

from jellyfish.events._protos.jellyfish.peer_notifications_pb2 import PeerMessage
from jellyfish.testing import FakePeer, JellyfishServer
from jellyfish.testing._tokens import PeerTokenSigner, TokenError

from .helpers import Rest


@pytest.fixture
def rest(jellyfish_server: Any) -> Iterator[Rest]:
    with Rest(jellyfish_server) as client:
        yield client


def test_invalid_token(jellyfish_server: Any) -> None:
    peer = FakePeer(jellyfish_server.address, "garbage")
    assert not peer.authenticated
    assert peer.wait_closed() == (1000, "invalid token")
    peer.close()


def test_peer_not_found(jellyfish_server: Any, rest: Rest) -> None:
    room_id, _ = rest.create_room()
    peer_id, token, url = rest.add_peer(room_id)
    rest.request("DELETE", f"/room/{room_id}/peer/{peer_id}")
    peer = FakePeer(url, token)
    assert peer.wait_closed() == (1000, "peer not found")
    peer.close()


def test_room_not_found(jellyfish_server: Any, rest: Rest) -> None:
    room_id, _ = rest.create_room()
    _, token, url = rest.add_peer(room_id)
    rest.request("DELETE", f"/room/{room_id}")
    peer = FakePeer(url, token)
    assert peer.wait_closed() == (1000, "room not found")
    peer.close()


def test_two_websockets(jellyfish_server: Any, rest: Rest) -> None:
    room_id, _ = rest.create_room()
    _, token, url = rest.add_peer(room_id)
    first = FakePeer(url, token)
    second = FakePeer(url, token)
    assert first.authenticated
    assert second.wait_closed() == (1000, "peer already connected")
    second.close()
    first.close()


def test_auth_request_when_connected_is_ignored(jellyfish_server: Any, rest: Rest) -> None:
    room_id, _ = rest.create_room()
    _, token, url = rest.add_peer(room_id)
    peer = FakePeer(url, token)
    peer.send(PeerMessage(auth_request=PeerMessage.AuthRequest(token=token)))
    peer.send_text("text frames are ignored")
    peer.send_text("twice")
    peer.send_text("and thrice")
    # the socket is still open and answers the next media event; nothing came before it
    assert peer.connect({"x": 1})["type"] == "connected"
    assert not peer.closed
    peer.close()


def test_message_from_unauthenticated_peer(jellyfish_server: Any) -> None:
    peer = FakePeer(jellyfish_server.address, None)
    peer.send_media_event({"type": "connect", "data": {}})
    assert peer.wait_closed() == (1000, "unauthenticated")
    peer.close()


def test_text_before_auth_crashes_socket(jellyfish_server: Any) -> None:
    peer = FakePeer(jellyfish_server.address, None)
    peer.send_text("hello")
    assert peer.wait_closed()[0] == 1011
    peer.close()


def test_media_event_connect_is_answered(jellyfish_server: Any, rest: Rest) -> None:
    room_id, _ = rest.create_room()
    _, token, url = rest.add_peer(room_id)
    other_id, other_token, _ = rest.add_peer(room_id)
    other = FakePeer(url, other_token)
    other.connect("other")
    with FakePeer(f"ws://{jellyfish_server.address}", token) as peer:
        reply = peer.connect({"name": "me"})
        assert reply["data"]["otherEndpoints"][0]["id"] == other_id
        assert reply["data"]["otherEndpoints"][0]["metadata"] == "other"
    other.close()


def test_peer_removal_and_room_close_codes(jellyfish_server: Any, rest: Rest) -> None:
    room_id, _ = rest.create_room()
    peer_id, token, url = rest.add_peer(room_id)
    peer = FakePeer(url, token)
    rest.request("DELETE", f"/room/{room_id}/peer/{peer_id}")
    assert peer.wait_closed() == (1000, "Peer removed")
    peer.close()
    _, token, url = rest.add_peer(room_id)
    peer = FakePeer(url, token)
    rest.request("DELETE", f"/room/{room_id}")
    assert peer.wait_closed() == (1000, "Room stopped")
    peer.close()


@pytest.mark.emulator_only
def test_room_crash_and_peer_crash_close_codes(jellyfish_server: Any, rest: Rest) -> None:
    room_id, _ = rest.create_room()
    peer_id, token, url = rest.add_peer(room_id)
    peer = FakePeer(url, token)
    jellyfish_server.crash_peer(room_id, peer_id)
    assert peer.wait_closed() == (1011, "Internal server error")
    peer.close()
    _, token, url = rest.add_peer(room_id)
    peer = FakePeer(url, token)
    jellyfish_server.crash_room(room_id)
    assert peer.wait_closed() == (1011, "Internal server error")
    peer.close()


@pytest.mark.emulator_only
def test_tokens_die_with_a_restart_unless_the_key_is_set() -> None:
    with JellyfishServer() as server, Rest(server) as rest:
        room_id, _ = rest.create_room()
        _, token, _ = rest.add_peer(room_id)
        server.restart()
        with pytest.raises(ValueError, match="invalid token"):
            server.verify_peer_token(token)
    with JellyfishServer(secret_key_base="k" * 64) as server, Rest(server) as rest:
        room_id, _ = rest.create_room()
        _, token, _ = rest.add_peer(room_id)
        server.restart()
        assert server.verify_peer_token(token)[0] == room_id


def test_token_signer_expiry_and_tampering() -> None:
    now = [1000.0]
    signer = PeerTokenSigner(b"secret", clock=lambda: now[0])
    token = signer.sign("room", "peer")
    assert signer.verify(token) == ("room", "peer")
    now[0] += 86_399
    assert signer.verify(token) == ("room", "peer")
    now[0] += 2
    with pytest.raises(TokenError, match="expired token"):
        signer.verify(token)
    other = PeerTokenSigner(b"other", clock=lambda: now[0])
    for bad in (other.sign("room", "peer"), token[:-2] + "xx", "a.b", "", "SFMyNTY.!!.??"):
        with pytest.raises(TokenError):
            signer.verify(bad)
    with pytest.raises(TokenError, match="missing token"):
        signer.verify("")


def test_expired_token_closes_with_expired_token() -> None:
    with JellyfishServer(peer_token_max_age=-1) as server, Rest(server) as rest:
        room_id, _ = rest.create_room()
        _, token, url = rest.add_peer(room_id)
        peer = FakePeer(url, token)
        assert peer.wait_closed() == (1000, "expired token")
        peer.close()
