"""The server-WebSocket notification protocol, once, without I/O (like h11 or wsproto).

:class:`NotifierProtocol` turns received frames into notifications and state changes,
and tells the transport which frames to send; it never touches a socket or a clock. Both
:class:`jellyfish.Notifier` (anyio) and :class:`jellyfish.BlockingNotifier` drive it.

The protocol of Jellyfish 0.5.0 (``/socket/server/websocket``):

1. the client sends ``auth_request{token}``; the server answers ``authenticated`` or
   closes with 1000 ``invalid token``;
2. the client sends ``subscribe_request{event_type}`` per kind (server notifications,
   metrics); the server answers ``subscribe_response`` for each;
3. notifications follow, each in one binary frame. The server pings every 30 s.

There is **no unsubscribe** message: a subscription lasts as long as the connection.
:meth:`NotifierProtocol.subscribe` can add one at any time; the set of subscriptions is
re-sent after every reconnect.
"""

from __future__ import annotations

import enum
import random
from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass
from typing import Any, Final

from jellyfish._notifications._decoder import (
    HANDSHAKE_CASES,
    Notification,
    decode_fast,
    decode_server_message,
)
from jellyfish.errors import (
    InvalidTokenError,
    NotifierClosedError,
    NotifierError,
    ProtocolError,
)
from jellyfish.events._protos.jellyfish.server_notifications_pb2 import ServerMessage

__all__ = [
    "SERVER_WEBSOCKET_PATH",
    "VIOLATION",
    "ConnectionState",
    "NotifierProtocol",
    "ReconnectPolicy",
    "SecretFrame",
    "Subscription",
    "Timeouts",
    "interpret_close",
    "server_websocket_url",
    "valid_close_code",
]

SERVER_WEBSOCKET_PATH: Final = "/socket/server/websocket"


class Subscription(enum.IntEnum):
    """What a notifier can subscribe to (the values are the protobuf ``EventType``)."""

    SERVER_NOTIFICATIONS = ServerMessage.EVENT_TYPE_SERVER_NOTIFICATION
    """Every server notification, for all rooms (``RoomCreated``, ``PeerConnected``, ...)."""
    METRICS = ServerMessage.EVENT_TYPE_METRICS
    """``MetricsReport``, about once a second."""

    @classmethod
    def parse(cls, value: Subscription | int | str) -> Subscription:
        """Accept a :class:`Subscription`, its protobuf value or a name like ``"metrics"``."""
        if isinstance(value, str):
            key = value.strip().upper().replace("-", "_")
            aliases = {
                "SERVER_NOTIFICATION": "SERVER_NOTIFICATIONS",
                "NOTIFICATIONS": ("SERVER_NOTIFICATIONS"),
            }
            key = aliases.get(key, key)
            try:
                return cls[key]
            except KeyError:
                raise ValueError(f"unknown subscription {value!r}") from None
        return cls(int(value))


class ConnectionState(enum.Enum):
    """Where one connection of the protocol is."""

    IDLE = "idle"
    """No connection (before the first or between two)."""
    AUTHENTICATING = "authenticating"
    """``auth_request`` sent, waiting for ``authenticated``."""
    SUBSCRIBING = "subscribing"
    """Authenticated; waiting for at least one ``subscribe_response``."""
    READY = "ready"
    """Authenticated and every wanted subscription acknowledged."""
    CLOSED = "closed"
    """The connection ended."""


@dataclass(frozen=True)
class Timeouts:
    """Time limits (seconds) of a notifier connection.

    Attributes:
        connect: TCP + TLS + WebSocket upgrade.
        auth: from ``auth_request`` to ``authenticated``.
        subscribe: from ``subscribe_request`` to its ``subscribe_response``.
        ping_interval: after this long without any incoming data, the client pings.
        ping_timeout: after a ping, this long without any incoming data means the
            connection is dead (it is dropped and, by policy, re-established).
        send: one write to the server (a request, a pong, a ping); a server that stops
            reading is a dead connection (dropped and, by policy, re-established).
        close: the close grace: after ``close()``, how long a handler that is running may
            still take, and the close frame to be sent. Then the anyio notifier cancels
            the handler; the blocking one stops waiting for it (a thread cannot be
            cancelled: it finishes the handler, then exits).
        catch_up: one try of a catch-up's ``GET /room`` (``catch_up=True``).
    """

    connect: float = 10.0
    auth: float = 5.0
    subscribe: float = 5.0
    ping_interval: float = 20.0
    ping_timeout: float = 20.0
    send: float = 10.0
    close: float = 2.0
    catch_up: float = 10.0

    def __post_init__(self) -> None:
        for name, value in vars(self).items():
            if not value > 0:
                raise ValueError(f"Timeouts.{name} must be > 0, got {value!r}")


