"""Timers (§4.4): peerless purge and peer-disconnected purge; room_controller_test purge cases.

The emulator accepts fractional seconds so these run fast; every wait is on an event (a
notification), never a bare sleep. Timers are measured from the notification that armed them.
"""

from __future__ import annotations

import time
from collections.abc import Iterator
from typing import Any

import pytest

from jellyfish.testing import FakePeer, JellyfishServer

from .helpers import Rest, WebhookReceiver, server_ws

pytestmark = pytest.mark.emulator_only  # fractional timeouts are an emulator feature


def test_fractional_timeouts_are_rejected_by_default() -> None:
    with JellyfishServer() as server, Rest(server) as rest:
        response = rest.request("POST", "/room", json={"peerlessPurgeTimeout": 0.5})
        assert response.json() == {
            "errors": "Expected peerlessPurgeTimeout to be a positive integer, got: 0.5"
        }
        for huge in (10**30, 10**400):  # never fires, never crashes
            room_id, _ = rest.create_room(peerlessPurgeTimeout=huge, peerDisconnectedTimeout=huge)
            rest.add_peer(room_id)
            assert rest.room(room_id)["config"]["peerlessPurgeTimeout"] == huge


P = 0.3
D = 0.15


@pytest.fixture
def jellyfish_server() -> Iterator[JellyfishServer]:
    with JellyfishServer(fractional_timeouts=True) as server:
        yield server


@pytest.fixture
def rest(jellyfish_server: Any) -> Iterator[Rest]:
    with Rest(jellyfish_server) as client:
        yield client


def test_purge_if_peers_never_joined(jellyfish_server: Any, rest: Rest) -> None:
    with server_ws(jellyfish_server.address, jellyfish_server.token) as client:
        room_id, _ = rest.create_room(peerlessPurgeTimeout=P)
        start = time.monotonic()  # adding the peer re-arms the timer after this instant
        rest.add_peer(room_id)
        items = client.until("room_deleted")
        assert [kind for kind, _ in items] == [
            "room_created",
            "peer_added",
            "peer_deleted",
            "room_deleted",
        ]
        assert time.monotonic() - start >= P
        assert rest.request("GET", f"/room/{room_id}").status_code == 404


def test_purge_after_peer_joined_then_removed(jellyfish_server: Any, rest: Rest) -> None:
    with (
        WebhookReceiver() as hook,
        server_ws(jellyfish_server.address, jellyfish_server.token) as client,
    ):
        room_id, _ = rest.create_room(peerlessPurgeTimeout=P, webhookUrl=hook.url)
        peer_id, token, url = rest.add_peer(room_id)
        peer = FakePeer(url, token)
        client.until("peer_connected")
        # while connected the room survives: a canary created later is purged first
        canary, _ = rest.create_room(peerlessPurgeTimeout=P)
        assert client.until("room_deleted")[-1][1].room_id == canary
        assert rest.request("GET", f"/room/{room_id}").status_code == 200
        removed = time.monotonic()
        rest.request("DELETE", f"/room/{room_id}/peer/{peer_id}")
        items = client.until("room_deleted")
        assert [kind for kind, _ in items][-3:] == [
            "peer_disconnected",
            "peer_deleted",
            "room_deleted",
        ]
        assert time.monotonic() - removed >= P
        expected = ["room_created", "peer_added", "peer_connected", "peer_disconnected"]
        expected += ["peer_deleted", "room_deleted"]
        assert [hook.next_kind() for _ in expected] == expected
        peer.close()


def test_purge_after_peer_disconnected(jellyfish_server: Any, rest: Rest) -> None:
    with server_ws(jellyfish_server.address, jellyfish_server.token) as client:
        room_id, _ = rest.create_room(peerlessPurgeTimeout=P)
        _, token, url = rest.add_peer(room_id)
        peer = FakePeer(url, token)
        client.until("peer_connected")
        left = time.monotonic()  # the disconnect re-arms the timer after this instant
        peer.close()
        client.until("peer_disconnected")
        items = client.until("room_deleted")
        assert [kind for kind, _ in items] == ["peer_deleted", "room_deleted"]
        assert time.monotonic() - left >= P


def test_no_purge_if_peer_rejoins_quickly(jellyfish_server: Any, rest: Rest) -> None:
    with server_ws(jellyfish_server.address, jellyfish_server.token) as client:
        room_id, _ = rest.create_room(peerlessPurgeTimeout=P)
        _, token, url = rest.add_peer(room_id)
        peer = FakePeer(url, token)
        client.until("peer_connected")
        peer.close()
        client.until("peer_disconnected")
        peer = FakePeer(url, token)
        client.until("peer_connected")
        # a canary room with the same timeout, created after the rejoin, gets purged;
        # our room must still exist then
        canary, _ = rest.create_room(peerlessPurgeTimeout=P)
        while True:
            kind, body = client.next_kind()
            if kind == "room_deleted":
                assert body.room_id == canary
                break
        assert rest.request("GET", f"/room/{room_id}").status_code == 200
        peer.close()


