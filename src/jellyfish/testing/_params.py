"""Validation of REST parameters, with the exact messages and check order of Jellyfish v0.5.0.

Plain Python, no I/O except the file-component path checks.
"""

from __future__ import annotations

import math
import os
import re
from dataclasses import dataclass
from typing import Any


class ApiError(Exception):
    """A controller error: ``{"errors": "<message>"}``.

    Its class says which kind; the HTTP layer turns that into a status code.
    """

    def __init__(self, message: str) -> None:
        super().__init__(message)
        self.message = message


class Invalid(ApiError):
    """The request does not fit the rules (Jellyfish answers 400)."""


class NotFound(ApiError):
    """A room, peer, component, file or recording that does not exist (404)."""


class LimitReached(ApiError):
    """The room is full (503)."""


class Unauthorized(ApiError):
    """A missing or wrong bearer token (401)."""


class FrameworkError(Exception):
    """A framework error: ``{"errors": {"detail": "<phrase>"}}`` with ``status``."""

    def __init__(self, status: int, detail: str) -> None:
        super().__init__(status, detail)
        self.status = status
        self.detail = detail


class Crash(Exception):
    """Something that raises inside the server (the real server answers 500)."""


INVALID_BODY = "Invalid request body structure"

_ROOM_ID_RE = re.compile(r"^[a-zA-Z0-9-]+$")  # `$` matches before a final "\n", like PCRE
_URI_RE = re.compile(
    r"^(([a-zA-Z][a-zA-Z0-9+\-.]*):)?(//([^/?#]*))?([^?#]*)(\?([^#]*))?(#(.*))?$", re.S
)


def is_int(value: object) -> bool:
    """True for JSON integers (not booleans, not floats)."""
    return isinstance(value, int) and not isinstance(value, bool)


def interpolate(value: object) -> str:
    """``value`` as Elixir string interpolation would print it; maps and lists raise."""
    if isinstance(value, bool):
        return "true" if value else "false"
    if value is None:
        return ""
    if isinstance(value, str):
        return value
    if isinstance(value, int):
        return str(value)
    if isinstance(value, float):
        if math.isnan(value) or math.isinf(value):
            raise Crash("cannot interpolate a non-finite float")
        text = repr(value)
        if "e" in text:
            mantissa, exponent = text.split("e")
            if "." not in mantissa:
                mantissa += ".0"
            return f"{mantissa}e{int(exponent)}"
        return text
    raise Crash(f"cannot interpolate {type(value).__name__}")


def valid_webhook_url(url: str) -> bool:
    """Elixir 1.14 ``URI.parse``: scheme, host and path must all be non-nil."""
    match = _URI_RE.match(url)
    if match is None:
        return False
    scheme, authority, path = match.group(2), match.group(4), match.group(5)
    return bool(scheme) and authority is not None and bool(path)


@dataclass
class RoomConfig:
    """The normalised room configuration (``config`` in the room JSON)."""

    room_id: str | None
    max_peers: int | None
    video_codec: str | None
    webhook_url: str | None
    peerless_purge_timeout: float | None
    peer_disconnected_timeout: float | None

    def to_json(self, room_id: str) -> dict[str, Any]:
        """The ``config`` object of the room JSON."""
        return {
            "roomId": room_id,
            "maxPeers": self.max_peers,
            "videoCodec": self.video_codec,
            "webhookUrl": self.webhook_url,
            "peerlessPurgeTimeout": self.peerless_purge_timeout,
            "peerDisconnectedTimeout": self.peer_disconnected_timeout,
        }


def _positive_number(value: object, allow_float: bool) -> bool:
    if isinstance(value, int) and not isinstance(value, bool):
        return value > 0
    if allow_float and isinstance(value, float):
        return value > 0 and math.isfinite(value)
    return False


