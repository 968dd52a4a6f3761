"""The public classes: :class:`JellyfishServer` and :class:`JellyfishCluster`."""

from __future__ import annotations

import os
import shutil
import tempfile
import threading
from typing import Any, TypeVar

import anyio

from jellyfish.testing._control import EmulatorControl
from jellyfish.testing._node import EmulatorNode, NodeHost, NodeView, local_control
from jellyfish.testing._options import OPTION_NAMES, NodeOptions
from jellyfish.testing._runtime import Runtime

Started = TypeVar("Started", bound="_StartStop")


class _StartStop:
    """``with`` / ``async with`` around ``start()`` and ``stop()``.

    The async forms run them in a worker thread: the emulator lives in a thread of its own,
    and starting or stopping it blocks until that thread has done so.
    """

    def start(self: Started) -> Started:
        raise NotImplementedError

    def stop(self) -> None:
        raise NotImplementedError

    def __enter__(self: Started) -> Started:
        return self.start()

    def __exit__(self, *exc_info: object) -> None:
        self.stop()

    async def __aenter__(self: Started) -> Started:
        return await anyio.to_thread.run_sync(self.start)

    async def __aexit__(self, *exc_info: object) -> None:
        await anyio.to_thread.run_sync(self.stop)


def _options(token: str, host: str, port: int, overrides: dict[str, Any]) -> NodeOptions:
    unknown = set(overrides) - OPTION_NAMES
    if unknown:
        raise TypeError(f"unknown JellyfishServer option(s): {', '.join(sorted(unknown))}")
    resources_dir = overrides.pop("resources_dir", None)
    if resources_dir is not None:
        overrides["resources_dir"] = os.path.abspath(os.fspath(resources_dir))
    return NodeOptions(token=token, host=host, port=port, **overrides)


class JellyfishServer(EmulatorControl, NodeView, _StartStop):
    """An in-process Jellyfish v0.5.0, for tests and local development.

    REST, server and peer WebSockets, notifications, webhooks, timers, metrics (WebSocket and
    Prometheus) and a media simulation (file, HLS, recording and RTSP components play on their
    own, on a clock that runs in real time, faster, or only when the test moves it).

    Use it as a context manager, blocking (``with``) or async (``async with``, on asyncio or
    trio); it runs in its own thread with its own event loop. ``port=0`` picks a free port.
    The keyword arguments are the fields of :class:`~jellyfish.testing.NodeOptions`
    (``media_speed=20``, ``manual_clock=True``, ``sip_enabled=True``, ...).
    """

    def __init__(
        self,
        token: str = "development",
        host: str = "127.0.0.1",
        port: int = 0,
        **options: Any,
    ) -> None:
        self._host = NodeHost(_options(token, host, port, options))
        super().__init__(local_control(self._host))
        # an owned temporary directory is created on first use (start or resources_dir)
        self._owns_dir = self._host.options.resources_dir is None
        self._runtime: Runtime | None = None
        self._lifecycle = threading.Lock()

    def _remove_owned_dir(self) -> None:
        if self._owns_dir:
            directory = self._host.forget_resources_dir()
            if directory:
                shutil.rmtree(directory, ignore_errors=True)

    @property
    def running(self) -> bool:
        """True between :meth:`start` and :meth:`stop`."""
        return self._runtime is not None

    def _start_runtime(self) -> None:
        runtime = Runtime([self._host], restart=self.restart)
        runtime.start()
        self._runtime = runtime

    def _stop_runtime(self) -> None:
        runtime, self._runtime = self._runtime, None
        if runtime is not None:
            runtime.stop()

    def start(self) -> JellyfishServer:
        """Start listening (blocking until the server accepts connections)."""
        with self._lifecycle:
            if self._runtime is not None:
                raise RuntimeError("the emulator is already running")
            try:
                self._start_runtime()
            except BaseException:
                self._remove_owned_dir()
                raise
        return self

    def stop(self) -> None:
        """Stop: drop every connection, cancel timers and webhooks, join the thread."""
        with self._lifecycle:
            self._stop_runtime()
            self._remove_owned_dir()

    def restart(self) -> None:
        """Stop and start again on the same port, like a real restart.

        State (rooms, peers, subscriptions, webhook registrations, the token key unless
        ``secret_key_base`` is set) is lost and every socket is dropped. Files in
        ``resources_dir`` survive.
        """
        with self._lifecycle:
            self._stop_runtime()
            self._start_runtime()

    def __repr__(self) -> str:
        state = "running" if self.running else "stopped"
        options = self._host.options
        clock = "manual clock" if options.manual_clock else f"media_speed={options.media_speed:g}"
        return f"JellyfishServer(address={self.address!r}, {state}, {clock})"


# A node in this process, like a cluster's nodes (a virtual subclass: no inheritance chain).
EmulatorNode.register(JellyfishServer)


class JellyfishCluster(_StartStop):
    """N emulated Jellyfish nodes in one process (``JF_DIST_ENABLED=true``).

    ``POST /room`` on any node places the room by the §2.3 rule (fewest forwarded tracks,
    then fewest rooms); rooms are node-local (other nodes answer 404); every node's server
    WebSocket receives the notifications of all nodes; webhooks come from the room's node.
    ``nodes[i]`` have ``address``, ``token``, ``http_url`` and the control API.
    Keyword arguments are those of :class:`JellyfishServer` (except ``port``).
    """

    def __init__(
        self, nodes: int = 2, *, token: str = "development", host: str = "127.0.0.1", **options: Any
    ) -> None:
        if nodes < 1:
            raise ValueError("a cluster needs at least one node")
        if "port" in options:
            raise ValueError("cluster nodes always listen on free ports")
        if options.get("metrics_port") not in (0, None):
            raise ValueError("cluster nodes' metrics listeners always use free ports")
        self._owned_dir = tempfile.mkdtemp(prefix="jellyfish-cluster-")
        base = options.pop("resources_dir", None)
        self.nodes: list[EmulatorNode] = []
        for index in range(nodes):
            directory = os.path.join(
                os.fspath(base) if base else self._owned_dir, f"node{index + 1}"
            )
            node_options = _options(token, host, 0, {**options, "resources_dir": directory})
            self.nodes.append(EmulatorNode(node_options))
        self._runtime: Runtime | None = None

    @property
    def token(self) -> str:
        """The server API token shared by all nodes."""
        return self.nodes[0].token

    def start(self) -> JellyfishCluster:
        """Start every node."""
        if self._runtime is not None:
            raise RuntimeError("the cluster is already running")
        runtime = Runtime([node.host for node in self.nodes])
        runtime.start()
        self._runtime = runtime
        return self

    def stop(self) -> None:
        """Stop every node and remove the temporary resources."""
        runtime, self._runtime = self._runtime, None
        if runtime is not None:
            runtime.stop()
        shutil.rmtree(self._owned_dir, ignore_errors=True)

    def __repr__(self) -> str:
        state = "running" if self._runtime is not None else "stopped"
        addresses = ", ".join(repr(node.address) for node in self.nodes)
        return f"JellyfishCluster(nodes=[{addresses}], {state})"
