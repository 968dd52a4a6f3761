"""A client for the control API of an emulator in another process (``jellyfish emulator``)."""

from __future__ import annotations

import contextlib
import time
from collections.abc import Mapping
from typing import Any

import httpx

from jellyfish.testing._control import EmulatorControl, NodeDescription
from jellyfish.testing._operations import CONTROL_PREFIX, ERRORS

#: Seconds a restarted emulator may take to answer again.
RESTART_SECONDS = 20.0
_POLL_SECONDS = 0.05


class ServerAddress:
    """Where a server in another process is: ``address`` (no scheme), ``token``, ``http_url``."""

    def __init__(self, address: str, token: str) -> None:
        scheme_less = address.split("://", 1)[-1].rstrip("/")
        self.address = scheme_less
        self.token = token
        self.http_url = address.rstrip("/") if "://" in address else f"http://{scheme_less}"


class HttpTransport:
    """Operations as ``POST /_emulator/v1/<operation>``; errors raised as their own types."""

    def __init__(self, where: ServerAddress, timeout: float) -> None:
        self.endpoint = where
        self._client = httpx.Client(
            base_url=where.http_url,
            headers={"authorization": f"Bearer {where.token}"},
            timeout=timeout,
        )
        self._timeout = timeout
        self._described: NodeDescription | None = None

    def describe(self) -> NodeDescription:
        """Its metrics URL, resources directory and clock speed (asked once)."""
        if self._described is None:
            info = self.info()
            self._described = NodeDescription(
                info["metrics_url"], info["resources_dir"], float(info["media_speed"])
            )
        return self._described

    def info(self) -> dict[str, Any]:
        """``GET /_emulator/v1``: the node and the operations' schema."""
        return dict(self._data(self._client.get(CONTROL_PREFIX)))

    def call(self, operation: str, params: Mapping[str, Any]) -> Any:
        """Run ``operation`` on the emulator; its result, or its error raised here."""
        if operation == "restart":
            return self._restart()
        # Operations that wait (a fake peer's media event, its close) get their own timeout.
        wait = params.get("timeout")
        timeout = self._timeout + (float(wait) if isinstance(wait, int | float) else 0.0)
        response = self._client.post(
            f"{CONTROL_PREFIX}/{operation}", json=dict(params), timeout=timeout
        )
        return self._data(response)

    def _restart(self) -> None:
        before = self.info()["boot"]
        with contextlib.suppress(httpx.TransportError):  # the restart may drop this connection
            self._data(self._client.post(f"{CONTROL_PREFIX}/restart", json={}))
        deadline = time.monotonic() + RESTART_SECONDS
        while time.monotonic() < deadline:
            try:
                if self.info()["boot"] != before:
                    return
            except httpx.TransportError:
                pass  # not listening again yet
            time.sleep(_POLL_SECONDS)
        raise TimeoutError(f"the emulator did not come back within {RESTART_SECONDS} s")

    @staticmethod
    def _data(response: httpx.Response) -> Any:
        try:
            body = response.json()
        except ValueError:
            body = None
        if response.is_success and isinstance(body, dict):
            return body.get("data")
        errors = body.get("errors") if isinstance(body, dict) else None
        if isinstance(errors, dict):
            kind, message = str(errors.get("type")), str(errors.get("message"))
            raise ERRORS.get(kind, RuntimeError)(message)
        raise RuntimeError(f"control API answered {response.status_code}: {response.text[:200]}")

    def close(self) -> None:
        """Close the HTTP connections."""
        self._client.close()


class RemoteEmulator(EmulatorControl):
    """The control API of an emulator in another process, over HTTP.

    ``RemoteEmulator("127.0.0.1:5002", "development")`` talks to ``jellyfish emulator``
    (or ``python -m jellyfish.testing``) at that address with its server API token. It has
    the same control methods as :class:`~jellyfish.testing.JellyfishServer` (``crash_room``,
    ``advance``, ``restart``, ``fake_peer``, ...) and the same ``address``, ``token``,
    ``http_url`` and WebSocket URLs. Paths it returns (``hls_directory``,
    ``resources_dir``) are on the emulator's machine. Close it (or use ``with``) to release
    its HTTP connections.
    """

    def __init__(self, address: str, token: str = "development", *, timeout: float = 10.0) -> None:
        self._transport = HttpTransport(ServerAddress(address, token), timeout)
        super().__init__(self._transport)

    def info(self) -> dict[str, Any]:
        """The emulator's description: address, boot id, clock, paths and operations."""
        return self._transport.info()

    def close(self) -> None:
        """Release the HTTP connections."""
        self._transport.close()

    def __enter__(self) -> RemoteEmulator:
        return self

    def __exit__(self, *exc_info: object) -> None:
        self.close()

    def __repr__(self) -> str:
        return f"RemoteEmulator(address={self.address!r})"


def control_api_available(address: str, token: str, timeout: float = 5.0) -> bool:
    """Whether the server at ``address`` offers the emulator's control API (a real one: no)."""
    remote = RemoteEmulator(address, token, timeout=timeout)
    try:
        remote.info()
    except (httpx.HTTPError, RuntimeError, ValueError):
        return False
    finally:
        remote.close()
    return True