def parse_room_config(params: dict[str, Any], allow_float_timeouts: bool = False) -> RoomConfig:
    """Validate ``POST /room`` parameters in the server's order (§2.3)."""
    room_id = params.get("roomId")
    if room_id is not None and (not isinstance(room_id, str) or not _ROOM_ID_RE.match(room_id)):
        raise Invalid(
            f'Cannot add room with id "{interpolate(room_id)}" - roomId may contain only '
            "alphanumeric characters and hyphens",
        )
    max_peers = params.get("maxPeers")
    if max_peers is not None and not (is_int(max_peers) and max_peers >= 0):
        raise Invalid(f"Expected maxPeers to be a number, got: {interpolate(max_peers)}")
    video_codec = params.get("videoCodec")
    if video_codec is not None and video_codec not in ("h264", "vp8"):
        raise Invalid(f"Expected videoCodec to be 'h264' or 'vp8', got: {interpolate(video_codec)}")
    webhook_url = params.get("webhookUrl")
    if webhook_url is not None:
        if not isinstance(webhook_url, str):
            raise Crash("URI.parse/1 got a non-string")
        if not valid_webhook_url(webhook_url):
            raise Invalid(f"Expected webhookUrl to be valid URL, got: {webhook_url}")
    purge = params.get("peerlessPurgeTimeout")
    if purge is not None and not _positive_number(purge, allow_float_timeouts):
        raise Invalid(
            f"Expected peerlessPurgeTimeout to be a positive integer, got: {interpolate(purge)}",
        )
    disconnected = params.get("peerDisconnectedTimeout")
    if disconnected is not None and not _positive_number(disconnected, allow_float_timeouts):
        raise Invalid(
            "Expected peerDisconnectedTimeout to be a positive integer, got: "
            f"{interpolate(disconnected)}",
        )
    return RoomConfig(room_id, max_peers, video_codec, webhook_url, purge, disconnected)


# --- component options -------------------------------------------------------------------

S3_FIELDS = ("accessKeyId", "secretAccessKey", "region", "bucket")
_SUBSCRIBE_MODES = ("auto", "manual")


def _cast_error(errors: list[tuple[str, str]]) -> ApiError:
    if len(errors) == 1 and errors[0][0] == "missing":
        return Invalid(f'Required field "{errors[0][1]}" missing')
    return Invalid(INVALID_BODY)


def parse_hls_options(options: dict[str, Any]) -> dict[str, Any]:
    """The properties of a new hls component (without ``playable``); may crash on ``s3``."""
    errors: list[tuple[str, str]] = []
    low_latency = options.get("lowLatency", False)
    persistent = options.get("persistent", False)
    window = options.get("targetWindowDuration")
    mode = options.get("subscribeMode", "auto")
    s3 = options.get("s3")
    for name, value in (("lowLatency", low_latency), ("persistent", persistent)):
        if not isinstance(value, bool):
            errors.append(("invalid", name))
    if window is not None and not is_int(window):
        errors.append(("invalid", "targetWindowDuration"))
    if mode not in _SUBSCRIBE_MODES:
        errors.append(("invalid", "subscribeMode"))
    if s3 is not None and not isinstance(s3, dict):
        errors.append(("invalid", "s3"))
    if errors:
        raise Invalid(INVALID_BODY)
    if isinstance(s3, dict) and not all(isinstance(s3.get(key), str) for key in S3_FIELDS):
        raise Crash("invalid S3 credentials for the HLS component")
    return {
        "lowLatency": low_latency,
        "persistent": persistent,
        "targetWindowDuration": window,
        "subscribeMode": mode,
        "s3": None,
    }


def parse_rtsp_options(options: dict[str, Any]) -> dict[str, Any]:
    """The properties of a new rtsp component."""
    errors: list[tuple[str, str]] = []
    if "sourceUri" not in options or options["sourceUri"] is None:
        errors.append(("missing", "sourceUri"))
    elif not isinstance(options["sourceUri"], str):
        errors.append(("invalid", "sourceUri"))
    properties: dict[str, Any] = {"sourceUri": options.get("sourceUri")}
    for name, default, low, high in (
        ("rtpPort", 20000, 1, 65535),
        ("reconnectDelay", 15000, 0, None),
        ("keepAliveInterval", 15000, 0, None),
    ):
        value = options.get(name, default)
        if not is_int(value) or value < low or (high is not None and value > high):
            errors.append(("invalid", name))
        properties[name] = value
    pierce = options.get("pierceNat", True)
    if not isinstance(pierce, bool):
        errors.append(("invalid", "pierceNat"))
    properties["pierceNat"] = pierce
    if errors:
        raise _cast_error(errors)
    return properties


