"""The pytest plugin: fixtures, the real-server mode and the emulator_only marker."""

from __future__ import annotations

from typing import Any

import httpx
import pytest

from jellyfish.testing import JellyfishServer
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


def test_real_server_mode(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("JELLYFISH_ADDRESS", "jellyfish.example:5002")
    monkeypatch.delenv("JELLYFISH_TOKEN", raising=False)
    servers = plugin._server()
    real = next(servers)
    assert isinstance(real, plugin.RealJellyfish)
    assert (real.address, real.token, real.http_url) == (
        "jellyfish.example:5002",
        "development",
        "http://jellyfish.example:5002",
    )
    control = ("add_track", "crash_room", "restart", "drop_server_websockets", "hls_playable")
    for name in (*control, "advance", "register_rtsp_source"):
        with pytest.raises(pytest.skip.Exception, match="control API"):
            getattr(real, name)("room")
    for attribute in ("resources_dir", "media_speed", "file_sources_dir"):
        with pytest.raises(pytest.skip.Exception, match="control API"):
            getattr(real, attribute)
    with pytest.raises(AttributeError):
        _ = real.no_such_attribute
    with pytest.raises(StopIteration):
        next(servers)


def test_media_speed_option(pytestconfig: pytest.Config) -> None:
    assert plugin.configured_media_speed(pytestconfig) == 1.0  # neither flag nor ini set


def test_real_server_token_from_env(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("JELLYFISH_ADDRESS", "http://10.0.0.1:8080")
    monkeypatch.setenv("JELLYFISH_TOKEN", "secret")
    real = next(plugin._server())
    assert isinstance(real, plugin.RealJellyfish)
    assert (real.token, real.http_url) == ("secret", "http://10.0.0.1:8080")
    assert real.address == "10.0.0.1:8080"
    assert real.server_websocket_url == "ws://10.0.0.1:8080/socket/server/websocket"
    assert real.peer_websocket_url == "ws://10.0.0.1:8080/socket/peer/websocket"


def test_emulator_only_marker_skips_against_a_real_server(
    monkeypatch: pytest.MonkeyPatch, request: pytest.FixtureRequest
) -> None:
    item: Any = request.node
    item.add_marker(pytest.mark.emulator_only)
    monkeypatch.delenv("JELLYFISH_ADDRESS", raising=False)
    plugin.pytest_runtest_setup(item)  # no real server: runs
    monkeypatch.setenv("JELLYFISH_ADDRESS", "jellyfish.example:5002")
    with pytest.raises(pytest.skip.Exception, match="control API"):
        plugin.pytest_runtest_setup(item)
