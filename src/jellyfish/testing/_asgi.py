"""The ASGI layer: REST routing, auth, envelopes (§1, §2) and the two WebSockets (§5, §6).

It only translates between HTTP/WebSocket and :class:`~jellyfish.testing._core.NodeCore`.
"""

from __future__ import annotations

import logging
import math
import mimetypes
import os
import shutil
import time
from collections.abc import Callable
from typing import Any
from urllib.parse import parse_qsl, unquote

import anyio
from google.protobuf.message import DecodeError
from starlette.middleware.cors import CORSMiddleware
from starlette.requests import Request
from starlette.responses import Response
from starlette.types import ASGIApp, Receive, Scope, Send
from starlette.websockets import WebSocket

from jellyfish.events._protos.jellyfish.peer_notifications_pb2 import PeerMessage
from jellyfish.events._protos.jellyfish.server_notifications_pb2 import ServerMessage
from jellyfish.testing._core import NodeCore, Peer, Room
from jellyfish.testing._hub import Hub
from jellyfish.testing._json import decode_json, encode_json
from jellyfish.testing._params import (
    ApiError,
    Crash,
    FrameworkError,
    Invalid,
    LimitReached,
    NotFound,
    RoomConfig,
    Unauthorized,
)
from jellyfish.testing._tokens import TokenError

logger = logging.getLogger("jellyfish.testing")

MAX_BODY = 8_000_000  # Plug.Parsers default :length
#: Unsent frames a server-WebSocket client may have queued before the emulator drops it.
#: Jellyfish itself has no bound (the socket process's mailbox grows); see docs/testing.md.
MAX_QUEUED_BYTES = 16 * 1024 * 1024
VERSION = "0.5.0"
SERVER_WS_PATH = "/socket/server/websocket"
PEER_WS_PATH = "/socket/peer/websocket"
_JSON_HEADERS = {
    "content-type": "application/json; charset=utf-8",
    "cache-control": "max-age=0, private, must-revalidate",
}
_M3U8 = "application/vnd.apple.mpegurl"
# How often a held LL-HLS playlist request looks at the playlist file again.
_BLOCKING_PLAYLIST_POLL_SECONDS = 0.02

#: The HTTP status of each kind of controller error.
_STATUS: dict[type[ApiError], int] = {
    Invalid: 400,
    Unauthorized: 401,
    NotFound: 404,
    LimitReached: 503,
}

CreateRoom = Callable[[NodeCore, RoomConfig], tuple[Room, str]]


def json_response(status: int, body: Any) -> Response:
    """A JSON response the way Phoenix renders it."""
    return Response(encode_json(body), status_code=status, headers=_JSON_HEADERS)


def _framework(status: int, detail: str) -> Response:
    return json_response(status, {"errors": {"detail": detail}})


def _accepts_json(accept: str | None) -> bool:
    if accept is None or not accept.strip():
        return True
    for part in accept.split(","):
        media = part.split(";")[0].strip().lower()
        if media in ("*/*", "application/*", "application/json", "*") or media.endswith("+json"):
            return True
    return False


def decode_plug_params(pairs: list[tuple[str, str]]) -> dict[str, Any]:
    """Query/form pairs the way Plug decodes them: ``a[b]=1`` nests, ``a[]=1`` appends."""
    params: dict[str, Any] = {}
    for key, value in pairs:
        head, bracket, rest = key.partition("[")
        parts = [head] + ([p for p in rest.rstrip("]").split("][")] if bracket else [])
        target: Any = params
        for index, part in enumerate(parts):
            last = index == len(parts) - 1
            following = None if last else parts[index + 1]
            if isinstance(target, list):
                if last:
                    target.append(value)
                else:
                    target.append({} if following else [])
                    target = target[-1]
                continue
            if not isinstance(target, dict):
                break  # a key that is both a value and a map: Plug keeps the first
            if last:
                target[part] = value
            else:
                child = target.get(part)
                if not isinstance(child, dict | list):
                    child = [] if following == "" else {}
                    target[part] = child
                target = child
    return params