def parse_file_options(options: dict[str, Any], sources_dir: str) -> tuple[dict[str, Any], str]:
    """``(properties, track type)`` of a new file component (§2.8 file check order)."""
    errors: list[tuple[str, str]] = []
    file_path = options.get("filePath")
    if file_path is None:
        errors.append(("missing", "filePath"))
    elif not isinstance(file_path, str):
        errors.append(("invalid", "filePath"))
    framerate = options.get("framerate")
    if framerate is not None and not is_int(framerate):
        errors.append(("framerate", "framerate"))
    if errors:
        if len(errors) == 1 and errors[0][0] == "framerate":
            raise Invalid("Invalid framerate passed")
        raise _cast_error(errors)
    file_path = str(file_path)
    base = os.path.realpath(sources_dir)
    resolved = os.path.realpath(os.path.join(base, file_path))
    if not resolved.startswith(base + os.sep):
        raise Invalid("Invalid file path")
    if not os.path.exists(resolved):
        raise NotFound("File not found")
    if framerate is not None and framerate <= 0:
        raise Invalid("Invalid framerate passed")
    extension = os.path.splitext(resolved)[1]
    if extension == ".h264":
        return {"filePath": file_path, "framerate": 30 if framerate is None else framerate}, "video"
    if extension == ".ogg":
        if framerate is not None:
            raise Invalid("Attempted to set framerate for audio component which is not supported.")
        return {"filePath": file_path, "framerate": None}, "audio"
    raise Invalid("Unsupported file type")


def parse_sip_options(options: dict[str, Any]) -> dict[str, Any]:
    """The properties of a new sip component."""
    credentials = options.get("registrarCredentials")
    if credentials is None:
        raise Invalid('Required field "registrarCredentials" missing')
    if not isinstance(credentials, dict):
        raise Invalid(INVALID_BODY)
    for name in ("address", "username", "password"):
        if credentials.get(name) is None:
            raise Invalid(f'Required field "{name}" missing')
    if not all(isinstance(credentials[name], str) for name in ("address", "username", "password")):
        raise Invalid(INVALID_BODY)
    return {
        "registrarCredentials": {
            "address": credentials["address"],
            "username": credentials["username"],
            "password": credentials["password"],
        }
    }


def parse_recording_options(
    options: dict[str, Any],
    env_credentials: dict[str, str] | None,
    env_path_prefix: str | None,
) -> dict[str, Any]:
    """The properties of a new recording component (credentials checked against the env)."""
    credentials = options.get("credentials")
    if credentials is not None:
        if not isinstance(credentials, dict):
            raise Invalid(INVALID_BODY)
        for name in S3_FIELDS:
            if credentials.get(name) is None:
                raise Invalid(f'Required field "{name}" missing')
        if not all(isinstance(credentials[name], str) for name in S3_FIELDS):
            raise Invalid(INVALID_BODY)
    prefix = options.get("pathPrefix")
    mode = options.get("subscribeMode", "auto")
    if (prefix is not None and not isinstance(prefix, str)) or mode not in _SUBSCRIBE_MODES:
        raise Invalid(INVALID_BODY)
    if credentials is None and env_credentials is None:
        raise Invalid(
            "S3 credentials has to be passed either by request or at application startup as envs",
        )
    if credentials is not None and env_credentials is not None:
        raise Invalid(
            "Conflicting S3 credentials supplied via environment variables and the REST API. "
            "Overrides on existing values are disallowed",
        )
    if prefix is not None and env_path_prefix is not None:
        raise Invalid(
            "Conflicting S3 path prefix supplied via environment variables and the REST API. "
            "Overrides on existing values are disallowed",
        )
    return {"subscribeMode": mode}