@dataclass(frozen=True)
class ReconnectPolicy:
    """When and how often a dropped connection is re-established.

    The delay before attempt ``n`` (0-based) is
    ``min(max_delay, initial_delay * multiplier**n)``, reduced by a random fraction of up
    to ``jitter`` so that many clients do not reconnect in lockstep (:meth:`backoff`).
    Every failed attempt counts, whether it failed at the TCP connect, the WebSocket
    upgrade or the handshake; the count resets only once a connection is ready again.

    A rejected token (:class:`jellyfish.errors.InvalidTokenError`) and a server that
    refuses the SDK's own messages (close 1003, ``invalid auth request``) are final and
    never retried. A failure of the **first** connection is retried only when
    ``retry_initial`` is true (by default ``connect()`` fails fast).

    Attributes:
        initial_delay: the first delay, in seconds.
        max_delay: the cap of the delay.
        multiplier: the growth factor per attempt.
        jitter: the fraction (0..1) of the delay that is randomised away.
        max_attempts: give up after this many consecutive failed reconnect attempts and
            raise the last error (``None``: never give up; ``0``: never reconnect).
        retry_initial: also retry when the very first connection fails.
    """

    initial_delay: float = 0.5
    max_delay: float = 30.0
    multiplier: float = 2.0
    jitter: float = 0.5
    max_attempts: int | None = None
    retry_initial: bool = False

    def __post_init__(self) -> None:
        if self.initial_delay < 0 or self.max_delay < 0 or self.multiplier < 1:
            raise ValueError("delays must be >= 0 and multiplier >= 1")
        if not 0 <= self.jitter <= 1:
            raise ValueError("jitter must be between 0 and 1")
        if self.max_attempts is not None and self.max_attempts < 0:
            raise ValueError("max_attempts must be >= 0 or None")

    def should_retry(self, attempt: int) -> bool:
        """Whether attempt number ``attempt`` (0-based, consecutive failures) may run."""
        return self.max_attempts is None or attempt < self.max_attempts

    def delay(self, attempt: int, random_fraction: Callable[[], float] = random.random) -> float:
        """The delay, in seconds, before reconnect attempt ``attempt`` (0-based)."""
        base = min(self.max_delay, self.initial_delay * self.multiplier ** min(attempt, 64))
        return base * (1.0 - self.jitter * random_fraction())

    def backoff(self, random_fraction: Callable[[], float] = random.random) -> Iterator[float]:
        """The delays before reconnect attempts 0, 1, 2, ... (an endless iterator).

        Pure: the I/O layers draw one delay per failed attempt and sleep it; whether to
        draw at all is :meth:`should_retry`'s call.
        """
        attempt = 0
        while True:
            yield self.delay(attempt, random_fraction)
            attempt += 1


_EVENT_TYPES: Final = {
    Subscription.SERVER_NOTIFICATIONS: ServerMessage.EVENT_TYPE_SERVER_NOTIFICATION,
    Subscription.METRICS: ServerMessage.EVENT_TYPE_METRICS,
}

NO_RECONNECT: Final = ReconnectPolicy(max_attempts=0)
"""A policy that never reconnects: the first drop ends the notifier."""