def test_timeout_reset_by_new_peer(jellyfish_server: Any, rest: Rest) -> None:
    with server_ws(jellyfish_server.address, jellyfish_server.token) as client:
        room_id, _ = rest.create_room(peerlessPurgeTimeout=P)
        time.sleep(P / 2)  # part of the countdown passes before the peer comes and goes
        # The emulator runs in this process, on the same monotonic clock: the timer is
        # re-armed after this timestamp, so the purge cannot come sooner than P after it.
        before_rearm = time.monotonic()
        peer_id, _, _ = rest.add_peer(room_id)
        rest.request("DELETE", f"/room/{room_id}/peer/{peer_id}")
        client.until("room_deleted")
        assert time.monotonic() - before_rearm >= P


def test_no_purge_when_not_configured(jellyfish_server: Any, rest: Rest) -> None:
    with server_ws(jellyfish_server.address, jellyfish_server.token) as client:
        room_id, _ = rest.create_room()
        canary, _ = rest.create_room(peerlessPurgeTimeout=P)
        _kind, body = client.until("room_deleted")[-1]
        assert body.room_id == canary
        assert rest.request("GET", f"/room/{room_id}").status_code == 200


def test_disconnect_purge_of_never_joined_peer(jellyfish_server: Any, rest: Rest) -> None:
    with server_ws(jellyfish_server.address, jellyfish_server.token) as client:
        room_id, _ = rest.create_room(peerDisconnectedTimeout=D)
        added = time.monotonic()  # the peer's timer is armed after this instant
        peer_id, _, _ = rest.add_peer(room_id)
        _kind, body = client.until("peer_deleted")[-1]
        assert body.peer_id == peer_id
        assert time.monotonic() - added >= D
        assert rest.room(room_id)["peers"] == []


def test_disconnect_purge_after_joined_then_disconnected(jellyfish_server: Any, rest: Rest) -> None:
    with server_ws(jellyfish_server.address, jellyfish_server.token) as client:
        room_id, _ = rest.create_room(peerDisconnectedTimeout=D)
        _, token, url = rest.add_peer(room_id)
        peer = FakePeer(url, token)
        client.until("peer_connected")
        peer.close()
        client.until("peer_disconnected")
        assert rest.room(room_id)["peers"][0]["status"] == "disconnected"
        items = client.until("peer_deleted")
        assert [kind for kind, _ in items] == ["peer_deleted"]  # the only notification


def test_disconnect_purge_not_if_rejoined(jellyfish_server: Any, rest: Rest) -> None:
    with server_ws(jellyfish_server.address, jellyfish_server.token) as client:
        room_id, _ = rest.create_room(peerDisconnectedTimeout=D)
        peer_id, token, url = rest.add_peer(room_id)
        peer = FakePeer(url, token)  # joins at once: the add-time timer finds it connected
        client.until("peer_connected")
        canary_id, _, _ = rest.add_peer(room_id)  # armed after ours; never joins
        _kind, body = client.until("peer_deleted")[-1]
        assert body.peer_id == canary_id
        assert [p["id"] for p in rest.room(room_id)["peers"]] == [peer_id]
        peer.close()


def test_disconnect_purge_with_peerless_purge(jellyfish_server: Any, rest: Rest) -> None:
    with (
        WebhookReceiver() as hook,
        server_ws(jellyfish_server.address, jellyfish_server.token) as client,
    ):
        room_id, _ = rest.create_room(
            peerDisconnectedTimeout=D, peerlessPurgeTimeout=2 * D, webhookUrl=hook.url
        )
        _, token, url = rest.add_peer(room_id)
        peer = FakePeer(url, token)
        client.until("peer_connected")
        before_leaving = time.monotonic()  # same clock as the in-process emulator
        peer.close()
        client.until("peer_disconnected")
        client.until("peer_deleted")
        assert time.monotonic() - before_leaving >= D
        client.until("room_deleted")
        assert time.monotonic() - before_leaving >= 3 * D  # D, then P = 2D re-armed at removal
        expected = ["room_created", "peer_added", "peer_connected", "peer_disconnected"]
        expected += ["peer_deleted", "room_deleted"]
        assert [hook.next_kind() for _ in expected] == expected
