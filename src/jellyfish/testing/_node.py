"""One emulated node: its options, addresses, the task that runs it, and the control API."""

from __future__ import annotations

import logging
import os
import socket
import tempfile
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

import anyio
import anyio.from_thread
from anyio.abc import TaskStatus

from jellyfish.events._protos.jellyfish.server_notifications_pb2 import ServerMessage
from jellyfish.testing._asgi import PEER_WS_PATH, SERVER_WS_PATH, NodeApp, health_payload
from jellyfish.testing._clock import Clock
from jellyfish.testing._control import ControlApi
from jellyfish.testing._core import NodeCore, NodeSettings, Room
from jellyfish.testing._hub import Hub, WebhookSender
from jellyfish.testing._options import NodeOptions
from jellyfish.testing._params import RoomConfig
from jellyfish.testing._tokens import PeerTokenSigner
from jellyfish.testing._uvicorn import UvicornHost, bind

logger = logging.getLogger("jellyfish.testing")

CreateRoom = Callable[[NodeCore, RoomConfig], tuple[Room, str]]
RESOURCE_SUBDIRECTORIES = (
    "file_component_sources",
    "recordings",
    "temporary_hls",
    "raw_recordings",
)


class EmulatorNode(ControlApi):
    """One emulated Jellyfish node: where to reach it, and the media-plane control API.

    ``webhooks`` is the node's webhook sender while it runs; its ``sent`` and ``failed``
    counters tell how many webhook requests got a 2xx answer and how many did not.
    """

    def __init__(self, options: NodeOptions) -> None:
        self.options = options
        self._port = options.port
        self._resources_dir = options.resources_dir or ""
        self._portal: anyio.from_thread.BlockingPortal | None = None
        self._core: NodeCore | None = None
        self._uvicorn: UvicornHost | None = None
        self._socket: socket.socket | None = None
        self._stop_requested: anyio.Event | None = None
        self._started_at = time.monotonic()
        self._cluster_size = 0
        self.webhooks: WebhookSender | None = None

    # --- where -----------------------------------------------------------------------------

    @property
    def token(self) -> str:
        """The server API token (REST bearer token and server-WebSocket auth token)."""
        return self.options.token

    @property
    def port(self) -> int:
        """The TCP port the node listens on."""
        return self._port

    @property
    def address(self) -> str:
        """``host:port`` as Jellyfish reports it (``jellyfish_address``); no scheme."""
        return self.options.external_address or f"{self.options.host}:{self._port}"

    @property
    def http_url(self) -> str:
        """``http://host:port`` of the listener."""
        host = self.options.host
        host = f"[{host}]" if ":" in host else host
        return f"http://{host}:{self._port}"

    @property
    def server_websocket_url(self) -> str:
        """``ws://host:port/socket/server/websocket``."""
        return self.http_url.replace("http://", "ws://", 1) + SERVER_WS_PATH

    @property
    def peer_websocket_url(self) -> str:
        """``ws://host:port/socket/peer/websocket``."""
        return self.http_url.replace("http://", "ws://", 1) + PEER_WS_PATH

    @property
    def resources_dir(self) -> Path:
        """``JF_RESOURCES_BASE_PATH``: holds file_component_sources/, recordings/, ..."""
        return Path(self._ensure_resources_dir())

    @property
    def file_sources_dir(self) -> Path:
        """Where file components read their files from (created on start)."""
        return self.resources_dir / "file_component_sources"

    @property
    def recordings_dir(self) -> Path:
        """Persistent HLS output; what ``GET /recording`` lists."""
        return self.resources_dir / "recordings"

    @property
    def media_speed(self) -> float:
        """Simulated seconds per real second (timers, metrics, media)."""
        return self.options.media_speed

    @property
    def core(self) -> NodeCore | None:
        """The node's state while it runs (loop thread only), else None."""
        return self._core

    # --- running (on the loop thread) --------------------------------------------------------

    def _ensure_resources_dir(self) -> str:
        if not self._resources_dir:
            self._resources_dir = tempfile.mkdtemp(prefix="jellyfish-emulator-")
        return self._resources_dir

    def _health(self) -> dict[str, Any]:
        if self._cluster_size:
            return health_payload(
                self._started_at, self.options.git_commit, True, "UP", self._cluster_size
            )
        return health_payload(self._started_at, self.options.git_commit, False, "DOWN", 0)

    async def _run(
        self,
        hub: Hub,
        create_room: CreateRoom,
        *,
        task_status: TaskStatus[None] = anyio.TASK_STATUS_IGNORED,
    ) -> None:
        options = self.options
        base = self._ensure_resources_dir()
        for sub in RESOURCE_SUBDIRECTORIES:
            os.makedirs(os.path.join(base, sub), exist_ok=True)
        if self._socket is None:
            self._socket = bind(options.host, self._port)
        self._port = self._socket.getsockname()[1]
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
        core = NodeCore(settings, clock, hub, self.webhooks, signer)
        host: UvicornHost | None = None

        def start_heartbeat(scope: Any) -> None:
            if host is not None:
                host.start_heartbeat(scope)

        def drop_connection(scope: Any) -> None:
            if host is not None:
                host.abort_scope(scope)

        app = NodeApp(core, hub, create_room, self._health, start_heartbeat, drop_connection)
        host = UvicornHost(app, options.heartbeat_interval)
        self._stop_requested = stop = anyio.Event()
        self._started_at = time.monotonic()
        try:
            await host.start(self._socket)
            self._uvicorn = host
            async with anyio.create_task_group() as tg:
                tg.start_soon(clock.run, tg)
                tg.start_soon(self.webhooks.run)
                tg.start_soon(host.date_header_loop)
                self._start_metrics(core, hub, clock)
                self._core = core
                task_status.started()
                await stop.wait()
                await host.shutdown()
                tg.cancel_scope.cancel()
        finally:
            self._core = None
            self._uvicorn = None
            self.webhooks.close()
            if self._socket is not None:
                self._socket.close()
                self._socket = None

    def _start_metrics(self, core: NodeCore, hub: Hub, clock: Clock) -> None:
        """A ``MetricsReport`` now and every ``metrics_interval`` simulated seconds."""
        interval = self.options.metrics_interval

        def report() -> None:
            message = ServerMessage.MetricsReport(metrics=core.metrics_report())
            hub.publish_metrics(ServerMessage(metrics_report=message))
            clock.call_later(interval, report)

        report()

    def _request_stop(self) -> None:
        if self._stop_requested is not None:
            self._stop_requested.set()

    def _abort_websockets(self, path: str) -> int:
        return 0 if self._uvicorn is None else self._uvicorn.abort_connections(path)

    def __repr__(self) -> str:
        state = "running" if self._core is not None else "stopped"
        return f"<{type(self).__name__} address={self.address!r} {state}>"