def interpret_close(code: int | None, reason: str) -> tuple[NotifierError, bool]:
    """Map a WebSocket close (code, reason) from the server to ``(error, retryable)``.

    * 1000 ``invalid token`` -> :class:`InvalidTokenError`, final;
    * 1000 ``invalid auth request`` and 1003 ``operation not allowed`` ->
      :class:`ProtocolError`, final (the SDK sent something the server refuses; a retry
      would do the same);
    * a code no peer may send (e.g. 1005, 999) -> :class:`ProtocolError`, retryable;
    * anything else (server restart, network drop, ``code=None``) ->
      :class:`NotifierClosedError`, retryable.
    """
    if code == 1000 and reason == "invalid token":
        return InvalidTokenError("the server rejected the server API token (invalid token)"), False
    if code == 1000 and reason == "invalid auth request":
        return ProtocolError("the server refused the authentication request"), False
    if code == 1003:
        return ProtocolError(f"the server refused a message: {reason or 'code 1003'}"), False
    if code is not None and not valid_close_code(code):
        return ProtocolError(f"{VIOLATION}: the server sent the invalid close code {code}"), True
    if code is None:
        message = "the connection to the server broke"
    else:
        message = f"the server closed the connection (code {code}{', ' + reason if reason else ''})"
    return NotifierClosedError(message, code, reason), True


VIOLATION: Final = "protocol violation detected by the client"
"""How every error the client detects in the server's frames begins (never "server closed")."""


def valid_close_code(code: int) -> bool:
    """Whether a peer may send ``code`` in a close frame (RFC 6455 7.4, IANA registry).

    1005 ("no status code") is accepted too: both WebSocket libraries report a close
    frame without a code that way.
    """
    return code in _VALID_CLOSE_CODES or 3000 <= code <= 4999


_VALID_CLOSE_CODES: Final = frozenset(
    {1000, 1001, 1002, 1003, 1005, 1007, 1008, 1009, 1010, 1011, 1012, 1013, 1014}
)


def server_websocket_url(server_address: str, secure: bool) -> str:
    """``ws[s]://<server_address>/socket/server/websocket``.

    Raises:
        ValueError: ``server_address`` has a scheme (pass ``secure`` instead) or is empty.
    """
    if not server_address or "://" in server_address:
        raise ValueError(
            f"server_address must be 'host:port' without a scheme (use secure=True for wss), "
            f"got {server_address!r}"
        )
    scheme = "wss" if secure else "ws"
    return f"{scheme}://{server_address.rstrip('/')}{SERVER_WEBSOCKET_PATH}"


def _frame(**content: Any) -> bytes:
    return ServerMessage(**content).SerializeToString()


class SecretFrame(bytes):
    """The bytes of a frame that carries the token: they never show in a ``repr``.

    Crash reporters (Sentry-style tracebacks with locals) record the ``repr`` of every
    local; the frame is one while it is being sent.
    """

    __slots__ = ()

    def __repr__(self) -> str:
        return "SecretFrame(<auth_request, token hidden>)"

    __str__ = __repr__


