"""Lifecycle of the emulator, and its public classes.

An event-loop thread hosts one or more uvicorn-served nodes; :class:`JellyfishServer` and
:class:`JellyfishCluster` wrap it, with the media-plane control API.
"""

from __future__ import annotations

import logging
import os
import shutil
import socket
import tempfile
import time
from collections.abc import Callable, Mapping
from concurrent.futures import Future
from contextlib import AbstractContextManager, suppress
from pathlib import Path
from types import TracebackType
from typing import Any, TypeVar

import anyio
import anyio.from_thread
import uvicorn
from anyio.abc import TaskGroup, TaskStatus

from jellyfish.events._protos.jellyfish.server_notifications_pb2 import ServerMessage
from jellyfish.testing._asgi import PEER_WS_PATH, SERVER_WS_PATH, NodeApp, health_payload
from jellyfish.testing._core import Component, ControlError, NodeCore, NodeSettings, Peer, Room
from jellyfish.testing._hub import Hub, WebhookFormat, WebhookSender
from jellyfish.testing._params import RoomConfig
from jellyfish.testing._tokens import DEFAULT_MAX_AGE, PeerTokenSigner, TokenError

logger = logging.getLogger("jellyfish.testing")

T = TypeVar("T")
_NEVER = 1e9  # seconds
_S3_KEYS = ("accessKeyId", "secretAccessKey", "region", "bucket")


class _Scheduler:
    """Timers as tasks in the node's task group (cancelled on shutdown)."""

    def __init__(self) -> None:
        self.task_group: TaskGroup | None = None

    def now(self) -> float:
        return time.monotonic()

    def call_later(self, delay: float, callback: Callable[[], None]) -> None:
        if self.task_group is None or delay > _NEVER:
            return  # a timeout of decades never fires within a test run
        self.task_group.start_soon(self._later, delay, callback)

    @staticmethod
    async def _later(delay: float, callback: Callable[[], None]) -> None:
        await anyio.sleep(delay)
        try:
            callback()
        except Exception:
            logger.exception("Timer callback failed")


def _bind(host: str, port: int) -> socket.socket:
    family = socket.AF_INET6 if ":" in host else socket.AF_INET
    # IPPROTO_TCP explicitly: asyncio only sets TCP_NODELAY on accepted sockets whose proto says TCP
    sock = socket.socket(family, socket.SOCK_STREAM, socket.IPPROTO_TCP)
    sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    try:
        sock.bind((host, port))
    except OSError:
        sock.close()
        raise
    return sock


