"""Lifecycle: blocking and async context managers, restart, dropped sockets, no leaks."""

from __future__ import annotations

import socket
import threading
from typing import Any

import anyio
import httpx
import pytest

from jellyfish.testing import ControlError, FakePeer, JellyfishServer

from .helpers import Rest, ServerWs, server_ws

pytestmark = pytest.mark.emulator_only


def _threads() -> set[threading.Thread]:
    return set(threading.enumerate())


def test_blocking_context_manager_cleans_up() -> None:
    before = _threads()
    with JellyfishServer() as server:
        assert server.address == f"127.0.0.1:{server.port}"
        assert server.http_url == f"http://127.0.0.1:{server.port}"
        assert server.token == "development"
        assert server.running
        resources = server.resources_dir
        assert resources.is_dir()
        port = server.port
    assert not server.running
    assert not resources.exists()
    assert _threads() <= before
    with socket.socket() as probe:
        assert probe.connect_ex(("127.0.0.1", port)) != 0  # nobody listens any more


@pytest.mark.anyio
async def test_async_context_manager() -> None:
    async with JellyfishServer(token="secret") as server:
        async with httpx.AsyncClient() as client:
            response = await client.get(
                f"{server.http_url}/room", headers={"authorization": "Bearer secret"}
            )
        assert response.json() == {"data": []}
        peer_url = await anyio.to_thread.run_sync(lambda: server.peer_websocket_url)
        assert peer_url.endswith("/socket/peer/websocket")


def test_external_address_and_fixed_port() -> None:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    with (
        JellyfishServer(port=port, external_address="jellyfish1:5003") as server,
        Rest(server) as rest,
    ):
        assert server.port == port
        room_id, data = rest.create_room()
        assert data["jellyfish_address"] == "jellyfish1:5003"
        response = rest.request("POST", f"/room/{room_id}/peer", json={"type": "webrtc"})
        assert (
            response.json()["data"]["peer_websocket_url"] == "jellyfish1:5003/socket/peer/websocket"
        )


def test_restart_loses_state_and_drops_sockets_on_the_same_port() -> None:
    with JellyfishServer() as server, Rest(server) as rest:
        port = server.port
        room_id, _ = rest.create_room()
        _, token, url = rest.add_peer(room_id)
        peer = FakePeer(url, token)
        client = ServerWs(server.address)
        client.auth(server.token)
        assert client.next_kind()[0] == "authenticated"
        server.restart()
        assert server.port == port
        assert client.wait_closed()[0] == 1006  # dropped, no close frame
        assert peer.wait_closed()[0] == 1006
        assert rest.request("GET", "/room").json() == {"data": []}
        again = FakePeer(url, token)
        assert again.wait_closed() == (1000, "invalid token")
        for closeable in (peer, again, client):
            closeable.close()


def test_drop_server_websockets_keeps_server_running() -> None:
    with JellyfishServer() as server, Rest(server) as rest:
        room_id, _ = rest.create_room()
        _, token, url = rest.add_peer(room_id)
        peer = FakePeer(url, token)
        with (
            server_ws(server.address, server.token) as first,
            server_ws(server.address, server.token) as second,
        ):
            assert server.drop_server_websockets() == 2
            assert first.wait_closed()[0] == 1006
            assert second.wait_closed()[0] == 1006
        assert not peer.closed  # peer sockets are untouched
        with server_ws(server.address, server.token) as client:
            rest.create_room()
            assert client.next_kind()[0] == "room_created"
        peer.close()


def test_control_api_errors() -> None:
    with JellyfishServer() as server, Rest(server) as rest:
        with pytest.raises(ControlError, match="does not exist"):
            server.crash_room("nope")
        room_id, _ = rest.create_room()
        peer_id, _, _ = rest.add_peer(room_id)
        with pytest.raises(ControlError, match="not connected"):
            server.add_track(room_id, peer_id)
        with pytest.raises(ControlError, match="no peer or component"):
            server.add_track(room_id, "ghost")
        with pytest.raises(ControlError, match="no hls component"):
            server.hls_playable(room_id)
        with pytest.raises(ControlError, match="is a peer"):
            server.crash_component(room_id, peer_id)
        assert server.room_ids() == [room_id]
        assert server.hls_directory(room_id) is None
    with pytest.raises(RuntimeError, match="not running"):
        server.room_ids()


