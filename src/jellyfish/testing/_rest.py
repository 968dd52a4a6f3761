"""The REST API of one node: routing, auth, parameters and envelopes (§1, §2).

It only translates between HTTP and the node facade
(:class:`~jellyfish.testing._core.NodeCore`); WebSockets live in ``_server_socket`` and
``_peer_socket``, the ASGI entry point in ``_app``.
"""

from __future__ import annotations

import logging
import mimetypes
import os
import shutil
import time
from collections.abc import Callable
from typing import Any
from urllib.parse import parse_qsl, unquote

import anyio
from starlette.requests import Request
from starlette.responses import Response

from jellyfish.testing._core import NodeCore
from jellyfish.testing._http import (
    PEER_WS_PATH,
    VERSION,
    decode_plug_params,
    framework_error,
    json_response,
    path_inside,
)
from jellyfish.testing._json import decode_json, encode_json
from jellyfish.testing._model import Room
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

logger = logging.getLogger("jellyfish.testing")

MAX_BODY = 8_000_000  # Plug.Parsers default :length
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

#: Places a new room (on this node, or another node of a cluster): ``(room, its address)``.
CreateRoom = Callable[[NodeCore, RoomConfig], tuple[Room, str]]


def _accepts_json(accept: str | None) -> bool:
    if accept is None or not accept.strip():
        return True
    for part in accept.split(","):
        media = part.split(";")[0].strip().lower()
        if media in ("*/*", "application/*", "application/json", "*") or media.endswith("+json"):
            return True
    return False


