"""Notification fan-out to server WebSockets (cluster-wide) and the sequential webhook sender."""

from __future__ import annotations

import ipaddress
import json
import logging
import math
from typing import Literal, Protocol

import anyio
import httpx

from jellyfish.events._protos.jellyfish.server_notifications_pb2 import ServerMessage

logger = logging.getLogger("jellyfish.testing")

WebhookFormat = Literal["protobuf", "json"]


def is_loopback_url(url: str) -> bool:
    """Whether ``url`` names this machine by a loopback address (no DNS lookup is made)."""
    try:
        host = httpx.URL(url).host
    except (httpx.InvalidURL, ValueError):
        return False
    if host == "localhost" or host.endswith(".localhost"):
        return True
    try:
        return ipaddress.ip_address(host).is_loopback
    except ValueError:
        return False


class Subscriber(Protocol):
    """A server-WebSocket connection as the hub sees it."""

    def send_bytes(self, data: bytes) -> None:
        """Queue one binary frame (never blocks)."""


class Hub:
    """Phoenix.PubSub for the emulator: every node of a cluster shares one hub."""

    def __init__(self) -> None:
        self._notifications: dict[int, Subscriber] = {}
        self._metrics: dict[int, Subscriber] = {}

    def subscribe(self, subscriber: Subscriber, event_type: int) -> None:
        """Idempotent subscription of ``subscriber`` to an ``EventType``."""
        target = self._notifications if event_type == 1 else self._metrics
        target[id(subscriber)] = subscriber

    def unsubscribe(self, subscriber: Subscriber) -> None:
        """Forget a closed connection."""
        self._notifications.pop(id(subscriber), None)
        self._metrics.pop(id(subscriber), None)

    def publish(self, message: ServerMessage) -> None:
        """Send a server notification to every notification subscriber."""
        if self._notifications:
            data = message.SerializeToString()
            for subscriber in list(self._notifications.values()):
                subscriber.send_bytes(data)

    def publish_metrics(self, message: ServerMessage) -> None:
        """Send a MetricsReport to every metrics subscriber."""
        if self._metrics:
            data = message.SerializeToString()
            for subscriber in list(self._metrics.values()):
                subscriber.send_bytes(data)


class WebhookSender:
    """One sequential sender per node: no retries, 2xx is success, failures are logged."""

    def __init__(
        self,
        body_format: WebhookFormat = "protobuf",
        timeout: float = 5.0,
        loopback_only: bool = False,
    ) -> None:
        self._format = body_format
        self._timeout = timeout
        self._loopback_only = loopback_only
        self._send, self._receive = anyio.create_memory_object_stream[tuple[str, bytes]](math.inf)
        self.sent = 0
        self.failed = 0

    def __call__(self, url: str, message: ServerMessage) -> None:
        """Queue ``message`` for ``url``."""
        self._send.send_nowait((url, message.SerializeToString()))

    def _request(self, body: bytes) -> tuple[bytes, str] | None:
        if self._format == "protobuf":
            return body, "application/x-protobuf"
        try:
            text = body.decode("utf-8")
        except UnicodeDecodeError:
            logger.warning("Webhook notification is not valid UTF-8; v0.3 JSON cannot carry it")
            return None
        return json.dumps({"notification": text}).encode(), "application/json"

    async def run(self) -> None:
        """Deliver queued webhooks one at a time until cancelled."""
        try:
            await self._deliver()
        finally:
            self.close()

    def close(self) -> None:
        """Drop whatever is still queued (idempotent)."""
        self._send.close()
        self._receive.close()

    async def _deliver(self) -> None:
        # hackney defaults: about 8 s to connect, 5 s to receive
        connect = 8.0 if self._timeout >= 5.0 else self._timeout
        timeout = httpx.Timeout(self._timeout, connect=connect)
        async with httpx.AsyncClient(timeout=timeout, follow_redirects=False) as client:
            async for url, body in self._receive:
                if self._loopback_only and not is_loopback_url(url):
                    self.failed += 1
                    logger.warning(
                        "Not sending webhook notification to %s: not a loopback address "
                        "(webhook_loopback_only)",
                        url,
                    )
                    continue
                request = self._request(body)
                if request is None:
                    self.failed += 1
                    continue
                content, content_type = request
                try:
                    response = await client.post(
                        url, content=content, headers={"content-type": content_type}
                    )
                except (httpx.HTTPError, OSError, ValueError) as error:
                    self.failed += 1
                    logger.warning("Sending webhook notification to %s failed: %r", url, error)
                    continue
                if 200 <= response.status_code < 300:
                    self.sent += 1
                else:
                    self.failed += 1
                    logger.warning(
                        "Sending webhook notification to %s failed: status %s",
                        url,
                        response.status_code,
                    )