class EmulatorNode:
    """One emulated Jellyfish node: where to reach it, and the media-plane control API.

    Every control method runs on the emulator's event-loop thread and produces exactly the
    notifications and REST state changes the real server would. They raise
    :class:`ControlError` (a ``ValueError``) for unknown rooms, peers, components or tracks.

    ``webhooks`` is the node's webhook sender while it runs; its ``sent`` and ``failed``
    counters tell how many webhook requests got a 2xx answer and how many did not.
    """

    def __init__(
        self,
        *,
        token: str,
        host: str,
        port: int,
        external_address: str | None,
        resources_dir: str,
        heartbeat_interval: float,
        metrics_interval: float,
        webhook_format: WebhookFormat,
        webhook_timeout: float,
        webrtc_enabled: bool,
        sip_enabled: bool,
        recording_enabled: bool,
        s3_credentials: Mapping[str, str] | None,
        s3_path_prefix: str | None,
        secret_key_base: str | bytes | None,
        peer_token_max_age: float,
        git_commit: str,
        fractional_timeouts: bool,
        webhook_loopback_only: bool,
    ) -> None:
        if webhook_format not in ("protobuf", "json"):
            raise ValueError("webhook_format must be 'protobuf' or 'json'")
        if s3_credentials is not None and set(s3_credentials) != set(_S3_KEYS):
            raise ValueError(f"s3_credentials needs exactly the keys {', '.join(_S3_KEYS)}")
        self._token = token
        self._host = host
        self._port = port
        self._external_address = external_address
        self._resources_dir = resources_dir
        self._heartbeat_interval = heartbeat_interval
        self._metrics_interval = metrics_interval
        self._webhook_format: WebhookFormat = webhook_format
        self._webhook_timeout = webhook_timeout
        self._webhook_loopback_only = webhook_loopback_only
        self._flags = (webrtc_enabled, sip_enabled, recording_enabled)
        self._s3 = dict(s3_credentials) if s3_credentials is not None else None
        self._s3_prefix = s3_path_prefix
        self._secret = secret_key_base
        self._max_age = peer_token_max_age
        self._git_commit = git_commit
        self._fractional_timeouts = fractional_timeouts
        self._portal: anyio.from_thread.BlockingPortal | None = None
        self._core: NodeCore | None = None
        self._uvicorn: uvicorn.Server | None = None
        self._socket: socket.socket | None = None
        self._stop_requested: anyio.Event | None = None
        self._started_at = time.monotonic()
        self._cluster_size = 0
        self.webhooks: WebhookSender | None = None

    # --- where -----------------------------------------------------------------------------

    @property
    def token(self) -> str:
        """The server API token (REST bearer token and server-WebSocket auth token)."""
        return self._token

    @property
    def port(self) -> int:
        """The TCP port the node listens on."""
        return self._port

    @property
    def address(self) -> str:
        """``host:port`` as Jellyfish reports it (``jellyfish_address``); no scheme."""
        return self._external_address or f"{self._host}:{self._port}"

    @property
    def http_url(self) -> str:
        """``http://host:port`` of the listener."""
        host = f"[{self._host}]" if ":" in self._host else self._host
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

    # --- lifecycle (driven by the owner, on the loop thread) -----------------------------------

    def _ensure_resources_dir(self) -> str:
        if not self._resources_dir:
            self._resources_dir = tempfile.mkdtemp(prefix="jellyfish-emulator-")
        return self._resources_dir

    def _make_core(self, hub: Hub, scheduler: _Scheduler) -> NodeCore:
        webrtc, sip, recording = self._flags
        settings = NodeSettings(
            token=self._token,
            address=self.address,
            resources_dir=self._resources_dir,
            webrtc_enabled=webrtc,
            sip_enabled=sip,
            recording_enabled=recording,
            s3_credentials=self._s3,
            s3_path_prefix=self._s3_prefix,
            allow_float_timeouts=self._fractional_timeouts,
        )
        self.webhooks = WebhookSender(
            self._webhook_format, self._webhook_timeout, self._webhook_loopback_only
        )
        signer = PeerTokenSigner(self._secret, self._max_age)
        return NodeCore(settings, scheduler, hub, self.webhooks, signer)

    def _health(self) -> dict[str, Any]:
        if self._cluster_size:
            return health_payload(
                self._started_at, self._git_commit, True, "UP", self._cluster_size
            )
        return health_payload(self._started_at, self._git_commit, False, "DOWN", 0)

    async def _run(
        self,
        hub: Hub,
        create_room: Callable[[NodeCore, RoomConfig], tuple[Room, str]],
        *,
        task_status: TaskStatus[None] = anyio.TASK_STATUS_IGNORED,
    ) -> None:
        base = self._ensure_resources_dir()
        for sub in ("file_component_sources", "recordings", "temporary_hls", "raw_recordings"):
            os.makedirs(os.path.join(base, sub), exist_ok=True)
        if self._socket is None:
            self._socket = _bind(self._host, self._port)
        self._port = self._socket.getsockname()[1]
        scheduler = _Scheduler()
        core = self._make_core(hub, scheduler)
        app = NodeApp(core, hub, create_room, self._health, self._start_heartbeat)
        config = uvicorn.Config(
            app,
            http="h11",
            ws="wsproto",
            lifespan="off",
            log_config=None,
            access_log=False,
            ws_ping_interval=None,  # started per connection after auth: _start_heartbeat
            ws_ping_timeout=None,
            timeout_graceful_shutdown=2,
            timeout_keep_alive=60,
        )
        server = uvicorn.Server(config)
        self._stop_requested = stop = anyio.Event()
        self._started_at = time.monotonic()
        try:
            # uvicorn's own serve() polls for exit every 0.1 s and sleeps 0.1 s on shutdown;
            # driving startup/shutdown here keeps start and stop fast for tests.
            config.load()
            server.lifespan = config.lifespan_class(config)
            await server.startup(sockets=[self._socket])
            self._uvicorn = server
            async with anyio.create_task_group() as tg:
                scheduler.task_group = tg
                tg.start_soon(self.webhooks.run)  # type: ignore[union-attr]
                tg.start_soon(self._metrics_loop, core, hub)
                tg.start_soon(self._date_header_loop, server)
                self._core = core
                task_status.started()
                await stop.wait()
                await self._shutdown(server)
                tg.cancel_scope.cancel()
        finally:
            self._core = None
            self._uvicorn = None
            if self.webhooks is not None:
                self.webhooks.close()
            if self._socket is not None:
                self._socket.close()
                self._socket = None

    async def _shutdown(self, server: uvicorn.Server) -> None:
        # Stop accepting first, but keep the listeners open until connections accepted in
        # this very loop iteration have become transports: closing an asyncio Server with
        # accepts in flight leaks their sockets (CPython 3.11 asserts in Server._attach).
        for listener in server.servers:
            for sock in listener.sockets:
                listener.get_loop().remove_reader(sock.fileno())
        # Abort until nothing is left: an accepted client becomes a connection a few loop
        # iterations later, and must be dropped too.
        quiet = 0
        with anyio.move_on_after(2):
            while quiet < 5:
                self._abort_connections(None)
                await anyio.sleep(0.001)
                state = server.server_state
                quiet = 0 if state.connections or state.tasks else quiet + 1
        for listener in server.servers:
            listener.close()
        for task in list(server.server_state.tasks):
            task.cancel()

    @staticmethod
    async def _date_header_loop(server: uvicorn.Server) -> None:
        while True:
            await server.on_tick(0)  # refreshes the Date header
            await anyio.sleep(1)

    async def _metrics_loop(self, core: NodeCore, hub: Hub) -> None:
        while True:
            report = ServerMessage.MetricsReport(metrics=core.metrics_report())
            hub.publish_metrics(ServerMessage(metrics_report=report))
            await anyio.sleep(self._metrics_interval)

    def _start_heartbeat(self, scope: Any) -> None:
        """Start WebSocket pings on the connection of ``scope`` (Jellyfish pings after auth)."""
        server = self._uvicorn
        if server is None or self._heartbeat_interval <= 0:
            return
        for connection in server.server_state.connections:
            protocol: Any = connection  # the wsproto protocol (uvicorn >= 0.46)
            if getattr(protocol, "scope", None) is scope and hasattr(protocol, "start_keepalive"):
                protocol.ping_interval = self._heartbeat_interval
                protocol.start_keepalive()
                return

    def _abort_connections(self, path: str | None) -> int:
        server = self._uvicorn
        if server is None:
            return 0
        count = 0
        for connection in list(server.server_state.connections):
            scope = getattr(connection, "scope", None)
            transport = getattr(connection, "transport", None)
            if transport is None:
                continue
            if path is not None and not (
                isinstance(scope, dict)
                and scope.get("type") == "websocket"
                and scope.get("path") == path
            ):
                continue
            transport.abort()
            count += 1
        return count

    def _request_stop(self) -> None:
        if self._stop_requested is not None:
            self._stop_requested.set()

    # --- control API -------------------------------------------------------------------------

    def _call(self, function: Callable[[], T]) -> T:
        if self._portal is None:
            raise RuntimeError("the emulator is not running")
        return self._portal.call(function)

    def _node(self) -> NodeCore:
        if self._core is None:
            raise RuntimeError("the emulator is not running")
        return self._core

    def _peer(self, room_id: str, peer_id: str) -> tuple[Room, Peer]:
        room, endpoint = self._node().find_endpoint(room_id, peer_id)
        if not isinstance(endpoint, Peer):
            raise ControlError(f"{peer_id!r} is a component, not a peer")
        return room, endpoint

    def _component(self, room_id: str, component_id: str) -> tuple[Room, Component]:
        room, endpoint = self._node().find_endpoint(room_id, component_id)
        if not isinstance(endpoint, Component):
            raise ControlError(f"{component_id!r} is a peer, not a component")
        return room, endpoint

    def add_track(
        self,
        room_id: str,
        endpoint_id: str,
        track_type: str = "video",
        metadata: Any = None,
        *,
        track_id: str | None = None,
    ) -> str:
        """A connected peer or a component publishes a track: ``TrackAdded``. Returns its id."""

        def run() -> str:
            room, endpoint = self._node().find_endpoint(room_id, endpoint_id)
            return self._node().add_track(room, endpoint, track_type, metadata, track_id).id

        return self._call(run)

    def remove_track(self, room_id: str, endpoint_id: str, track_id: str) -> None:
        """A peer or component unpublishes a track: ``TrackRemoved``."""

        def run() -> None:
            room, endpoint = self._node().find_endpoint(room_id, endpoint_id)
            self._node().remove_track(room, endpoint, track_id)

        self._call(run)

    def update_track_metadata(
        self, room_id: str, endpoint_id: str, track_id: str, metadata: Any
    ) -> None:
        """New track metadata: ``TrackMetadataUpdated``; REST shows the raw value."""

        def run() -> None:
            room, endpoint = self._node().find_endpoint(room_id, endpoint_id)
            self._node().update_track_metadata(room, endpoint, track_id, metadata)

        self._call(run)

    def set_peer_metadata(self, room_id: str, peer_id: str, metadata: Any) -> None:
        """The peer's endpoint metadata changes: ``PeerMetadataUpdated``."""

        def run() -> None:
            room, peer = self._peer(room_id, peer_id)
            self._node().set_peer_metadata(room, peer, metadata)

        self._call(run)

    def crash_peer(self, room_id: str, peer_id: str, reason: str = "") -> None:
        """The peer's engine endpoint crashes.

        ``TrackRemoved`` for each track, then ``PeerCrashed{reason}``; the peer is removed and
        its socket closes with 1011 ``reason`` (or ``Internal server error``).
        """

        def run() -> None:
            room, peer = self._peer(room_id, peer_id)
            self._node().crash_peer(room, peer, reason)

        self._call(run)

    def crash_component(self, room_id: str, component_id: str) -> None:
        """The component crashes: ``TrackRemoved`` per track, ``ComponentCrashed``; it goes."""

        def run() -> None:
            room, component = self._component(room_id, component_id)
            self._node().crash_component(room, component)

        self._call(run)

    def crash_room(self, room_id: str) -> None:
        """The room crashes: ``RoomCrashed`` only; peer sockets close with 1011."""

        def run() -> None:
            room = self._node().rooms.get(room_id)
            if room is None:
                raise ControlError(f"room {room_id!r} does not exist")
            self._node().crash_room(room)

        self._call(run)

    def end_of_stream(self, room_id: str, component_id: str) -> None:
        """A file component reaches its end: ``TrackRemoved`` per track, then it is gone."""

        def run() -> None:
            room, component = self._component(room_id, component_id)
            self._node().end_of_stream(room, component)

        self._call(run)

    def hls_playable(self, room_id: str) -> str:
        """The room's HLS stream becomes playable: ``HlsPlayable``, ``playable: true``.

        Returns the hls component id.
        """

        def run() -> str:
            room = self._node().rooms.get(room_id)
            if room is None:
                raise ControlError(f"room {room_id!r} does not exist")
            return self._node().hls_playable(room).id

        return self._call(run)

    def hls_uploaded(self, room_id: str) -> None:
        """The HLS S3 upload finished: ``HlsUploaded`` (the room may already be gone)."""
        self._call(lambda: self._node().hls_upload_result(room_id, ok=True))

    def hls_upload_crashed(self, room_id: str) -> None:
        """The HLS S3 upload failed: ``HlsUploadCrashed``."""
        self._call(lambda: self._node().hls_upload_result(room_id, ok=False))

    def hls_directory(self, room_id: str) -> Path | None:
        """Where the room's live hls component writes (and ``GET /hls`` reads), or None."""
        directory = self._call(lambda: self._node().hls_output_dir(room_id))
        return None if directory is None else Path(directory)

    def verify_peer_token(self, token: str) -> tuple[str, str]:
        """``(room_id, peer_id)`` of a peer token; ``ValueError(reason)`` if it is invalid."""
        try:
            return self._call(lambda: self._node().signer.verify(token))
        except TokenError as error:
            raise ValueError(error.reason) from None

    def room_ids(self) -> list[str]:
        """The ids of the rooms on this node."""
        return self._call(lambda: list(self._node().rooms))