class NotifierProtocol:
    """The state machine of one notifier across its connections; performs no I/O.

    Drive it like this::

        protocol = NotifierProtocol(token, {Subscription.SERVER_NOTIFICATIONS})
        send_all(protocol.connection_made())        # the auth_request frame
        for frame in incoming_binary_frames():
            event = protocol.receive(frame)        # a notification, or None
            send_all(protocol.data_to_send())      # subscribe requests, when due
            if event is not None: deliver(event)
        error, retryable = protocol.connection_lost(close_code, close_reason)

    ``receive`` returns every notification received while connected, in order;
    handshake messages are consumed. A protocol violation raises
    :class:`jellyfish.errors.ProtocolError`; an undecodable frame raises
    :class:`jellyfish.errors.DecodeError`.
    """

    def __init__(self, token: str, subscriptions: Iterable[Subscription | int | str] = ()) -> None:
        self._token = token
        self._wanted: set[Subscription] = {Subscription.parse(s) for s in subscriptions}
        self._acked: set[Subscription] = set()
        self._requested: set[Subscription] = set()
        self._outgoing: list[bytes] = []
        self.state = ConnectionState.IDLE
        self.connections = 0
        """How many connections were made (1 after the first)."""

    # -- queries -------------------------------------------------------------------

    @property
    def wanted(self) -> frozenset[Subscription]:
        """The subscriptions this notifier keeps (re-sent after every reconnect)."""
        return frozenset(self._wanted)

    @property
    def acknowledged(self) -> frozenset[Subscription]:
        """The subscriptions the server has acknowledged on this connection."""
        return frozenset(self._acked)

    @property
    def authenticated(self) -> bool:
        """Whether the server accepted the token on this connection."""
        return self.state in (ConnectionState.SUBSCRIBING, ConnectionState.READY)

    @property
    def ready(self) -> bool:
        """Authenticated and every wanted subscription acknowledged."""
        return self.state is ConnectionState.READY

    # -- inputs ----------------------------------------------------------------------

    def connection_made(self) -> list[bytes]:
        """A new WebSocket is open: returns the frames to send (the ``auth_request``)."""
        self.connections += 1
        self._acked.clear()
        self._requested.clear()
        self._outgoing.clear()
        self.state = ConnectionState.AUTHENTICATING
        return [SecretFrame(_frame(auth_request=ServerMessage.AuthRequest(token=self._token)))]

    def subscribe(self, subscription: Subscription | int | str) -> list[bytes]:
        """Add a subscription; returns the frames to send now (none before auth).

        Subscribing is idempotent. There is no way to unsubscribe: the server has no
        such message, so a subscription lasts until the connection closes (and is
        renewed on reconnect).
        """
        kind = Subscription.parse(subscription)
        self._wanted.add(kind)
        if self.authenticated and kind not in self._requested:
            self._requested.add(kind)
            self.state = ConnectionState.SUBSCRIBING
            return [
                _frame(
                    subscribe_request=ServerMessage.SubscribeRequest(event_type=_EVENT_TYPES[kind])
                )
            ]
        return []

    def receive(self, data: bytes | bytearray) -> Notification | None:
        """Feed one received binary frame; returns its notification, or ``None``.

        ``None`` means a handshake message was consumed: check :meth:`data_to_send`
        and :attr:`ready`.

        Raises:
            DecodeError: the frame is not a ``ServerMessage``.
            ProtocolError: the server broke the handshake.
        """
        if self.state is not ConnectionState.AUTHENTICATING:
            notification = decode_fast(data)  # type: ignore[arg-type]  # bytes-like is fine
            if notification is not None:
                return notification
        case, content = decode_server_message(data)  # type: ignore[arg-type]
        if case in HANDSHAKE_CASES:
            self._handshake(case, content)
            return None
        if self.state is ConnectionState.AUTHENTICATING:
            if case is None:
                raise ProtocolError("expected 'authenticated', got an empty or unknown message")
            raise ProtocolError(f"expected 'authenticated', got {case!r}")
        result: Notification = content
        return result

    def data_to_send(self) -> list[bytes]:
        """Frames the protocol wants sent (subscribe requests after auth)."""
        frames, self._outgoing = self._outgoing, []
        return frames

    def connection_lost(
        self, code: int | None = None, reason: str = ""
    ) -> tuple[NotifierError, bool]:
        """The WebSocket closed (``code=None``: it broke): ``(error, retryable)``."""
        self.state = ConnectionState.CLOSED
        error, retryable = interpret_close(code, reason)
        if isinstance(error, NotifierClosedError) and self.connections == 0:
            retryable = True
        return error, retryable

    # -- internals ---------------------------------------------------------------------

    def _handshake(self, case: str, content: Any) -> None:
        if case == "authenticated":
            if self.state is not ConnectionState.AUTHENTICATING:
                raise ProtocolError("unexpected second 'authenticated' message")
            self.state = ConnectionState.READY
            for kind in sorted(self._wanted):
                self._outgoing.extend(self.subscribe(kind))
            return
        if case == "subscribe_response":
            if not self.authenticated:
                raise ProtocolError("'subscribe_response' before 'authenticated'")
            try:
                kind = Subscription(content.event_type)
            except ValueError:
                raise ProtocolError(
                    f"'subscribe_response' for unknown event type {content.event_type}"
                ) from None
            if kind not in self._requested:
                raise ProtocolError(f"'subscribe_response' for {kind.name}, never requested")
            self._acked.add(kind)
            if self._wanted <= self._acked:
                self.state = ConnectionState.READY
            return
        raise ProtocolError(f"the server sent a client-only message {case!r}")
