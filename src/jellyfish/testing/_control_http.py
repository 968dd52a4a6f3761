"""The control API over HTTP, for an emulator in another process (``/_emulator/v1``).

* ``GET /_emulator/v1``: ``{"data": info}``: the node (address, boot id, clock, resources
  directory, metrics URL) and the schema of every operation.
* ``POST /_emulator/v1/<operation>`` with a JSON object of parameters (an empty or absent
  body is ``{}``): ``200 {"data": <result>}``, or ``{"errors": {"type": ..., "message":
  ...}}`` with 400 (``ValueError``: bad parameters or values), 404 (unknown operation),
  409 (``ControlError``: no such room, peer, component or track), 422 (``RuntimeError``:
  not possible with this configuration), 504 (``TimeoutError``).
* Both need ``Authorization: Bearer <server API token>`` (401 otherwise).

``restart`` answers ``202`` at once and restarts the node in the background; a client knows
the restart is done when the ``boot`` of ``GET /_emulator/v1`` has changed.
"""

from __future__ import annotations

import logging
import threading
from collections.abc import Callable

import anyio.to_thread
from starlette.requests import Request
from starlette.responses import Response

from jellyfish.testing._http import json_response
from jellyfish.testing._json import decode_json
from jellyfish.testing._operations import CONTROL_PREFIX, OPERATIONS, ControlTarget, error_type

logger = logging.getLogger("jellyfish.testing")

_ERROR_STATUS = {
    "ValueError": 400,
    "ControlError": 409,
    "RuntimeError": 422,
    "TimeoutError": 504,
}
#: Control requests are small; a larger body is refused.
MAX_CONTROL_BODY = 1_000_000


def _error(status: int, kind: str, message: str) -> Response:
    return json_response(status, {"errors": {"type": kind, "message": message}})


class ControlHttp:
    """``/_emulator/v1`` of one node."""

    def __init__(
        self, target: ControlTarget, token: str, restart_in_background: Callable[[], None]
    ) -> None:
        self._target = target
        self._token = token
        self._restart_in_background = restart_in_background

    async def respond(self, request: Request) -> Response:
        """The control API's answer to ``request``."""
        values = request.headers.getlist("authorization")
        if values != [f"Bearer {self._token}"]:
            return _error(401, "Unauthorized", "a valid 'Authorization: Bearer <token>' is needed")
        name = request.url.path[len(CONTROL_PREFIX) :].strip("/")
        if not name:
            if request.method != "GET":
                return _error(405, "MethodNotAllowed", "GET the info, POST an operation")
            return json_response(200, {"data": self._target.info()})
        operation = OPERATIONS.get(name)
        if operation is None or "/" in name:
            return _error(404, "NotFound", f"no control operation {name!r}")
        if request.method != "POST":
            return _error(405, "MethodNotAllowed", f"{name} takes POST")
        body = await request.body()
        if len(body) > MAX_CONTROL_BODY:
            return _error(413, "ValueError", "the request body is too large")
        try:
            params = decode_json(body) if body.strip() else {}
        except ValueError:
            return _error(400, "ValueError", "the body is not JSON")
        if not isinstance(params, dict):
            return _error(400, "ValueError", "the body must be a JSON object of parameters")
        try:
            arguments = operation.bind(params)
            if name == "restart":
                self._restart_in_background()
                return json_response(202, {"data": None})
            if operation.where == "loop":
                result = operation.function(self._target, **arguments)
            else:
                result = await anyio.to_thread.run_sync(
                    lambda: operation.function(self._target, **arguments)
                )
        except Exception as error:
            kind = error_type(error)
            if kind is None:
                logger.exception("Control operation %s failed", name)
                return _error(500, "InternalError", repr(error))
            return _error(_ERROR_STATUS[kind], kind, str(error))
        return json_response(200, {"data": result})


def restart_thread(restart: Callable[[], None]) -> Callable[[], None]:
    """``restart`` run in a thread of its own (it stops the loop that answers the request)."""

    def start() -> None:
        threading.Thread(target=_log_failure(restart), name="emulator restart", daemon=True).start()

    return start


def _log_failure(function: Callable[[], None]) -> Callable[[], None]:
    def run() -> None:
        try:
            function()
        except Exception:
            logger.exception("Restarting the emulator failed")

    return run
