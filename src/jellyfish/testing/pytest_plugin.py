"""pytest plugin for ``jellyfish.testing``.

Opt in with ``pytest_plugins = ["jellyfish.testing.pytest_plugin"]`` in a ``conftest.py``.

Fixtures:

* ``jellyfish_server``: a fresh running :class:`~jellyfish.testing.JellyfishServer` per test;
  ``jellyfish_shared_server``: one for the whole session.
  When ``JELLYFISH_ADDRESS`` is set (``host:port``; ``JELLYFISH_TOKEN`` defaults to
  ``"development"``) it yields a :class:`RealJellyfish` pointing at that server instead; its
  control-API methods skip the test.

Media speed: ``--jellyfish-media-speed=20`` (or ini ``jellyfish_media_speed``) runs the
fixtures' clocks 20x faster; a test module can override the ``jellyfish_media_speed`` fixture.

Marker: ``@pytest.mark.emulator_only`` skips a test against a real Jellyfish (use it for tests
that need the control API, ``restart`` or ``drop_server_websockets``).
"""

from __future__ import annotations

import os
from collections.abc import Iterator
from typing import Any, NoReturn

import pytest

from jellyfish.testing._server import JellyfishServer

SKIP_REASON = "needs the jellyfish.testing control API; running against a real Jellyfish"

#: The emulator-only methods that a :class:`RealJellyfish` answers with ``pytest.skip``.
CONTROL_API = frozenset(
    name
    for name in dir(JellyfishServer)
    if not name.startswith("_")
    and callable(getattr(JellyfishServer, name, None))
    and name not in ("start", "stop")
)

#: Emulator-only properties; reading them on a :class:`RealJellyfish` skips the test.
CONTROL_PROPERTIES = frozenset(
    name
    for name in dir(JellyfishServer)
    if isinstance(getattr(JellyfishServer, name, None), property)
    and name not in ("address", "token", "http_url", "server_websocket_url", "peer_websocket_url")
) | {"webhooks", "options"}


def real_jellyfish_address() -> str | None:
    """``JELLYFISH_ADDRESS`` if the tests should run against a real server."""
    return os.environ.get("JELLYFISH_ADDRESS") or None


def skip_without_emulator() -> NoReturn:
    """Skip the current test: it needs the emulator's control API."""
    pytest.skip(SKIP_REASON)


class RealJellyfish:
    """A real Jellyfish reached through ``JELLYFISH_ADDRESS`` / ``JELLYFISH_TOKEN``.

    It has the same ``address`` / ``token`` / ``http_url`` as the emulator; control-API
    calls skip the test.
    """

    def __init__(self, address: str, token: str) -> None:
        scheme_less = address.split("://", 1)[-1].rstrip("/")
        self.address = scheme_less
        self.token = token
        self.http_url = address.rstrip("/") if "://" in address else f"http://{scheme_less}"

    @property
    def server_websocket_url(self) -> str:
        """``ws(s)://host:port/socket/server/websocket``."""
        return self.http_url.replace("http", "ws", 1) + "/socket/server/websocket"

    @property
    def peer_websocket_url(self) -> str:
        """``ws(s)://host:port/socket/peer/websocket``."""
        return self.http_url.replace("http", "ws", 1) + "/socket/peer/websocket"

    def __getattr__(self, name: str) -> Any:
        if name in CONTROL_PROPERTIES:
            skip_without_emulator()
        if name in CONTROL_API:

            def skip(*args: Any, **kwargs: Any) -> NoReturn:
                skip_without_emulator()

            return skip
        raise AttributeError(name)


def pytest_addoption(parser: pytest.Parser) -> None:
    """``--jellyfish-media-speed`` / ini ``jellyfish_media_speed``: the fixtures' clock speed."""
    parser.addoption(
        "--jellyfish-media-speed",
        type=float,
        default=None,
        help="simulated seconds per real second for the jellyfish_server fixtures (default 1)",
    )
    parser.addini(
        "jellyfish_media_speed", "media_speed of the jellyfish_server fixtures", default="1"
    )


def configured_media_speed(config: pytest.Config) -> float:
    """The media speed chosen on the command line, else in the ini file, else 1."""
    option = config.getoption("--jellyfish-media-speed", default=None)
    value = option if option is not None else config.getini("jellyfish_media_speed")
    return float(value)


def pytest_configure(config: pytest.Config) -> None:
    """Register the ``emulator_only`` marker."""
    config.addinivalue_line(
        "markers",
        "emulator_only: needs the jellyfish.testing control API; skipped against a real server",
    )


def pytest_runtest_setup(item: pytest.Item) -> None:
    """Skip ``emulator_only`` tests when ``JELLYFISH_ADDRESS`` points at a real server."""
    if real_jellyfish_address() and item.get_closest_marker("emulator_only") is not None:
        pytest.skip(SKIP_REASON)


def _server(media_speed: float = 1.0) -> Iterator[JellyfishServer | RealJellyfish]:
    address = real_jellyfish_address()
    if address:
        yield RealJellyfish(address, os.environ.get("JELLYFISH_TOKEN", "development"))
        return
    # Tests create rooms with any webhook URL; only local receivers are ever contacted.
    with JellyfishServer(webhook_loopback_only=True, media_speed=media_speed) as server:
        yield server


@pytest.fixture(scope="session")
def jellyfish_shared_server(
    pytestconfig: pytest.Config,
) -> Iterator[JellyfishServer | RealJellyfish]:
    """One emulator for the whole session (or the real server).

    Cheaper, but tests see each other's rooms and notifications.
    """
    yield from _server(configured_media_speed(pytestconfig))


@pytest.fixture
def jellyfish_media_speed(pytestconfig: pytest.Config) -> float:
    """The ``media_speed`` of ``jellyfish_server``; override this fixture to change it."""
    return configured_media_speed(pytestconfig)


@pytest.fixture
def jellyfish_server(jellyfish_media_speed: float) -> Iterator[JellyfishServer | RealJellyfish]:
    """A running emulator (fresh per test), or the real server named by ``JELLYFISH_ADDRESS``."""
    yield from _server(jellyfish_media_speed)
