"""The control API of an emulator in another process (``/_emulator/v1``, ``RemoteEmulator``).

``python -m jellyfish.testing`` runs in a child process; the tests drive FakePeers, crashes,
WebSocket drops, restarts and the manual clock through :class:`RemoteEmulator`, and run the
same scenario through the in-process ``JellyfishServer``: one interface, two transports.
"""

from __future__ import annotations

import os
import socket
import subprocess
import sys
import time
from collections.abc import Iterator
from typing import Any

import httpx
import pytest

from jellyfish.testing import (
    ControlError,
    EmulatorControl,
    JellyfishServer,
    RemoteEmulator,
)

from .helpers import Rest, server_ws

pytestmark = pytest.mark.emulator_only(in_process=True)

TOKEN = "remote-control-token"


def _free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port: int = probe.getsockname()[1]
        return port


@pytest.fixture(scope="module")
def child() -> Iterator[RemoteEmulator]:
    """An emulator in another process, with the manual clock; its control API client."""
    port = _free_port()
    process = subprocess.Popen(
        [
            *(sys.executable, "-m", "jellyfish.testing", "--port", str(port), "--token", TOKEN),
            *("--manual-clock", "--metrics-port", "0", "--log-level", "warning"),
        ],
        stderr=subprocess.PIPE,
        text=True,
        env={**os.environ, "PYTHONWARNINGS": "ignore"},
    )
    try:
        remote = RemoteEmulator(f"127.0.0.1:{port}", TOKEN)
        for _ in range(400):
            try:
                remote.info()
                break
            except httpx.TransportError:
                if process.poll() is not None:
                    raise RuntimeError("the emulator exited") from None
                time.sleep(0.05)
        with remote:
            yield remote
    finally:
        process.terminate()
        process.communicate(timeout=10)


def _scenario(control: EmulatorControl, server: Any) -> None:
    """FakePeer, tracks, metadata, a crash and the clock, through ``control`` only."""
    with Rest(server) as rest, server_ws(server.address, server.token) as ws:
        room_id, _ = rest.create_room()
        peer_id, token, _url = rest.add_peer(room_id)
        with control.fake_peer(token) as fake:
            assert fake.authenticated
            assert ws.until("peer_connected")[-1][1].peer_id == peer_id
            assert fake.connect({"name": "alice"})["data"]["id"] == peer_id
            _kind, body = ws.until("peer_metadata_updated")[-1]
            assert body.metadata == '{"name":"alice"}'
            track_id = control.add_track(room_id, peer_id, "audio", {"mic": 1})
            assert ws.until("track_added")[-1][1].track.id == track_id
            assert [t["id"] for t in rest.room(room_id)["peers"][0]["tracks"]] == [track_id]
            control.crash_room(room_id)
            assert ws.until("room_crashed")[-1][1].room_id == room_id
            assert fake.wait_closed() == (1011, "Internal server error")
            assert fake.closed
        with pytest.raises(ControlError, match="does not exist"):
            control.crash_room(room_id)
        with pytest.raises(ValueError, match="seconds"):
            control.advance(-1)
        before = control.now()
        assert control.advance(30) >= 1  # at least the MetricsReport timer ran
        assert control.now() == before + 30


def test_the_same_scenario_in_process_and_remote(child: RemoteEmulator) -> None:
    with JellyfishServer(manual_clock=True) as server:
        _scenario(server, server)
    _scenario(child, child)


def test_remote_fake_peer_is_the_server_side_of_a_real_connection(child: RemoteEmulator) -> None:
    with Rest(child) as rest, server_ws(child.address, child.token) as ws:
        room_id, _ = rest.create_room()
        peer_id, token, _url = rest.add_peer(room_id)
        refused = child.fake_peer(token + "x")
        assert not refused.authenticated
        assert refused.wait_closed() == (1000, "invalid token")
        fake = child.fake_peer(token)
        fake.update_metadata([1, 2])
        assert ws.until("peer_metadata_updated")[-1][1].metadata == "[1,2]"
        with pytest.raises(TimeoutError):
            fake.receive_media_event(timeout=0.2)
        fake.kill()
        assert ws.until("peer_disconnected")[-1][1].peer_id == peer_id
        assert fake.closed
        rest.request("DELETE", f"/room/{room_id}")


