"""The pytest plugin: fixtures, the real-server mode and the emulator_only marker."""

from __future__ import annotations

import socket
from typing import Any

import httpx
import pytest

from jellyfish.testing import JellyfishServer, RemoteEmulator
from jellyfish.testing import pytest_plugin as plugin


def test_fixture_gives_a_running_emulator(jellyfish_server: Any) -> None:
    if plugin.real_jellyfish_address():
        pytest.skip("running against a real Jellyfish")
    assert isinstance(jellyfish_server, JellyfishServer)
    response = httpx.get(
        f"{jellyfish_server.http_url}/health",
        headers={"authorization": f"Bearer {jellyfish_server.token}"},
    )
    assert response.status_code == 200


def _closed_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port: int = probe.getsockname()[1]
    return port  # nothing listens there once the probe is closed


def test_real_server_mode(monkeypatch: pytest.MonkeyPatch) -> None:
    # A server without the control API (here: none at all) is a real Jellyfish.
    address = f"127.0.0.1:{_closed_port()}"
    monkeypatch.setenv("JELLYFISH_ADDRESS", address)
    monkeypatch.delenv("JELLYFISH_TOKEN", raising=False)
    servers = plugin._server()
    real = next(servers)
    assert isinstance(real, plugin.RealJellyfish)
    assert (real.address, real.token, real.http_url) == (
        address,
        "development",
        f"http://{address}",
    )
    calls = [
        lambda: real.add_track("room", "peer"),
        lambda: real.crash_room("room"),
        real.restart,
        real.drop_server_websockets,
        lambda: real.hls_playable("room"),
        lambda: real.advance(1),
        lambda: real.register_rtsp_source("rtsp://x"),
        lambda: real.fake_peer("token"),
    ]
    for call in calls:
        with pytest.raises(pytest.skip.Exception, match="control API"):
            call()
    for attribute in ("resources_dir", "media_speed", "file_sources_dir", "webhooks", "options"):
        with pytest.raises(pytest.skip.Exception, match="control API"):
            getattr(real, attribute)
    with pytest.raises(AttributeError):
        _ = real.no_such_attribute
    with pytest.raises(StopIteration):
        next(servers)


def test_media_speed_option(pytestconfig: pytest.Config) -> None:
    assert plugin.configured_media_speed(pytestconfig) == 1.0  # neither flag nor ini set


def test_real_server_token_from_env(monkeypatch: pytest.MonkeyPatch) -> None:
    port = _closed_port()
    monkeypatch.setenv("JELLYFISH_ADDRESS", f"http://127.0.0.1:{port}")
    monkeypatch.setenv("JELLYFISH_TOKEN", "secret")
    real = next(plugin._server())
    assert isinstance(real, plugin.RealJellyfish)
    assert (real.token, real.http_url) == ("secret", f"http://127.0.0.1:{port}")
    assert real.address == f"127.0.0.1:{port}"
    assert real.server_websocket_url == f"ws://127.0.0.1:{port}/socket/server/websocket"
    assert real.peer_websocket_url == f"ws://127.0.0.1:{port}/socket/peer/websocket"


def test_emulator_only_marker_skips_against_a_real_server(
    monkeypatch: pytest.MonkeyPatch, request: pytest.FixtureRequest
) -> None:
    item: Any = request.node
    item.add_marker(pytest.mark.emulator_only)
    monkeypatch.delenv("JELLYFISH_ADDRESS", raising=False)
    plugin.pytest_runtest_setup(item)  # no real server: runs
    monkeypatch.setenv("JELLYFISH_ADDRESS", f"127.0.0.1:{_closed_port()}")
    with pytest.raises(pytest.skip.Exception, match="control API"):
        plugin.pytest_runtest_setup(item)


def test_against_an_emulator_in_another_process_the_fixtures_drive_its_control_api(
    monkeypatch: pytest.MonkeyPatch, request: pytest.FixtureRequest
) -> None:
    """What ``nox -s tests_remote`` relies on: ``emulator_only`` tests run remotely."""
    with JellyfishServer(token="remote-secret") as other:  # stands for the other process
        monkeypatch.setenv("JELLYFISH_ADDRESS", other.address)
        monkeypatch.setenv("JELLYFISH_TOKEN", "remote-secret")
        item: Any = request.node
        item.add_marker(pytest.mark.emulator_only)
        plugin.pytest_runtest_setup(item)  # the control API answers: the test runs
        servers = plugin._server()
        remote = next(servers)
        assert isinstance(remote, RemoteEmulator)
        assert (remote.address, remote.token) == (other.address, "remote-secret")
        assert remote.room_ids() == []
        for attribute in ("webhooks", "options", "core"):
            with pytest.raises(pytest.skip.Exception, match="in this process"):
                getattr(remote, attribute)
        with pytest.raises(StopIteration):
            next(servers)
        item.add_marker(pytest.mark.emulator_only(in_process=True))
        with pytest.raises(pytest.skip.Exception, match="in this process"):
            plugin.pytest_runtest_setup(item)
