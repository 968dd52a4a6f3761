"""Webhook bodies -> notifications, with the same decoder as the WebSocket notifiers.

* Jellyfish >= 0.4 (and 0.5.0) POSTs the raw protobuf ``ServerMessage`` with
  ``Content-Type: application/x-protobuf``: :func:`receive_binary`.
* Jellyfish 0.3 POSTed ``{"notification": "<protobuf bytes as a JSON string>"}`` with
  ``Content-Type: application/json``: :func:`receive_json`.
* :func:`receive_webhook` takes the body and the ``Content-Type`` header and picks.
"""

from __future__ import annotations

import json
from collections.abc import Mapping
from typing import Any

from jellyfish._notifications._decoder import (
    Notification,
    decode_fast,
    decode_general,
    decode_notification,
    offending_bytes,
)
from jellyfish.errors import DecodeError

__all__ = ["WEBHOOK_CONTENT_TYPES", "receive_binary", "receive_json", "receive_webhook"]

WEBHOOK_CONTENT_TYPES = ("application/x-protobuf", "application/json")
"""The ``Content-Type`` values :func:`receive_webhook` accepts."""

_PROTOBUF_TYPES = frozenset(
    {"application/x-protobuf", "application/protobuf", "application/vnd.google.protobuf"}
)


def receive_binary(binary: bytes) -> Notification:
    """Decode a v0.5 webhook body (raw protobuf ``ServerMessage``) into its notification.

    Returns the notification object (e.g. ``jellyfish.events.ServerMessageRoomCreated``),
    or :class:`jellyfish.events.UnknownNotification` for a content this SDK does not know.

    Raises:
        jellyfish.errors.DecodeError: the body is not a notification (not protobuf, a
            handshake message, or not bytes at all).
    """
    notification = decode_fast(binary)  # Jellyfish's own frames: one call, no checks
    if notification is None:
        _require_bytes(binary)
        notification = decode_general(binary)
    return notification


def _require_bytes(body: object) -> None:
    if not isinstance(body, bytes | bytearray | memoryview):
        raise DecodeError(
            f"a webhook body must be bytes, got {type(body).__name__} "
            "(pass request.get_data() / await request.body())",
            offending_bytes(body),
        )


def receive_json(json_body: Mapping[str, Any] | str | bytes) -> Notification:
    """Decode a v0.3 JSON webhook body ``{"notification": "<protobuf bytes>"}``.

    Accepts the parsed dict (``request.get_json()``) or the raw JSON text. The
    notification string is encoded as UTF-8 and protobuf-decoded, which is how
    Jellyfish 0.3 put the bytes into JSON.

    Raises:
        jellyfish.errors.DecodeError: not JSON, no ``"notification"`` string, or the
            bytes are not a notification.
    """
    body: Any = json_body
    if isinstance(body, bytes | bytearray | str):
        try:
            body = json.loads(body)
        except (ValueError, RecursionError) as error:  # RecursionError: nested too deeply
            raise DecodeError(
                f"webhook body is not JSON: {error}", offending_bytes(json_body)
            ) from None
    if not isinstance(body, Mapping):
        raise DecodeError(
            'a v0.3 JSON webhook body is an object {"notification": "..."}',
            offending_bytes(json_body),
        )
    notification = body.get("notification")
    if not isinstance(notification, str):
        raise DecodeError(
            'the JSON webhook body has no "notification" string', offending_bytes(json_body)
        )
    try:
        data = notification.encode("utf-8")
    except UnicodeEncodeError as error:
        raise DecodeError(f"notification is not encodable: {error}", b"") from None
    return decode_notification(data)


def receive_webhook(body: bytes, content_type: str | bytes | None) -> Notification:
    """Decode a webhook request of either format, chosen by its ``Content-Type``.

    * ``application/x-protobuf`` (Jellyfish 0.4/0.5): raw protobuf;
    * ``application/json`` (Jellyfish 0.3): ``{"notification": ...}``.

    ``body`` is the raw request body (bytes); ``content_type`` the header's value, as text
    or as the raw bytes of an ASGI/WSGI header.

    Example (Flask)::

        notification = receive_webhook(request.get_data(), request.content_type)

    Raises:
        jellyfish.errors.DecodeError: another or a missing content type (the message
            names the accepted ones), a body that is not bytes, or one that does not decode.
    """
    if isinstance(content_type, bytes | bytearray):
        content_type = bytes(content_type).decode("latin-1")  # HTTP's header charset
    if content_type is not None and not isinstance(content_type, str):
        raise DecodeError(
            "content_type must be the Content-Type header as str or bytes, "
            f"got {type(content_type).__name__}",
            offending_bytes(body),
        )
    media_type = (content_type or "").split(";", 1)[0].strip().lower()
    if media_type in _PROTOBUF_TYPES:
        return receive_binary(body)
    if media_type == "application/json" or media_type.endswith("+json"):
        _require_bytes(body)
        return receive_json(bytes(body))
    raise DecodeError(
        f"unsupported webhook Content-Type {content_type!r}: Jellyfish sends "
        "'application/x-protobuf' (0.4+) or 'application/json' (0.3)",
        offending_bytes(body),
    )