class RestApi:
    """The REST routes of one node (an ASGI-like handler: request in, response out)."""

    def __init__(
        self,
        core: NodeCore,
        create_room: CreateRoom,
        health: Callable[[], dict[str, Any]],
    ) -> None:
        self.core = core
        self._create_room = create_room
        self._health = health

    async def respond(self, request: Request) -> Response:
        """The response to ``request``: a route's answer or the error the server would give."""
        try:
            return await self._dispatch(request)
        except ApiError as error:
            return json_response(_STATUS[type(error)], {"errors": error.message})
        except FrameworkError as error:
            response = framework_error(error.status, error.detail)
            if error.status == 413:
                # The rest of the body is still on the wire: never parse it as a new request.
                response.headers["connection"] = "close"
            return response
        except Crash as error:
            logger.error("Request crashed: %s", error)
            return framework_error(500, "Internal Server Error")
        except Exception:
            logger.exception("Unexpected error handling %s %s", request.method, request.url.path)
            return framework_error(500, "Internal Server Error")

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
                    200, {"data": [r.to_json() for r in core.room_list()]}
                )
            if n == 1 and method == "POST":
                return self._post_room
            if n == 2 and method == "GET":
                return lambda p: json_response(200, {"data": core.context.room(s[1]).to_json()})
            if n == 2 and method == "DELETE":
                return lambda p: self._no_content(core.rooms.delete, s[1])
            if n == 3 and s[2] == "peer" and method == "POST":
                return lambda p: self._post_peer(s[1], p)
            if n == 4 and s[2] == "peer" and method == "DELETE":
                return lambda p: self._no_content(core.peers.delete, s[1], s[3])
            if n == 3 and s[2] == "component" and method == "POST":
                return lambda p: json_response(
                    201, {"data": core.components.add(s[1], p).to_json()}
                )
            if n == 4 and s[2] == "component" and method == "DELETE":
                return lambda p: self._no_content(core.components.delete, s[1], s[3])
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
        config = self.core.rooms.validate(params)
        room, address = self._create_room(self.core, config)
        return json_response(201, {"data": {"room": room.to_json(), "jellyfish_address": address}})

    def _post_peer(self, room_id: str, params: dict[str, Any]) -> Response:
        _, peer, token = self.core.peers.add(room_id, params)
        url = f"{self.core.settings.address}{PEER_WS_PATH}"
        data = {"peer": peer.to_json(), "token": token, "peer_websocket_url": url}
        return json_response(201, {"data": data})

    def _subscribe(self, room_id: str, component_id: str, params: dict[str, Any]) -> Response:
        self.core.components.subscribe(room_id, component_id, params)
        return Response(b"Successfully subscribed for tracks", status_code=201)

    def _dial(self, room_id: str, component_id: str, params: dict[str, Any]) -> Response:
        if "phoneNumber" not in params:
            raise Invalid("Invalid request body structure")
        self.core.components.sip_component(room_id, component_id, dial=True)
        number = params["phoneNumber"]
        text = number if isinstance(number, str) else encode_json(number)
        return Response(f"Successfully schedule calling phone_number: {text}", status_code=201)

    def _end_call(self, room_id: str, component_id: str) -> Response:
        self.core.components.sip_component(room_id, component_id, dial=False)
        return Response(status_code=204)

    def _list_recordings(self) -> Response:
        base = self.core.settings.recordings_dir
        if not os.path.exists(base):
            return json_response(200, {"data": []})
        try:
            names = sorted(os.listdir(base))
        except OSError:
            raise NotFound("Unable to obtain recordings") from None
        ids = [
            name
            for name in names
            if os.path.isdir(os.path.join(base, name))
            and not self.core.media.is_live_recording(name)
        ]
        return json_response(200, {"data": ids})

    def _delete_recording(self, recording_id: str) -> Response:
        path = path_inside(self.core.settings.recordings_dir, recording_id)
        if path is None:
            raise Invalid(f"Invalid recording id, got: {recording_id}")
        if not os.path.isdir(path) or self.core.media.is_live_recording(recording_id):
            raise NotFound("Recording not found")
        shutil.rmtree(path, ignore_errors=True)
        return Response(status_code=204)

    def _file_inside(self, directory: str, filename: str, escape_message: str) -> Response:
        """The file ``filename`` of ``directory``: 400 if it escapes, 404 if it is missing."""
        path = path_inside(directory, filename)
        if path is None:
            raise Invalid(f"{escape_message}{filename}")
        if not os.path.isfile(path):
            raise NotFound("File not found")
        return self._file(path)

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
        directory = path_inside(self.core.settings.recordings_dir, recording_id)
        if directory is None:
            raise Invalid(f"Invalid recording, got: {recording_id}")
        if not os.path.isdir(directory) or self.core.media.is_live_recording(recording_id):
            raise NotFound("File not found")
        return self._file_inside(directory, filename, "Invalid filename, got: ")

    async def _hls_content(self, request: Request, room_id: str, filename: str) -> Response:
        query = request.query_params
        if "_HLS_skip" in query and filename.endswith(".m3u8"):
            filename = filename[: -len(".m3u8")] + "_delta.m3u8"
        if "_HLS_msn" in query and "_HLS_part" in query:
            try:
                msn, part = int(query["_HLS_msn"]), int(query["_HLS_part"])
            except ValueError:
                raise Crash("_HLS_msn/_HLS_part are not integers") from None
            return await self._blocking_playlist(request, room_id, filename, msn, part)
        return self._hls_file(room_id, filename)

    def _hls_file(self, room_id: str, filename: str) -> Response:
        directory = self.core.media.hls_output_dir(room_id)
        if directory is None:
            raise NotFound("File not found")
        if filename.endswith("_part.m4s"):
            part = self.core.media.hls_part(room_id, filename)
            if part is not None:  # LL-HLS partial segments live in memory (ETS in Jellyfish)
                return Response(
                    part, status_code=200, headers={"content-type": "video/iso.segment"}
                )
        return self._file_inside(directory, filename, "Invalid filename, got ")

    async def _blocking_playlist(
        self, request: Request, room_id: str, filename: str, msn: int, part: int
    ) -> Response:
        """Answer an LL-HLS blocking playlist request (§2.13) once it can be answered.

        The request is held, without a timeout, until the playlist lists part ``part`` of
        segment ``msn``; any error, or an hls component without ``lowLatency``, is 404
        ``File not found``. The real server watches its
        in-memory playlist; the emulator watches the playlist file in the room's HLS
        directory, which tests (or the control API) write.
        """
        while True:
            directory = self.core.media.hls_output_dir(room_id)
            path = None if directory is None else path_inside(directory, filename)
            if path is None or not self.core.media.hls_low_latency(room_id):
                # Without LL-HLS there is no in-memory manifest (ETS table) to wait on.
                raise NotFound("File not found")
            try:
                playlist = await anyio.Path(path).read_text(encoding="utf-8")
            except (OSError, UnicodeDecodeError):
                playlist = ""
            if playlist_has_part(playlist, msn, part):
                return Response(playlist, status_code=200, headers={"content-type": _M3U8})
            if await request.is_disconnected():  # the client gave up (or was reaped)
                return Response(status_code=204)
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


def health_payload(
    started: float, git_commit: str, enabled: bool, node_status: str, nodes: int
) -> dict[str, Any]:
    """The ``data`` of ``GET /health`` (§2.1)."""
    return {
        "status": "UP",
        "uptime": int(time.monotonic() - started),
        "distribution": {"enabled": enabled, "nodeStatus": node_status, "nodesInCluster": nodes},
        "version": VERSION,
        "gitCommit": git_commit,
    }