def _inside(base: str, name: str) -> str | None:
    """``base/name`` if it resolves strictly inside ``base``; None otherwise."""
    real_base = os.path.realpath(base)
    resolved = os.path.realpath(os.path.join(real_base, name))
    return resolved if resolved.startswith(real_base + os.sep) else None


class NodeApp:
    """The ASGI application of one node."""

    def __init__(
        self,
        core: NodeCore,
        hub: Hub,
        create_room: CreateRoom,
        health: Callable[[], dict[str, Any]],
        start_heartbeat: Callable[[Scope], None] = lambda scope: None,
        drop_connection: Callable[[Scope], None] = lambda scope: None,
    ) -> None:
        self.core = core
        self.hub = hub
        self.start_heartbeat = start_heartbeat
        self.drop_connection = drop_connection
        self._create_room = create_room
        self._health = health
        self._http: ASGIApp = CORSMiddleware(
            self._handle_http, allow_origins=["*"], allow_methods=["*"], allow_headers=["*"]
        )

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] == "http":
            await self._http(scope, receive, send)
        elif scope["type"] == "websocket":
            websocket = WebSocket(scope, receive, send)
            if scope["path"] == SERVER_WS_PATH:
                await _ServerSocket(
                    websocket, self.core, self.hub, self.start_heartbeat, self.drop_connection
                ).run()
            elif scope["path"] == PEER_WS_PATH:
                await _PeerSocket(
                    websocket, self.core, self.start_heartbeat, self.drop_connection
                ).run()
            else:
                await websocket.close(1008)

    # --- HTTP ----------------------------------------------------------------------------

    async def _handle_http(self, scope: Scope, receive: Receive, send: Send) -> None:
        request = Request(scope, receive)
        try:
            response = await self._dispatch(request)
        except ApiError as error:
            response = json_response(_STATUS[type(error)], {"errors": error.message})
        except FrameworkError as error:
            response = _framework(error.status, error.detail)
            if error.status == 413:
                # The rest of the body is still on the wire: never parse it as a new request.
                response.headers["connection"] = "close"
        except Crash as error:
            logger.error("Request crashed: %s", error)
            response = _framework(500, "Internal Server Error")
        except Exception:
            logger.exception("Unexpected error handling %s %s", request.method, request.url.path)
            response = _framework(500, "Internal Server Error")
        await response(scope, receive, send)

    async def _dispatch(self, request: Request) -> Response:
        raw = request.scope.get("raw_path") or request.scope["path"].encode()
        segments = [unquote(s) for s in raw.decode("latin-1").split("?")[0].split("/") if s]
        method = "GET" if request.method == "HEAD" else request.method
        # Routes that need no auth.
        if method == "GET" and len(segments) == 3 and segments[0] == "hls":
            return await self._hls_content(request, segments[1], segments[2])
        if method == "GET" and len(segments) == 3 and segments[0] == "recording":
            return self._recording_content(segments[1], segments[2])
        route = self._route(method, segments)
        if route is None:
            raise FrameworkError(404, "Not Found")
        if not _accepts_json(request.headers.get("accept")):
            raise FrameworkError(406, "Not Acceptable")
        self._authenticate(request)
        params: dict[str, Any] = {}
        if method in ("POST", "PUT", "PATCH", "DELETE"):
            params = await self._params(request)
        return route(params)

    def _authenticate(self, request: Request) -> None:
        values = request.headers.getlist("authorization")
        if len(values) != 1 or not values[0].startswith("Bearer "):
            raise Unauthorized("Missing token")
        if values[0][len("Bearer ") :] != self.core.settings.token:
            raise Unauthorized("Invalid token")

    async def _params(self, request: Request) -> dict[str, Any]:
        params = decode_plug_params(parse_qsl(request.url.query, keep_blank_values=True))
        body = bytearray()
        async for chunk in request.stream():
            body.extend(chunk)
            if len(body) > MAX_BODY:
                raise FrameworkError(413, "Request Entity Too Large")
        content_type = request.headers.get("content-type", "").split(";")[0].strip().lower()
        if content_type == "application/json" or (
            content_type.startswith("application/") and content_type.endswith("+json")
        ):
            if body.strip():
                try:
                    decoded = decode_json(bytes(body))
                except ValueError:
                    raise FrameworkError(400, "Bad Request") from None
                params.update(decoded if isinstance(decoded, dict) else {"_json": decoded})
        elif content_type == "application/x-www-form-urlencoded":
            try:
                form = parse_qsl(body.decode("utf-8"), keep_blank_values=True)
                params.update(decode_plug_params(form))
            except UnicodeDecodeError:
                raise FrameworkError(400, "Bad Request") from None
        return params

    def _route(self, method: str, s: list[str]) -> Callable[[dict[str, Any]], Response] | None:
        n = len(s)
        core = self.core
        if n == 1 and s[0] == "health" and method == "GET":
            return lambda p: json_response(200, {"data": self._health()})
        if n >= 1 and s[0] == "room":
            if n == 1 and method == "GET":
                return lambda p: json_response(
                    200, {"data": [r.to_json() for r in core.rooms.values()]}
                )
            if n == 1 and method == "POST":
                return self._post_room
            if n == 2 and method == "GET":
                return lambda p: json_response(200, {"data": core.get_room(s[1]).to_json()})
            if n == 2 and method == "DELETE":
                return lambda p: self._no_content(core.delete_room, s[1])
            if n == 3 and s[2] == "peer" and method == "POST":
                return lambda p: self._post_peer(s[1], p)
            if n == 4 and s[2] == "peer" and method == "DELETE":
                return lambda p: self._no_content(core.delete_peer, s[1], s[3])
            if n == 3 and s[2] == "component" and method == "POST":
                return lambda p: json_response(201, {"data": core.add_component(s[1], p).to_json()})
            if n == 4 and s[2] == "component" and method == "DELETE":
                return lambda p: self._no_content(core.delete_component, s[1], s[3])
            if n == 5 and s[2] == "component" and s[4] == "subscribe" and method == "POST":
                return lambda p: self._subscribe(s[1], s[3], p)
        if n == 4 and s[0] == "sip" and s[3] == "call":
            if method == "POST":
                return lambda p: self._dial(s[1], s[2], p)
            if method == "DELETE":
                return lambda p: self._end_call(s[1], s[2])
        if n == 1 and s[0] == "recording" and method == "GET":
            return lambda p: self._list_recordings()
        if n == 2 and s[0] == "recording" and method == "DELETE":
            return lambda p: self._delete_recording(s[1])
        return None

    @staticmethod
    def _no_content(action: Callable[..., None], *args: str) -> Response:
        action(*args)
        return Response(status_code=204)

    def _post_room(self, params: dict[str, Any]) -> Response:
        config = self.core.validate_room(params)
        room, address = self._create_room(self.core, config)
        return json_response(201, {"data": {"room": room.to_json(), "jellyfish_address": address}})

    def _post_peer(self, room_id: str, params: dict[str, Any]) -> Response:
        _, peer, token = self.core.add_peer(room_id, params)
        url = f"{self.core.settings.address}{PEER_WS_PATH}"
        data = {"peer": peer.to_json(), "token": token, "peer_websocket_url": url}
        return json_response(201, {"data": data})

    def _subscribe(self, room_id: str, component_id: str, params: dict[str, Any]) -> Response:
        self.core.subscribe(room_id, component_id, params)
        return Response(b"Successfully subscribed for tracks", status_code=201)

    def _dial(self, room_id: str, component_id: str, params: dict[str, Any]) -> Response:
        if "phoneNumber" not in params:
            raise Invalid("Invalid request body structure")
        self.core.sip_component(room_id, component_id, dial=True)
        number = params["phoneNumber"]
        text = number if isinstance(number, str) else encode_json(number)
        return Response(f"Successfully schedule calling phone_number: {text}", status_code=201)

    def _end_call(self, room_id: str, component_id: str) -> Response:
        self.core.sip_component(room_id, component_id, dial=False)
        return Response(status_code=204)

    def _list_recordings(self) -> Response:
        base = self.core.recordings_dir
        if not os.path.exists(base):
            return json_response(200, {"data": []})
        try:
            names = sorted(os.listdir(base))
        except OSError:
            raise NotFound("Unable to obtain recordings") from None
        ids = [
            name
            for name in names
            if os.path.isdir(os.path.join(base, name)) and not self.core.is_live_recording(name)
        ]
        return json_response(200, {"data": ids})

    def _delete_recording(self, recording_id: str) -> Response:
        path = _inside(self.core.recordings_dir, recording_id)
        if path is None:
            raise Invalid(f"Invalid recording id, got: {recording_id}")
        if not os.path.isdir(path) or self.core.is_live_recording(recording_id):
            raise NotFound("Recording not found")
        shutil.rmtree(path, ignore_errors=True)
        return Response(status_code=204)

    @staticmethod
    def _file(path: str) -> Response:
        with open(path, "rb") as handle:
            content = handle.read()
        if path.endswith(".m3u8"):
            media_type = _M3U8
        else:
            media_type = mimetypes.guess_type(path)[0] or "application/octet-stream"
        return Response(content, status_code=200, headers={"content-type": media_type})

    def _recording_content(self, recording_id: str, filename: str) -> Response:
        directory = _inside(self.core.recordings_dir, recording_id)
        if directory is None:
            raise Invalid(f"Invalid recording, got: {recording_id}")
        if not os.path.isdir(directory) or self.core.is_live_recording(recording_id):
            raise NotFound("File not found")
        path = _inside(directory, filename)
        if path is None:
            raise Invalid(f"Invalid filename, got: {filename}")
        if not os.path.isfile(path):
            raise NotFound("File not found")
        return self._file(path)

    async def _hls_content(self, request: Request, room_id: str, filename: str) -> Response:
        query = request.query_params
        if "_HLS_skip" in query and filename.endswith(".m3u8"):
            filename = filename[: -len(".m3u8")] + "_delta.m3u8"
        if "_HLS_msn" in query and "_HLS_part" in query:
            try:
                msn, part = int(query["_HLS_msn"]), int(query["_HLS_part"])
            except ValueError:
                raise Crash("_HLS_msn/_HLS_part are not integers") from None
            return await self._blocking_playlist(room_id, filename, msn, part)
        return self._hls_file(room_id, filename)

    def _hls_file(self, room_id: str, filename: str) -> Response:
        directory = self.core.hls_output_dir(room_id)
        if directory is None:
            raise NotFound("File not found")
        if filename.endswith("_part.m4s"):
            part = self.core.media.hls_part(room_id, filename)
            if part is not None:  # LL-HLS partial segments live in memory (ETS in Jellyfish)
                return Response(
                    part, status_code=200, headers={"content-type": "video/iso.segment"}
                )
        path = _inside(directory, filename)
        if path is None:
            raise Invalid(f"Invalid filename, got {filename}")
        if not os.path.isfile(path):
            raise NotFound("File not found")
        return self._file(path)

    async def _blocking_playlist(
        self, room_id: str, filename: str, msn: int, part: int
    ) -> Response:
        """Answer an LL-HLS blocking playlist request (§2.13) once it can be answered.

        The request is held, without a timeout, until the playlist lists part ``part`` of
        segment ``msn``; any error, or an hls component without ``lowLatency``, is 404
        ``File not found``. The real server watches its
        in-memory playlist; the emulator watches the playlist file in the room's HLS
        directory, which tests (or the control API) write.
        """
        while True:
            directory = self.core.hls_output_dir(room_id)
            path = None if directory is None else _inside(directory, filename)
            if path is None or not self.core.hls_low_latency(room_id):
                # Without LL-HLS there is no in-memory manifest (ETS table) to wait on.
                raise NotFound("File not found")
            try:
                playlist = await anyio.Path(path).read_text(encoding="utf-8")
            except (OSError, UnicodeDecodeError):
                playlist = ""
            if playlist_has_part(playlist, msn, part):
                return Response(playlist, status_code=200, headers={"content-type": _M3U8})
            await anyio.sleep(_BLOCKING_PLAYLIST_POLL_SECONDS)


