"""One emulated node: :class:`NodeHost` runs it, :class:`EmulatorNode` is its public face.

``NodeHost`` owns what a running node is made of (sockets, uvicorn, clock, webhooks, the
node facade) and is driven by a ``Runtime`` through its public methods. The public classes
(``EmulatorNode``, ``JellyfishServer``) hold a host and reach its control operations through
a :class:`~jellyfish.testing._control.LocalTransport`.
"""

from __future__ import annotations

import os
import socket
import tempfile
import time
import uuid
from abc import ABCMeta
from collections.abc import Callable
from typing import Any, TypeVar

import anyio
import anyio.from_thread
from anyio.abc import TaskStatus

from jellyfish.testing._app import NodeApp
from jellyfish.testing._clock import Clock
from jellyfish.testing._context import NodeContext
from jellyfish.testing._control import EmulatorControl, LocalTransport, NodeDescription
from jellyfish.testing._control_http import ControlHttp, restart_thread
from jellyfish.testing._core import NodeCore
from jellyfish.testing._fake_peer import FakePeerRegistry
from jellyfish.testing._http import PEER_WS_PATH, SERVER_WS_PATH
from jellyfish.testing._hub import Hub, WebhookSender
from jellyfish.testing._model import ControlError, NodeSettings
from jellyfish.testing._operations import CONTROL_VERSION, schema
from jellyfish.testing._options import NodeOptions
from jellyfish.testing._reaping import ConnectionReaper
from jellyfish.testing._rest import CreateRoom, RestApi, health_payload
from jellyfish.testing._telemetry import Telemetry
from jellyfish.testing._tokens import PeerTokenSigner
from jellyfish.testing._uvicorn import UvicornHost, bind
from jellyfish.testing._websocket import SocketHooks

T = TypeVar("T")

RESOURCE_SUBDIRECTORIES = (
    "file_component_sources",
    "recordings",
    "temporary_hls",
    "raw_recordings",
)


def _http_url(host: str, port: int) -> str:
    return f"http://[{host}]:{port}" if ":" in host else f"http://{host}:{port}"


