"""pytest plugin for ``jellyfish.testing``.

Opt in with ``pytest_plugins = ["jellyfish.testing.pytest_plugin"]`` in a ``conftest.py``.

Fixtures:

* ``jellyfish_server``: a fresh running :class:`~jellyfish.testing.JellyfishServer` per test;
  ``jellyfish_shared_server``: one for the whole session.
  When ``JELLYFISH_ADDRESS`` is set (``host:port``; ``JELLYFISH_TOKEN`` defaults to
  ``"development"``) they point at that server instead: a
  :class:`~jellyfish.testing.RemoteEmulator` when it is an emulator in another process
  (it answers the control API), else a :class:`RealJellyfish` whose control-API methods
  skip the test.

Media speed: ``--jellyfish-media-speed=20`` (or ini ``jellyfish_media_speed``) runs the
fixtures' clocks 20x faster; a test module can override the ``jellyfish_media_speed`` fixture.

Marker: ``@pytest.mark.emulator_only`` marks a test that needs the control API: it runs
against the in-process emulator and against an emulator in another process, and skips
against a real Jellyfish. ``@pytest.mark.emulator_only(in_process=True)`` marks one that
needs the emulator in its own process (its options, its internals, servers it starts
itself): it skips whenever ``JELLYFISH_ADDRESS`` is set.
"""

from __future__ import annotations

import functools
import os
from collections.abc import Iterator, Mapping
from typing import Any, NoReturn

import pytest

from jellyfish.testing._control import EmulatorControl
from jellyfish.testing._remote import RemoteEmulator, ServerAddress, control_api_available
from jellyfish.testing._server import JellyfishServer

SKIP_REASON = "needs the jellyfish.testing control API; running against a real Jellyfish"
IN_PROCESS_SKIP_REASON = "needs the emulator in this process; JELLYFISH_ADDRESS points elsewhere"


def real_jellyfish_address() -> str | None:
    """``JELLYFISH_ADDRESS`` if the tests should run against a server in another process."""
    return os.environ.get("JELLYFISH_ADDRESS") or None


def skip_without_emulator() -> NoReturn:
    """Skip the current test: it needs the emulator's control API."""
    pytest.skip(SKIP_REASON)


class _NoControlApi:
    """The control transport of a real Jellyfish: every operation skips the test."""

    def __init__(self, endpoint: ServerAddress) -> None:
        self.endpoint = endpoint

    def call(self, operation: str, params: Mapping[str, Any]) -> NoReturn:
        skip_without_emulator()

    def describe(self) -> NoReturn:
        skip_without_emulator()


#: What only an emulator in this process has.
IN_PROCESS_ATTRIBUTES = frozenset({"webhooks", "options", "core", "host", "port", "running"})


class RealJellyfish(EmulatorControl):
    """A real Jellyfish reached through ``JELLYFISH_ADDRESS`` / ``JELLYFISH_TOKEN``.

    It has the same ``address`` / ``token`` / ``http_url`` as the emulator; control-API
    calls (and the emulator's own attributes) skip the test.
    """

    def __init__(self, address: str, token: str) -> None:
        super().__init__(_NoControlApi(ServerAddress(address, token)))

    def __getattr__(self, name: str) -> Any:
        if name in IN_PROCESS_ATTRIBUTES:
            skip_without_emulator()
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
        "emulator_only(in_process=False): needs the jellyfish.testing control API (skipped "
        "against a real server), or with in_process=True the emulator in this process",
    )


def pytest_runtest_setup(item: pytest.Item) -> None:
    """Skip ``emulator_only`` tests that the server named by ``JELLYFISH_ADDRESS`` cannot run."""
    address = real_jellyfish_address()
    markers = list(item.iter_markers("emulator_only"))
    if not address or not markers:
        return
    if any(marker.kwargs.get("in_process", False) for marker in markers):
        pytest.skip(IN_PROCESS_SKIP_REASON)
    if not _has_control_api(address, _token()):
        pytest.skip(SKIP_REASON)


def _token() -> str:
    return os.environ.get("JELLYFISH_TOKEN", "development")


@functools.lru_cache(maxsize=8)
def _has_control_api(address: str, token: str) -> bool:
    return control_api_available(address, token)


class PytestRemoteEmulator(RemoteEmulator):
    """A :class:`RemoteEmulator` whose in-process-only attributes skip the test."""

    def __getattr__(self, name: str) -> Any:
        if name in IN_PROCESS_ATTRIBUTES:
            pytest.skip(IN_PROCESS_SKIP_REASON)
        raise AttributeError(name)


def _server(media_speed: float = 1.0) -> Iterator[JellyfishServer | RealJellyfish | RemoteEmulator]:
    address = real_jellyfish_address()
    if address:
        token = _token()
        if _has_control_api(address, token):
            with PytestRemoteEmulator(address, token) as remote:
                yield remote
        else:
            yield RealJellyfish(address, token)
        return
    # Tests create rooms with any webhook URL; only local receivers are ever contacted.
    with JellyfishServer(webhook_loopback_only=True, media_speed=media_speed) as server:
        yield server


@pytest.fixture(scope="session")
def jellyfish_shared_server(
    pytestconfig: pytest.Config,
) -> Iterator[JellyfishServer | RealJellyfish | RemoteEmulator]:
    """One emulator for the whole session (or the real server).

    Cheaper, but tests see each other's rooms and notifications.
    """
    yield from _server(configured_media_speed(pytestconfig))


@pytest.fixture
def jellyfish_media_speed(pytestconfig: pytest.Config) -> float:
    """The ``media_speed`` of ``jellyfish_server``; override this fixture to change it."""
    return configured_media_speed(pytestconfig)


@pytest.fixture
def jellyfish_server(
    jellyfish_media_speed: float,
) -> Iterator[JellyfishServer | RealJellyfish | RemoteEmulator]:
    """A running emulator (fresh per test), or the real server named by ``JELLYFISH_ADDRESS``."""
    yield from _server(jellyfish_media_speed)