def playlist_has_part(playlist: str, msn: int, part: int) -> bool:
    """Whether an LL-HLS media playlist lists part ``part`` of media segment ``msn``.

    A complete segment (its ``#EXTINF`` has been written) has all its parts; the segment
    being written has the ``#EXT-X-PART`` tags listed after the previous segment.
    """
    sequence = 0
    complete_segments = 0
    open_segment_parts = 0
    for raw_line in playlist.splitlines():
        line = raw_line.strip()
        if line.startswith("#EXT-X-MEDIA-SEQUENCE:"):
            try:
                sequence = int(line.partition(":")[2])
            except ValueError:
                return False
        elif line.startswith("#EXT-X-PART:"):
            open_segment_parts += 1
        elif line.startswith("#EXTINF:"):
            complete_segments += 1
            open_segment_parts = 0
    open_msn = sequence + complete_segments
    return msn < open_msn or (msn == open_msn and part < open_segment_parts)


# --- WebSockets ----------------------------------------------------------------------------


class _Connection:
    """A WebSocket with an outgoing queue drained by one sender task.

    The queue holds at most :data:`MAX_QUEUED_BYTES`; a client that falls further behind is
    dropped (no close frame: the queue is full), as a broken network would drop it.
    """

    def __init__(
        self,
        websocket: WebSocket,
        start_heartbeat: Callable[[Scope], None],
        drop_connection: Callable[[Scope], None],
    ) -> None:
        self.websocket = websocket
        self.start_heartbeat = start_heartbeat
        self.drop_connection = drop_connection
        self.closing = False
        self.queued_bytes = 0
        self._out, self._in = anyio.create_memory_object_stream[bytes | tuple[int, str]](math.inf)

    def send_bytes(self, data: bytes) -> None:
        if self.closing:
            return
        if self.queued_bytes + len(data) > MAX_QUEUED_BYTES:
            logger.warning(
                "WebSocket client is not reading (%d bytes unsent); dropping the connection",
                self.queued_bytes,
            )
            self.closing = True
            self.drop_connection(self.websocket.scope)
            return
        self.queued_bytes += len(data)
        self._out.send_nowait(data)

    def close(self, code: int, reason: str) -> None:
        if not self.closing:
            self.closing = True
            self._out.send_nowait((code, reason))

    async def _sender(self) -> None:
        try:
            async for item in self._in:
                if isinstance(item, bytes):
                    await self.websocket.send_bytes(item)
                    self.queued_bytes -= len(item)
                else:
                    await self.websocket.close(item[0], item[1])
                    return
        except Exception as error:  # the client is gone; the receiver sees the disconnect
            logger.debug("WebSocket send failed: %r", error)

    async def serve(self) -> None:
        await self.websocket.accept()
        try:
            async with anyio.create_task_group() as tg:
                tg.start_soon(self._sender)
                try:
                    while True:
                        message = await self.websocket.receive()
                        if message["type"] == "websocket.disconnect":
                            break
                        if not self.closing:
                            self.on_frame(message.get("bytes"), message.get("text"))
                finally:
                    tg.cancel_scope.cancel()
        finally:
            self._out.close()
            self._in.close()
            self.on_closed()

    def on_frame(self, data: bytes | None, text: str | None) -> None:
        raise NotImplementedError

    def on_closed(self) -> None:
        raise NotImplementedError