def test_invalid_constructor_arguments() -> None:
    with pytest.raises(ValueError, match="webhook_format"):
        JellyfishServer(webhook_format="xml")  # type: ignore[arg-type]
    with pytest.raises(ValueError, match="s3_credentials"):
        JellyfishServer(s3_credentials={"bucket": "b"})


def test_port_in_use_fails_cleanly() -> None:
    with JellyfishServer() as server:
        before = _threads()
        clash = JellyfishServer(port=server.port, host="127.0.0.1")
        resources = clash.resources_dir
        with pytest.raises(OSError, match="in use"):
            clash.start()
        assert _threads() <= before
        assert not resources.exists()  # its temporary directory is gone too


def test_head_and_cors(jellyfish_server: Any) -> None:
    url = jellyfish_server.http_url
    headers = {"authorization": f"Bearer {jellyfish_server.token}"}
    head = httpx.head(f"{url}/room", headers=headers)
    assert (head.status_code, head.content) == (200, b"")
    preflight = httpx.options(
        f"{url}/room",
        headers={"origin": "http://app.example", "access-control-request-method": "POST"},
    )
    assert preflight.status_code == 200
    assert preflight.headers["access-control-allow-origin"] in ("*", "http://app.example")


@pytest.mark.anyio
async def test_fake_peer_from_async_code() -> None:
    async with (
        JellyfishServer() as server,
        httpx.AsyncClient(
            base_url=server.http_url, headers={"authorization": f"Bearer {server.token}"}
        ) as client,
    ):
        room = (await client.post("/room", json={})).json()["data"]["room"]
        data = (await client.post(f"/room/{room['id']}/peer", json={"type": "webrtc"})).json()
        url, token = data["data"]["peer_websocket_url"], data["data"]["token"]
        peer = await anyio.to_thread.run_sync(FakePeer, url, token)
        assert peer.authenticated
        await anyio.to_thread.run_sync(peer.connect, {"async": True})
        status = (await client.get(f"/room/{room['id']}")).json()["data"]["peers"][0]
        assert status["metadata"] == {"async": True}
        await anyio.to_thread.run_sync(peer.close)


def test_stop_then_start_is_a_restart_with_downtime() -> None:
    server = JellyfishServer()
    with server:
        port = server.port
        server.stop()
        with pytest.raises(httpx.ConnectError):
            httpx.get(f"{server.http_url}/room")
        server.start()
        assert server.port == port
        response = httpx.get(
            f"{server.http_url}/room", headers={"authorization": "Bearer development"}
        )
        assert response.json() == {"data": []}


def test_restart_under_connection_churn_leaks_nothing() -> None:
    import gc

    stop = threading.Event()
    with JellyfishServer() as server:
        url = f"{server.http_url}/health"

        def churn() -> None:
            while not stop.is_set():
                try:
                    httpx.get(url, headers={"authorization": "Bearer development"}, timeout=1)
                    client = ServerWs(server.address)
                    client.close()
                except (httpx.HTTPError, OSError):
                    continue

        workers = [threading.Thread(target=churn) for _ in range(3)]
        for worker in workers:
            worker.start()
        try:
            for _ in range(5):
                server.restart()
        finally:
            stop.set()
            for worker in workers:
                worker.join(10)
    gc.collect()  # a leaked socket would surface here as an unraisable ResourceWarning


def test_a_server_is_a_node_and_a_control_client() -> None:
    from jellyfish.testing import EmulatorControl, EmulatorNode

    server = JellyfishServer()
    assert isinstance(server, EmulatorNode)  # as before: code checking for a node still works
    assert isinstance(server, EmulatorControl)  # the interface RemoteEmulator has too
    assert not server.running