class _Runtime(AbstractContextManager["_Runtime"]):
    """The event-loop thread (asyncio, via an anyio blocking portal) hosting the nodes."""

    def __init__(self, nodes: list[EmulatorNode], owned_dir: str | None) -> None:
        self.nodes = nodes
        self.hub = Hub()
        self._portal_cm: AbstractContextManager[anyio.from_thread.BlockingPortal] | None = None
        self._futures: list[Future[None]] = []
        self._owned_dir = owned_dir

    def create_room(self, receiving: NodeCore, config: RoomConfig) -> tuple[Room, str]:
        """§2.3 placement: fewest forwarded tracks, then fewest rooms; receiving node first."""
        cores = [n._core for n in self.nodes if n._core is not None]
        candidates = [receiving] + [c for c in cores if c is not receiving]
        chosen = min(candidates, key=lambda core: core.load()) if len(candidates) > 1 else receiving
        room = chosen.create_room(config)
        return room, chosen.settings.address

    def start(self) -> None:
        cluster = len(self.nodes) > 1
        self._portal_cm = anyio.from_thread.start_blocking_portal("asyncio")
        portal = self._portal_cm.__enter__()
        try:
            for node in self.nodes:
                node._portal = portal
                node._cluster_size = len(self.nodes) if cluster else 0
                future, _ = portal.start_task(node._run, self.hub, self.create_room)
                self._futures.append(future)
        except BaseException:
            self.stop()
            raise

    def stop(self) -> None:
        if self._portal_cm is None:
            return
        for node in self.nodes:
            if node._portal is not None:
                with suppress(RuntimeError):
                    node._portal.call(node._request_stop)
        for future in self._futures:
            try:
                future.result(timeout=10)
            except Exception:
                logger.exception("Emulator node stopped with an error")
        self._futures.clear()
        for node in self.nodes:
            node._portal = None
        portal_cm, self._portal_cm = self._portal_cm, None
        portal_cm.__exit__(None, None, None)

    def close(self) -> None:
        self.stop()
        if self._owned_dir is not None:
            shutil.rmtree(self._owned_dir, ignore_errors=True)
            self._owned_dir = None

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        self.close()


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

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        self.stop()

    async def __aenter__(self: Started) -> Started:
        return await anyio.to_thread.run_sync(self.start)

    async def __aexit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        await anyio.to_thread.run_sync(self.stop)