class _ServerSocket(_Connection):
    def __init__(
        self,
        websocket: WebSocket,
        core: NodeCore,
        hub: Hub,
        start_heartbeat: Callable[[Scope], None],
        drop_connection: Callable[[Scope], None],
    ) -> None:
        super().__init__(websocket, start_heartbeat, drop_connection)
        self.core = core
        self.hub = hub
        self.authenticated = False

    async def run(self) -> None:
        logger.info("New incoming server WebSocket connection, accepting")
        await self.serve()

    def on_frame(self, data: bytes | None, text: str | None) -> None:
        if data is None:
            self.close(1003, "operation not allowed")
            return
        try:
            message = ServerMessage.FromString(data)
        except DecodeError:
            logger.error("Server WS received a frame that is not a ServerMessage")
            self.close(1011, "")
            return
        kind = message.WhichOneof("content")
        if not self.authenticated:
            if kind != "auth_request":
                logger.warning("Invalid auth request over server WS")
                self.close(1000, "invalid auth request")
            elif message.auth_request.token != self.core.settings.token:
                logger.warning("Invalid token over server WS")
                self.close(1000, "invalid token")
            else:
                self.authenticated = True
                self.send_bytes(
                    ServerMessage(authenticated=ServerMessage.Authenticated()).SerializeToString()
                )
                self.start_heartbeat(self.websocket.scope)  # Jellyfish pings only after auth
                logger.info("Server WS authenticated.")
            return
        if kind == "subscribe_request":
            event_type = message.subscribe_request.event_type
            if event_type not in (1, 2):
                logger.error("Server WS subscribed to an unknown event type %s", event_type)
                self.close(1011, "")
                return
            response = ServerMessage.SubscribeResponse(event_type=event_type)
            self.send_bytes(ServerMessage(subscribe_response=response).SerializeToString())
            self.hub.subscribe(self, event_type)
            return
        logger.warning("Received unexpected message over server WS: %s", kind)
        self.close(1003, "operation not allowed")

    def on_closed(self) -> None:
        self.hub.unsubscribe(self)