def test_remote_drop_and_restart(child: RemoteEmulator) -> None:
    with Rest(child) as rest:
        room_id, _ = rest.create_room()
        assert room_id in child.room_ids()
        with server_ws(child.address, child.token) as ws:
            assert child.drop_server_websockets() >= 1
            assert ws.wait_closed()[0] == 1006  # no close frame: a network drop
        boot = child.info()["boot"]
        child.restart()  # returns once the emulator answers again
        assert child.info()["boot"] != boot
        assert child.info()["address"] == child.address  # same port
        assert child.room_ids() == []  # state is lost
        assert rest.request("GET", "/room").json() == {"data": []}


def test_http_schema_auth_and_errors(child: RemoteEmulator) -> None:
    url = f"{child.http_url}/_emulator/v1"
    auth = {"authorization": f"Bearer {TOKEN}"}
    assert httpx.get(url).status_code == 401
    assert httpx.get(url, headers={"authorization": "Bearer wrong"}).status_code == 401
    info = httpx.get(url, headers=auth).json()["data"]
    assert info["control_api"] == 1
    assert info["manual_clock"] is True
    crash = info["operations"]["crash_room"]
    assert crash["parameters"] == [{"name": "room_id", "type": "string", "required": True}]
    assert set(info["operations"]) >= {
        "add_track",
        "crash_peer",
        "crash_room",
        "drop_server_websockets",
        "restart",
        "advance",
        "now",
        "fake_peer_open",
        "fake_peer_close",
    }

    def post(operation: str, body: Any) -> httpx.Response:
        return httpx.post(f"{url}/{operation}", json=body, headers=auth)

    assert post("room_ids", {}).json() == {"data": child.room_ids()}
    missing = post("crash_room", {"room_id": "nope"})
    assert missing.status_code == 409
    assert missing.json()["errors"]["type"] == "ControlError"
    assert post("crash_room", {}).status_code == 400  # missing parameter
    assert post("crash_room", {"room_id": 1}).status_code == 400  # wrong type
    assert post("crash_room", {"room_id": "a", "x": 1}).status_code == 400  # unknown one
    assert post("crash_room", [1]).status_code == 400  # not an object
    assert post("no_such_operation", {}).status_code == 404
    assert httpx.get(f"{url}/room_ids", headers=auth).status_code == 405


def test_http_restart_and_configuration_errors() -> None:
    """``restart`` answers 202 and the boot changes; ``advance`` needs the manual clock (422)."""
    with JellyfishServer(token=TOKEN) as server:
        url = f"{server.http_url}/_emulator/v1"
        auth = {"authorization": f"Bearer {TOKEN}"}
        refused = httpx.post(f"{url}/advance", json={"seconds": 1}, headers=auth)
        assert refused.status_code == 422
        assert refused.json()["errors"]["type"] == "RuntimeError"
        boot = httpx.get(url, headers=auth).json()["data"]["boot"]
        assert httpx.post(f"{url}/restart", headers=auth).status_code == 202
        deadline = time.monotonic() + 10
        while time.monotonic() < deadline:
            try:
                if httpx.get(url, headers=auth).json()["data"]["boot"] != boot:
                    break
            except httpx.TransportError:
                pass
            time.sleep(0.05)
        else:
            raise AssertionError("the emulator did not restart")


def test_a_cluster_node_does_not_restart() -> None:
    from jellyfish.testing import JellyfishCluster

    with JellyfishCluster(nodes=2, token=TOKEN) as cluster:
        node = cluster.nodes[0]
        with pytest.raises(ControlError, match="cluster node"):
            node.restart()
        with RemoteEmulator(node.address, TOKEN) as remote, pytest.raises(ControlError):
            remote.restart()
