"""What the anyio and the blocking notifier share: options, handlers, addresses."""

from __future__ import annotations

import logging
import ssl
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from typing import Any, Final, TypeVar

from jellyfish._notifications._protocol import (
    NotifierProtocol,
    ReconnectPolicy,
    Subscription,
    Timeouts,
    server_websocket_url,
)
from jellyfish.errors import NotifierError
from jellyfish.events._protos.jellyfish.server_notifications_pb2 import ServerMessage

logger: Final = logging.getLogger("jellyfish.notifier")

Handler = TypeVar("Handler", bound=Callable[..., Any])

_METRICS_REPORT: Final = ServerMessage.MetricsReport


@dataclass(frozen=True)
class Reconnected:
    """The notifier lost its connection and is ready again (authenticated, subscribed).

    Notifications emitted while it was disconnected are lost (the server does not
    replay them): resynchronise with ``RoomApi.get_all_rooms()`` when you see this.
    It reaches ``@notifier.on_reconnected`` handlers and, in stream order, iterators.

    Attributes:
        connection: the number of the new connection (2 after the first reconnect).
        error: why the previous connection ended.
    """

    connection: int
    error: NotifierError


def split_address(server_address: str, secure: bool) -> tuple[str, int, str]:
    """``"host:port"`` -> ``(host, port, Host header)``; IPv6 as ``"[::1]:5002"``."""
    server_websocket_url(server_address, secure)  # validates
    address = server_address.rstrip("/")
    if address.startswith("["):
        host, _, rest = address[1:].partition("]")
        port_text = rest[1:] if rest.startswith(":") else ""
    elif address.count(":") == 1:
        host, _, port_text = address.partition(":")
    else:
        host, port_text = address, ""
    if "/" in host or "/" in port_text:
        raise ValueError(f"server_address must be 'host:port', got {server_address!r}")
    port = int(port_text) if port_text else (443 if secure else 80)
    return host, port, address


class NotifierBase:
    """Handler registration and subscription choice, shared by both notifiers."""

    def __init__(
        self,
        server_address: str,
        server_api_token: str,
        secure: bool,
        *,
        subscribe: Iterable[Subscription | int | str] | None,
        reconnect: ReconnectPolicy | None,
        timeouts: Timeouts | None,
        ssl_context: ssl.SSLContext | None,
        queue_events: bool | None,
    ) -> None:
        self._url = server_websocket_url(server_address, secure)
        self._host, self._port, self._host_header = split_address(server_address, secure)
        self._secure = secure
        self._token = server_api_token
        self._explicit_subscriptions = (
            None if subscribe is None else frozenset(Subscription.parse(s) for s in subscribe)
        )
        self._reconnect = reconnect if reconnect is not None else ReconnectPolicy()
        self._timeouts = timeouts if timeouts is not None else Timeouts()
        self._ssl_context = ssl_context
        self._queue_events = queue_events
        self._notification_handlers: list[Callable[[Any], Any]] = []
        self._metrics_handlers: list[Callable[[Any], Any]] = []
        self._reconnected_handlers: list[Callable[[Reconnected], Any]] = []
        self._protocol = NotifierProtocol(server_api_token)

    @property
    def url(self) -> str:
        """The server WebSocket URL (``ws[s]://host:port/socket/server/websocket``)."""
        return self._url

    @property
    def subscriptions(self) -> frozenset[Subscription]:
        """What this notifier subscribes to on every connection."""
        return self._protocol.wanted | self._initial_subscriptions()

    def on_server_notification(self, handler: Handler) -> Handler:
        """Decorator: call ``handler(notification)`` for every server notification.

        That is every notification except ``MetricsReport`` (including
        :class:`jellyfish.events.UnknownNotification` from a newer server). Several
        handlers may be registered; they run in registration order. ``async def``
        handlers are awaited (anyio notifier). An exception in a handler is logged on
        the ``jellyfish.notifier`` logger and does not stop the notifier.
        """
        self._notification_handlers.append(handler)
        return handler

    def on_metrics(self, handler: Handler) -> Handler:
        """Decorator: call ``handler(report)`` for every ``MetricsReport``.

        Registering a metrics handler before connecting subscribes to metrics (as in
        0.4.0); see also ``subscribe=`` and ``subscribe_metrics()``.
        """
        self._metrics_handlers.append(handler)
        return handler

    def on_reconnected(self, handler: Handler) -> Handler:
        """Decorator: call ``handler(info: Reconnected)`` after every successful reconnect.

        Notifications sent while the notifier was disconnected are lost: use this hook
        to resynchronise (for example with ``RoomApi.get_all_rooms()``).
        """
        self._reconnected_handlers.append(handler)
        return handler

    def _initial_subscriptions(self) -> frozenset[Subscription]:
        if self._explicit_subscriptions is not None:
            return self._explicit_subscriptions
        kinds = set()
        if self._notification_handlers:
            kinds.add(Subscription.SERVER_NOTIFICATIONS)
        if self._metrics_handlers:
            kinds.add(Subscription.METRICS)
        if not kinds:
            kinds.add(Subscription.SERVER_NOTIFICATIONS)
        return frozenset(kinds)

    def _prepare_subscriptions(self) -> None:
        for kind in self._initial_subscriptions():
            self._protocol.subscribe(kind)

    def _queues(self, event: object) -> bool:
        """Whether ``event`` goes to the iteration queue."""
        if self._queue_events is not None:
            return self._queue_events
        if type(event) is _METRICS_REPORT:
            return not self._metrics_handlers
        if isinstance(event, Reconnected):
            return not self._reconnected_handlers and not self._notification_handlers
        return not self._notification_handlers