class JellyfishServer(EmulatorNode, _StartStop):
    """An in-process Jellyfish v0.5.0 control plane, for tests and local development.

    REST, server and peer WebSockets, notifications, webhooks, timers and metrics.

    Use it as a context manager, blocking (``with``) or async (``async with``, on asyncio or
    trio); it runs in its own thread with its own event loop. ``port=0`` picks a free port.

    Args:
        token: the server API token (``JF_SERVER_API_TOKEN``).
        host: the IP to listen on (``JF_IP``).
        port: the port to listen on (``JF_PORT``); 0 picks a free one.
        external_address: ``JF_HOST``: the ``host:port`` reported as ``jellyfish_address``
            and in ``peer_websocket_url`` (default ``"<host>:<port>"``).
        resources_dir: ``JF_RESOURCES_BASE_PATH``; a temporary directory (removed on
            :meth:`stop`) by default.
        heartbeat_interval: seconds between WebSocket pings (30 in Jellyfish).
        metrics_interval: seconds between MetricsReports (1 in Jellyfish).
        webhook_format: ``"protobuf"`` (v0.5: raw ``ServerMessage``, ``application/x-protobuf``)
            or ``"json"`` (v0.3: ``{"notification": "<bytes>"}``).
        webhook_timeout: seconds before a webhook request is abandoned (no retry).
        webrtc_enabled: ``JF_WEBRTC_USED``; when False, adding a peer crashes the room.
        sip_enabled: ``JF_SIP_USED``, off by default as in Jellyfish; when False, adding a
            sip component crashes the room.
        recording_enabled: ``JF_RECORDING_USED``; when False, adding a recording component
            crashes the room.
        s3_credentials: ``JF_S3_*`` as ``{"accessKeyId", "secretAccessKey", "region",
            "bucket"}``.
        s3_path_prefix: ``JF_S3_PATH_PREFIX``.
        secret_key_base: ``JF_SECRET_KEY_BASE`` (peer-token key); random per boot by default,
            so tokens die with a :meth:`restart` unless it is set.
        peer_token_max_age: seconds a peer token stays valid (86 400 in Jellyfish).
        git_commit: ``JF_GIT_COMMIT`` as reported by ``/health``.
        fractional_timeouts: accept positive fractional seconds for ``peerlessPurgeTimeout``
            and ``peerDisconnectedTimeout`` (e.g. ``0.2``) so timer tests run fast. Off by
            default: like Jellyfish, only positive integers are accepted (``10.0`` is a 400).
        webhook_loopback_only: send webhooks only to loopback URLs (``127.0.0.0/8``,
            ``::1``, ``localhost``); others are dropped with a warning and counted in
            ``webhooks.failed``, without a DNS lookup. Keeps test runs off the network
            whatever webhook URLs they create rooms with (the pytest plugin turns it on).
    """

    def __init__(
        self,
        token: str = "development",
        host: str = "127.0.0.1",
        port: int = 0,
        *,
        external_address: str | None = None,
        resources_dir: str | os.PathLike[str] | None = None,
        heartbeat_interval: float = 30.0,
        metrics_interval: float = 1.0,
        webhook_format: WebhookFormat = "protobuf",
        webhook_timeout: float = 5.0,
        webrtc_enabled: bool = True,
        sip_enabled: bool = False,
        recording_enabled: bool = True,
        s3_credentials: Mapping[str, str] | None = None,
        s3_path_prefix: str | None = None,
        secret_key_base: str | bytes | None = None,
        peer_token_max_age: float = DEFAULT_MAX_AGE,
        git_commit: str = "dev",
        fractional_timeouts: bool = False,
        webhook_loopback_only: bool = False,
    ) -> None:
        self._owns_dir = resources_dir is None
        # an owned temporary directory is created on first use (start or resources_dir)
        directory = "" if resources_dir is None else os.path.abspath(os.fspath(resources_dir))
        super().__init__(
            token=token,
            host=host,
            port=port,
            external_address=external_address,
            resources_dir=directory,
            heartbeat_interval=heartbeat_interval,
            metrics_interval=metrics_interval,
            webhook_format=webhook_format,
            webhook_timeout=webhook_timeout,
            webrtc_enabled=webrtc_enabled,
            sip_enabled=sip_enabled,
            recording_enabled=recording_enabled,
            s3_credentials=s3_credentials,
            s3_path_prefix=s3_path_prefix,
            secret_key_base=secret_key_base,
            peer_token_max_age=peer_token_max_age,
            git_commit=git_commit,
            fractional_timeouts=fractional_timeouts,
            webhook_loopback_only=webhook_loopback_only,
        )
        self._runtime: _Runtime | None = None

    def _remove_owned_dir(self) -> None:
        if self._owns_dir and self._resources_dir:
            shutil.rmtree(self._resources_dir, ignore_errors=True)
            self._resources_dir = ""

    @property
    def running(self) -> bool:
        """True between :meth:`start` and :meth:`stop`."""
        return self._runtime is not None

    def start(self) -> JellyfishServer:
        """Start listening (blocking until the server accepts connections)."""
        if self._runtime is not None:
            raise RuntimeError("the emulator is already running")
        runtime = _Runtime([self], None)
        try:
            runtime.start()
        except BaseException:
            self._remove_owned_dir()
            raise
        self._runtime = runtime
        return self

    def stop(self) -> None:
        """Stop: drop every connection, cancel timers and webhooks, join the thread."""
        runtime, self._runtime = self._runtime, None
        if runtime is not None:
            runtime.close()
        self._remove_owned_dir()

    def restart(self) -> None:
        """Stop and start again on the same port, like a real restart.

        State (rooms, peers, subscriptions, webhook registrations, the token key unless
        ``secret_key_base`` is set) is lost and every socket is dropped. Files in
        ``resources_dir`` survive.
        """
        runtime, self._runtime = self._runtime, None
        if runtime is not None:
            runtime.stop()
        runtime = _Runtime([self], None)
        runtime.start()
        self._runtime = runtime

    def drop_server_websockets(self) -> int:
        """Abruptly kill every server-WebSocket connection (no close frame).

        This is what a network drop looks like to clients; the server keeps running.
        Returns how many connections were dropped.
        """
        return self._call(lambda: self._abort_connections(SERVER_WS_PATH))


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
        self._owned_dir = tempfile.mkdtemp(prefix="jellyfish-cluster-")
        base = options.pop("resources_dir", None)
        self.nodes: list[EmulatorNode] = []
        for index in range(nodes):
            directory = os.path.join(
                os.fspath(base) if base else self._owned_dir, f"node{index + 1}"
            )
            server = JellyfishServer(token, host, 0, resources_dir=directory, **options)
            self.nodes.append(server)
        self._runtime: _Runtime | None = None

    @property
    def token(self) -> str:
        """The server API token shared by all nodes."""
        return self.nodes[0].token

    def start(self) -> JellyfishCluster:
        """Start every node."""
        if self._runtime is not None:
            raise RuntimeError("the cluster is already running")
        runtime = _Runtime(self.nodes, self._owned_dir)
        runtime.start()
        self._runtime = runtime
        return self

    def stop(self) -> None:
        """Stop every node and remove the temporary resources."""
        runtime, self._runtime = self._runtime, None
        if runtime is not None:
            runtime.close()
        shutil.rmtree(self._owned_dir, ignore_errors=True)
