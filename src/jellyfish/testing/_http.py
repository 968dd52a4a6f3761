"""HTTP details every route of the emulator shares: paths, JSON responses, Plug's params (§1)."""

from __future__ import annotations

import os
from typing import Any

from starlette.responses import Response

from jellyfish.testing._json import encode_json

SERVER_WS_PATH = "/socket/server/websocket"
PEER_WS_PATH = "/socket/peer/websocket"
VERSION = "0.5.0"
_JSON_HEADERS = {
    "content-type": "application/json; charset=utf-8",
    "cache-control": "max-age=0, private, must-revalidate",
}


def json_response(status: int, body: Any) -> Response:
    """A JSON response the way Phoenix renders it."""
    return Response(encode_json(body), status_code=status, headers=_JSON_HEADERS)


def framework_error(status: int, detail: str) -> Response:
    """``{"errors": {"detail": ...}}``: an error Phoenix itself renders (§1.3)."""
    return json_response(status, {"errors": {"detail": detail}})


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


def path_inside(base: str, name: str) -> str | None:
    """``base/name`` if it resolves strictly inside ``base``; None otherwise."""
    real_base = os.path.realpath(base)
    resolved = os.path.realpath(os.path.join(real_base, name))
    return resolved if resolved.startswith(real_base + os.sep) else None