class NodeHost:
    """Runs one node on the runtime's event loop; every method says which thread it is for."""

    def __init__(self, options: NodeOptions) -> None:
        self.options = options
        self.port = options.port
        self.metrics_port = options.metrics_port
        self._resources_dir = options.resources_dir or ""
        self._portal: anyio.from_thread.BlockingPortal | None = None
        self._core: NodeCore | None = None
        self._uvicorn: UvicornHost | None = None
        self._sockets: list[socket.socket] = []
        self._stop_requested: anyio.Event | None = None
        self._started_at = time.monotonic()
        self._cluster_size = 0
        self._restart: Callable[[], None] | None = None
        self.boot = ""
        self.webhooks: WebhookSender | None = None
        self.reaper: ConnectionReaper | None = None
        self.fake_peers = FakePeerRegistry()

    # --- where (any thread) ------------------------------------------------------------------

    @property
    def address(self) -> str:
        """``host:port`` as Jellyfish reports it (``jellyfish_address``); no scheme."""
        return self.options.external_address or f"{self.options.host}:{self.port}"

    @property
    def http_url(self) -> str:
        """``http://host:port`` of the listener."""
        return _http_url(self.options.host, self.port)

    @property
    def token(self) -> str:
        """The server API token."""
        return self.options.token

    @property
    def peer_websocket_url(self) -> str:
        """``ws://host:port/socket/peer/websocket``."""
        return self.http_url.replace("http://", "ws://", 1) + PEER_WS_PATH

    @property
    def metrics_url(self) -> str | None:
        """``http://<metrics host>:<port>/metrics``, None when the listener is off."""
        if self.metrics_port is None:
            return None
        return _http_url(self.options.metrics_host, self.metrics_port) + "/metrics"

    def resources_dir(self) -> str:
        """``JF_RESOURCES_BASE_PATH`` (a temporary directory is made on first use)."""
        if not self._resources_dir:
            self._resources_dir = tempfile.mkdtemp(prefix="jellyfish-emulator-")
        return self._resources_dir

    def forget_resources_dir(self) -> str:
        """Stop using the current resources directory; returns it (the caller removes it)."""
        directory, self._resources_dir = self._resources_dir, ""
        return directory

    @property
    def core(self) -> NodeCore | None:
        """The node facade while the node runs (use it on the loop thread only), else None."""
        return self._core

    @property
    def running(self) -> bool:
        """True while the node is attached to a runtime."""
        return self._portal is not None

    def describe(self) -> NodeDescription:
        """Where the node is and how it runs (any thread)."""
        return NodeDescription(self.metrics_url, self.resources_dir(), self.options.media_speed)

    def info(self) -> dict[str, Any]:
        """What a control client needs to know about the node (``GET /_emulator/v1``)."""
        return {
            "control_api": CONTROL_VERSION,
            "boot": self.boot,
            "address": self.address,
            "http_url": self.http_url,
            "metrics_url": self.metrics_url,
            "resources_dir": self.resources_dir(),
            "media_speed": self.options.media_speed,
            "manual_clock": self.options.manual_clock,
            "operations": schema(),
        }

    # --- the runtime's side --------------------------------------------------------------------

    def attach(
        self,
        portal: anyio.from_thread.BlockingPortal,
        cluster_size: int,
        restart: Callable[[], None] | None,
    ) -> None:
        """Bind the node to a runtime's portal (before :meth:`run` starts)."""
        self._portal = portal
        self._cluster_size = cluster_size
        self._restart = restart

    def detach(self) -> None:
        """Forget the runtime (after :meth:`run` has ended)."""
        self._portal = None
        self.fake_peers.close_all()

    def call_on_loop(self, function: Callable[[], T]) -> T:
        """Run ``function()`` on the node's loop thread and return its result (any thread)."""
        portal = self._portal
        if portal is None:
            raise RuntimeError("the emulator is not running")
        return portal.call(function)

    async def run(
        self,
        hub: Hub,
        create_room: CreateRoom,
        *,
        task_status: TaskStatus[None] = anyio.TASK_STATUS_IGNORED,
    ) -> None:
        """Serve until :meth:`request_stop` (loop thread)."""
        options = self.options
        base = self.resources_dir()
        for sub in RESOURCE_SUBDIRECTORIES:
            os.makedirs(os.path.join(base, sub), exist_ok=True)
        self._bind()
        clock = Clock(options.media_speed, manual=options.manual_clock)
        self.webhooks = WebhookSender(
            options.webhook_format, options.webhook_timeout, options.webhook_loopback_only
        )
        settings = NodeSettings(
            token=options.token,
            address=self.address,
            resources_dir=base,
            webrtc_enabled=options.webrtc_enabled,
            sip_enabled=options.sip_enabled,
            recording_enabled=options.recording_enabled,
            s3_credentials=dict(options.s3_credentials) if options.s3_credentials else None,
            s3_path_prefix=options.s3_path_prefix,
            allow_float_timeouts=options.fractional_timeouts,
            failing_s3_buckets=options.failing_s3_buckets,
        )
        signer = PeerTokenSigner(options.secret_key_base, options.peer_token_max_age)
        core = NodeCore(NodeContext(settings, clock, hub, self.webhooks, Telemetry()), signer)
        self.reaper = reaper = ConnectionReaper(options.request_timeout, options.idle_timeout)
        host: UvicornHost | None = None

        def start_heartbeat(scope: Any) -> None:
            if host is not None:
                host.start_heartbeat(scope)

        def drop_connection(scope: Any) -> None:
            if host is not None:
                host.abort_scope(scope)

        app = NodeApp(
            core,
            hub,
            RestApi(core, create_room, self._health),
            ControlHttp(self, options.token, self._restart_in_background),
            SocketHooks(start_heartbeat, drop_connection),
            reaper,
            self._metrics_address(),
        )
        host = UvicornHost(app, options.heartbeat_interval, reaper)
        self._stop_requested = stop = anyio.Event()
        self._started_at = time.monotonic()
        self.boot = str(uuid.uuid4())
        try:
            await host.start(self._sockets)
            self._uvicorn = host
            async with anyio.create_task_group() as tg:
                tg.start_soon(clock.run, tg)
                tg.start_soon(self.webhooks.run)
                tg.start_soon(host.date_header_loop)
                core.start_periodic_metrics(options.metrics_interval)
                self._core = core
                task_status.started()
                await stop.wait()
                await host.shutdown()
                tg.cancel_scope.cancel()
        finally:
            self._core = None
            self._uvicorn = None
            self.webhooks.close()
            for sock in self._sockets:
                sock.close()
            self._sockets = []

    def _bind(self) -> None:
        options = self.options
        if self._sockets:
            return
        main = bind(options.host, self.port)
        self._sockets = [main]
        self.port = main.getsockname()[1]
        if self.metrics_port is not None:
            try:
                metrics = bind(options.metrics_host, self.metrics_port)
            except OSError:
                main.close()
                self._sockets = []
                raise
            self._sockets.append(metrics)
            self.metrics_port = metrics.getsockname()[1]

    def _metrics_address(self) -> tuple[str, int] | None:
        if self.metrics_port is None:
            return None
        return self.options.metrics_host, self.metrics_port

    def _health(self) -> dict[str, Any]:
        git_commit = self.options.git_commit
        if self._cluster_size:
            return health_payload(self._started_at, git_commit, True, "UP", self._cluster_size)
        return health_payload(self._started_at, git_commit, False, "DOWN", 0)

    def request_stop(self) -> None:
        """Make :meth:`run` shut down (loop thread)."""
        if self._stop_requested is not None:
            self._stop_requested.set()

    # --- control operations' side ------------------------------------------------------------

    def drop_server_websockets(self) -> int:
        """Abort every server-WebSocket connection, no close frame (loop thread)."""
        return 0 if self._uvicorn is None else self._uvicorn.abort_connections(SERVER_WS_PATH)

    def restart(self) -> None:
        """Restart the node through its owner (not on the loop thread)."""
        if self._restart is None:
            raise ControlError("only a JellyfishServer restarts; a cluster node does not")
        self._restart()

    def _restart_in_background(self) -> None:
        if self._restart is None:
            raise ControlError("only a JellyfishServer restarts; a cluster node does not")
        restart_thread(self._restart)()