class _PeerSocket(_Connection):
    def __init__(
        self,
        websocket: WebSocket,
        core: NodeCore,
        start_heartbeat: Callable[[Scope], None],
        drop_connection: Callable[[Scope], None],
    ) -> None:
        super().__init__(websocket, start_heartbeat, drop_connection)
        self.core = core
        self.room: Room | None = None
        self.peer: Peer | None = None

    async def run(self) -> None:
        await self.serve()

    def send_media_event(self, data: str) -> None:
        message = PeerMessage(media_event=PeerMessage.MediaEvent(data=data))
        self.send_bytes(message.SerializeToString())

    def on_frame(self, data: bytes | None, text: str | None) -> None:
        if self.room is None or self.peer is None:
            if data is None:
                logger.error("Peer WS received a text frame before authenticating")
                self.close(1011, "")
                return
            try:
                message = PeerMessage.FromString(data)
            except DecodeError:
                logger.error("Peer WS received a frame that is not a PeerMessage")
                self.close(1011, "")
                return
            if message.WhichOneof("content") != "auth_request":
                self.close(1000, "unauthenticated")
                return
            try:
                self.room, self.peer = self.core.authenticate_peer(message.auth_request.token, self)
            except TokenError as error:
                logger.warning("Peer WS authentication failed: %s", error.reason)
                self.close(1000, error.reason)
                return
            self.send_bytes(
                PeerMessage(authenticated=PeerMessage.Authenticated()).SerializeToString()
            )
            self.start_heartbeat(self.websocket.scope)  # Jellyfish pings only after auth
            return
        if data is None:
            return  # text frames are ignored after auth
        try:
            message = PeerMessage.FromString(data)
        except DecodeError:
            return
        if message.WhichOneof("content") == "media_event":
            self.core.media_event(self.room, self.peer, self, message.media_event.data)

    def on_closed(self) -> None:
        if self.room is not None and self.peer is not None:
            self.core.peer_socket_closed(self.room, self.peer, self)


def health_payload(
    started: float, git_commit: str, enabled: bool, node_status: str, nodes: int
) -> dict[str, Any]:
    """The ``data`` of ``GET /health``."""
    return {
        "status": "UP",
        "uptime": int(time.monotonic() - started),
        "distribution": {"enabled": enabled, "nodeStatus": node_status, "nodesInCluster": nodes},
        "version": VERSION,
        "gitCommit": git_commit,
    }