def local_control(host: NodeHost) -> LocalTransport:
    """The control transport to a node of this process."""
    return LocalTransport(host, host.call_on_loop, host, host.describe)


class NodeView:
    """What only a node of this process has (``_host`` is its host).

    Shared by ``EmulatorNode`` and ``JellyfishServer``, which are both control clients
    (:class:`~jellyfish.testing._control.EmulatorControl`) of their own host.
    """

    _host: NodeHost

    @property
    def options(self) -> NodeOptions:
        """The node's options (frozen)."""
        return self._host.options

    @property
    def port(self) -> int:
        """The TCP port the node listens on."""
        return self._host.port

    @property
    def core(self) -> NodeCore | None:
        """The node's state while it runs (loop thread only), else None."""
        return self._host.core

    @property
    def webhooks(self) -> WebhookSender | None:
        """The node's webhook sender while it runs: ``sent`` and ``failed`` count requests."""
        return self._host.webhooks

    @property
    def host(self) -> NodeHost:
        """What runs the node (for the runtime that hosts it)."""
        return self._host


class EmulatorNode(EmulatorControl, NodeView, metaclass=ABCMeta):
    """One node of a :class:`~jellyfish.testing.JellyfishCluster`: its address and control API.

    ``webhooks`` is the node's webhook sender while it runs; its ``sent`` and ``failed``
    counters tell how many webhook requests got a 2xx answer and how many did not.

    A ``JellyfishServer`` is an ``EmulatorNode`` too (``isinstance`` says so): the same
    node, with its own start, stop and restart.
    """

    def __init__(self, options: NodeOptions) -> None:
        self._host = NodeHost(options)
        super().__init__(local_control(self._host))

    def __repr__(self) -> str:
        state = "running" if self._host.core is not None else "stopped"
        return f"<EmulatorNode address={self.address!r} {state}>"
