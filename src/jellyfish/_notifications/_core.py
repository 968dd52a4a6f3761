"""Everything a notifier does that is not I/O, once, for both notifiers.

:class:`NotifierCore` is driven by the two shells (:mod:`._anyio` and :mod:`._blocking`),
which only open connections, move bytes, sleep and call handlers. The core owns:

* the handshake and frame -> notification decoding (:class:`NotifierProtocol`, through
  the one decoder);
* liveness: connect/auth/subscribe deadlines and pings, with ``now`` passed in;
* the verdict on every frame the WebSocket library hands over (text, masked, oversize,
  close codes) and the error messages, written once;
* the reconnect decision: one "retryable?" verdict, the attempt count across failed
  connects, delays from :meth:`ReconnectPolicy.backoff`;
* flow control: which events are queued, for whom, and when reading must pause.
"""

from __future__ import annotations

import logging
from collections import deque
from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass
from typing import Any, Final

from jellyfish._notifications._decoder import decode_fast
from jellyfish._notifications._protocol import (
    VIOLATION,
    ConnectionState,
    NotifierProtocol,
    ReconnectPolicy,
    Subscription,
    Timeouts,
)
from jellyfish.errors import (
    ConnectionFailedError,
    InvalidTokenError,
    JellyfishError,
    NotifierClosedError,
    NotifierTimeoutError,
    ProtocolError,
    TLSError,
)
from jellyfish.events._protos.jellyfish.server_notifications_pb2 import ServerMessage

__all__ = ["DEFAULT_MAX_QUEUE", "DEFAULT_MAX_SIZE", "NotifierCore", "NotifierStats", "Reconnected"]

logger: Final = logging.getLogger("jellyfish.notifier")

DEFAULT_MAX_QUEUE: Final = 1024
"""Events that may wait for handlers and iterators before the notifier stops reading."""
DEFAULT_MAX_SIZE: Final = 1 << 20
"""The largest WebSocket message accepted, in bytes (Jellyfish's are well under 64 KiB)."""

PING_PAYLOAD: Final = b"jf"
PAUSE_LOG_INTERVAL: Final = 10.0
"""Seconds between two "paused reading" warnings."""

_METRICS_REPORT: Final = ServerMessage.MetricsReport
_INFINITY: Final = float("inf")


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
    error: JellyfishError

    def __repr__(self) -> str:
        return f"Reconnected(connection={self.connection}, error={str(self.error)!r})"

    __str__ = __repr__

    def to_dict(self) -> dict[str, Any]:
        """JSON-ready: ``{"connection": 2, "error": "...", "errorType": "NotifierClosedError"}``."""
        return {
            "connection": self.connection,
            "error": str(self.error),
            "errorType": type(self.error).__name__,
        }


@dataclass(frozen=True)
class NotifierStats:
    """A snapshot of a notifier's counters, for operators (``notifier.stats``).

    Attributes:
        queued: events waiting now for a handler or an iterator.
        paused: how many times reading paused because ``max_queue`` events were waiting
            (a slow consumer; the server buffers meanwhile).
        reconnects: how many times the connection was re-established (one
            :class:`Reconnected` each).
        dropped: events discarded because the notifier was closed before they were
            consumed.
        received: notifications received (handshake messages not counted).
    """

    queued: int
    paused: int
    reconnects: int
    dropped: int
    received: int


class NotifierCore:
    """The sans-I/O state of one notifier, across its connections.

    The shells call, per connection: :meth:`attempt_started`, :meth:`upgraded` (send what
    it returns), then per binary message :meth:`message_received`, and
    :meth:`read_timeout` / :meth:`read_timed_out` around every read; at the end
    :meth:`connection_failed`, which raises a final error or returns the delay to sleep.
    """

    def __init__(
        self,
        protocol: NotifierProtocol,
        *,
        url: str,
        reconnect: ReconnectPolicy,
        timeouts: Timeouts,
        max_queue: int,
        max_size: int,
        queue_events: bool | None,
    ) -> None:
        if max_queue < 1:
            raise ValueError(f"max_queue must be >= 1, got {max_queue}")
        if max_size < 1:
            raise ValueError(f"max_size must be >= 1, got {max_size}")
        self.protocol = protocol
        self.url = url
        self.reconnect = reconnect
        self.timeouts = timeouts
        self.max_queue = max_queue
        self.max_size = max_size
        self.queue_events = queue_events
        self.notification_handlers: list[Callable[[Any], Any]] = []
        self.metrics_handlers: list[Callable[[Any], Any]] = []
        self.reconnected_handlers: list[Callable[[Reconnected], Any]] = []
        self.explicit_subscriptions: frozenset[Subscription] | None = None
        self.iterating = False
        # events for handlers, then (if iterated) for iterators; both count to max_queue
        self.pending: deque[Any] = deque()
        self.iteration: deque[Any] = deque()
        self.close_code = 1000
        self._deadline = _INFINITY
        self._upgraded = False
        self._ping_sent = False
        self._attempts = 0
        self._delays: Iterator[float] = reconnect.backoff()
        self._ever_ready = False
        self._ready_connection = 0
        self._last_error: JellyfishError | None = None
        self._final_error: JellyfishError | None = None
        self._paused = 0
        self._next_pause_log = -_INFINITY
        self._reconnects = 0
        self._dropped = 0
        self._received = 0

    # -- subscriptions ------------------------------------------------------------------

    def subscriptions(self) -> frozenset[Subscription]:
        """What is subscribed on every connection (0.4.0: the kinds that have handlers)."""
        if self.explicit_subscriptions is not None:
            return self.protocol.wanted | self.explicit_subscriptions
        kinds = set(self.protocol.wanted)
        if self.notification_handlers:
            kinds.add(Subscription.SERVER_NOTIFICATIONS)
        if self.metrics_handlers:
            kinds.add(Subscription.METRICS)
        if not kinds:
            kinds.add(Subscription.SERVER_NOTIFICATIONS)
        return frozenset(kinds)

    def start(self) -> None:
        """A run (``connect()``) begins: fix the subscriptions, reset the retry budget."""
        for kind in self.subscriptions():
            self.protocol.subscribe(kind)
        self._attempts = 0
        self._delays = self.reconnect.backoff()
        self._ever_ready = False
        self._last_error = None
        self._final_error = None

    def subscribe(self, kind: Subscription, now: float, connected: bool) -> list[bytes]:
        """Add a subscription; returns the frames to send now (and arms its deadline)."""
        frames = self.protocol.subscribe(kind)
        if frames and connected:
            self._deadline = min(self._deadline, now + self.timeouts.subscribe)
        return frames

    # -- one connection ---------------------------------------------------------------------

    def attempt_started(self, now: float) -> float:
        """A connection attempt begins; returns its connect deadline (TCP + TLS + upgrade)."""
        self._upgraded = False
        self._ping_sent = False
        self.close_code = 1000
        self._deadline = now + self.timeouts.connect
        return self._deadline

    def upgraded(self, now: float) -> list[bytes]:
        """The WebSocket is open: the frames to send (the ``auth_request``)."""
        self._upgraded = True
        self._deadline = now + self.timeouts.auth
        return self.protocol.connection_made()

    @property
    def ready(self) -> bool:
        """Authenticated and every subscription acknowledged on this connection."""
        return self.protocol.ready

    def message_received(self, payload: bytes | bytearray) -> Any:
        """One binary message: its notification, or ``None`` (handshake consumed or dropped).

        After ``None``, call :meth:`handshake_progress`. An undecodable message is logged
        and dropped (the connection stays); a handshake violation raises ProtocolError.
        """
        if len(payload) > self.max_size:
            self.check_size(len(payload))
        if self.protocol.state is ConnectionState.READY:  # the hot path: one decoder call
            notification = decode_fast(payload)  # type: ignore[arg-type]  # bytes-like
            if notification is not None:
                self._received += 1
                return notification
        try:
            notification = self.protocol.receive(payload)
        except ProtocolError as error:
            raise self.violation(str(error)) from None
        except JellyfishError as error:  # DecodeError: one bad frame, not a bad connection
            logger.error("dropping an undecodable frame: %s", error)
            return None
        if notification is not None:
            self._received += 1
        return notification

    def handshake_progress(self, now: float) -> tuple[list[bytes], Reconnected | None]:
        """After a handshake message: frames to send, and the :class:`Reconnected` to deliver."""
        protocol = self.protocol
        frames = protocol.data_to_send()
        if frames:
            self._deadline = now + self.timeouts.subscribe
        if not protocol.ready:
            return frames, None
        self._deadline = _INFINITY
        if self._ready_connection == protocol.connections:
            return frames, None
        self._ready_connection = protocol.connections
        self._ever_ready = True
        self._attempts = 0
        self._delays = self.reconnect.backoff()
        if self._last_error is None:
            return frames, None
        self._reconnects += 1
        return frames, Reconnected(protocol.connections, self._last_error)

    # -- liveness -----------------------------------------------------------------------------

    def data_received(self) -> None:
        """Bytes arrived: the peer is alive."""
        self._ping_sent = False

    def read_timeout(self, now: float) -> float:
        """How long, in seconds, the next read may block."""
        timeouts = self.timeouts
        idle = timeouts.ping_timeout if self._ping_sent else timeouts.ping_interval
        if not self._upgraded:
            return max(0.0, self._deadline - now)
        return max(0.0, min(self._deadline - now, idle))

    def read_timed_out(self, now: float) -> bytes:
        """A read timed out: returns the ping payload to send, or raises the timeout.

        Raises:
            NotifierTimeoutError: a connect/auth/subscribe deadline passed, or a ping
                got no answer (the connection is dead).
        """
        if not self._upgraded:
            raise self.connect_timed_out()
        if now >= self._deadline:
            if not self.protocol.authenticated:
                raise NotifierTimeoutError("timed out waiting for 'authenticated'")
            raise NotifierTimeoutError("timed out waiting for 'subscribe_response'")
        if self._ping_sent:
            raise NotifierTimeoutError("no answer to ping: the connection is dead")
        self._ping_sent = True
        return PING_PAYLOAD

    def connect_timed_out(self) -> NotifierTimeoutError:
        """TCP, TLS and the WebSocket upgrade together took longer than ``timeouts.connect``."""
        return NotifierTimeoutError(f"timed out connecting to {self.url}")

    # -- frame verdicts ---------------------------------------------------------------------------

    def violation(self, description: str, close_code: int = 1002) -> ProtocolError:
        """The error for a protocol violation the client detected (and the close to send)."""
        self.close_code = close_code
        return ProtocolError(f"{VIOLATION}: {description}")

    def text_received(self) -> ProtocolError:
        """The server sent a text frame (Jellyfish never does)."""
        return self.violation("the server sent a text frame", 1003)

    def masked_received(self) -> ProtocolError:
        """The server masked a frame (RFC 6455 5.1: a client must close the connection)."""
        return self.violation("the server sent a masked frame")

    def check_size(self, size: int) -> None:
        """Raise ProtocolError if a message of ``size`` bytes exceeds ``max_size``."""
        if size > self.max_size:
            raise self.violation(
                f"a message of {size} bytes exceeds max_size={self.max_size}", 1009
            )

    def close_received(self, code: int | None, reason: str) -> JellyfishError:
        """The server closed the WebSocket: the error that ends this connection."""
        error, retryable = self.protocol.connection_lost(code, reason)
        if not retryable:
            self._final_error = error
        return error

    def upgrade_refused(self, status: int) -> ConnectionFailedError:
        """The server answered the WebSocket upgrade with HTTP ``status``."""
        return ConnectionFailedError(
            f"the server refused the WebSocket upgrade (HTTP {status})", self.url
        )

    def connect_failed(self, error: BaseException) -> ConnectionFailedError | TLSError:
        """The TCP/TLS connection could not be made (refused, unreachable, bad certificate)."""
        import ssl  # here: ssl costs ~10 ms at import, and only a failed connect needs it

        if isinstance(error, ssl.SSLError):
            return TLSError(f"the TLS handshake failed: {error}", self.url)
        return ConnectionFailedError(f"cannot connect to the server: {error}", self.url)

    def broken(self, what: str = "the connection broke") -> NotifierClosedError:
        """The connection ended without a close frame."""
        return NotifierClosedError(what)

    def end_of_stream(self) -> NotifierClosedError:
        """The server closed the TCP connection without a close frame."""
        return NotifierClosedError("the server closed the TCP connection")

    # -- reconnecting ----------------------------------------------------------------------------

    def retryable(self, error: JellyfishError) -> bool:
        """The one verdict: whether a new connection may help after ``error``."""
        return error is not self._final_error and not isinstance(error, InvalidTokenError)

    def connection_failed(self, error: JellyfishError) -> float:
        """A connection attempt ended: the delay before the next one.

        Counts the attempt whether it failed before or after the WebSocket upgrade.

        Raises:
            JellyfishError: ``error`` itself when retrying cannot help, the first
                connection failed (without ``retry_initial``), or the policy gives up.
        """
        self.protocol.state = ConnectionState.IDLE
        self._last_error = error
        if not self.retryable(error):
            raise error
        if not self._ever_ready and not self.reconnect.retry_initial:
            raise error
        if not self.reconnect.should_retry(self._attempts):
            if self._attempts:
                logger.error("notifier gave up after %d failed attempts: %s", self._attempts, error)
            raise error
        self._attempts += 1
        delay = next(self._delays)
        logger.warning(
            "notifier connection lost (%s); reconnect attempt %d in %.2fs",
            error,
            self._attempts,
            delay,
        )
        return delay

    # -- flow control -----------------------------------------------------------------------------

    def handlers_for(self, event: Any) -> list[Callable[[Any], Any]]:
        """The handlers registered for ``event``'s kind."""
        kind = type(event)
        if kind is _METRICS_REPORT:
            return self.metrics_handlers
        if kind is Reconnected:
            return self.reconnected_handlers
        return self.notification_handlers

    def wants_iteration(self, event: Any) -> bool:
        """Whether ``event`` goes to the iteration queue.

        ``queue_events=None``: a notifier without handlers queues everything; one with
        handlers queues the kinds that have none only once it is being iterated, so a
        kind nobody consumes is never queued.
        """
        queue_events = self.queue_events
        if queue_events is not None:
            return queue_events
        if self.handlers_for(event):
            return False
        has_handlers = bool(
            self.notification_handlers or self.metrics_handlers or self.reconnected_handlers
        )
        return self.iterating or not has_handlers

    def accept(self, event: Any) -> bool:
        """Queue ``event`` where it has consumers; returns whether it was queued."""
        if self.handlers_for(event):
            self.pending.append(event)
            return True
        if self.wants_iteration(event):
            self.iteration.append(event)
            return True
        return False

    def handled(self, event: Any) -> bool:
        """Handlers are done with ``event``: queue it for iteration if wanted (returns that).

        An event with handlers reaches iterators only with ``queue_events=True``.
        """
        if self.queue_events:
            self.iteration.append(event)
            return True
        return False

    @property
    def queued(self) -> int:
        """Events waiting for handlers or iterators."""
        return len(self.pending) + len(self.iteration)

    @property
    def full(self) -> bool:
        """Whether reading must pause until consumers catch up."""
        return len(self.pending) + len(self.iteration) >= self.max_queue

    def paused(self, now: float) -> None:
        """Reading pauses for a full queue: count it and tell the operator.

        The warning is logged at the first pause and then at most every
        ``PAUSE_LOG_INTERVAL`` seconds (a burst pauses many times in a row).
        """
        self._paused += 1
        if now < self._next_pause_log:
            return
        self._next_pause_log = now + PAUSE_LOG_INTERVAL
        logger.warning(
            "slow consumer: %d events queued (max_queue=%d); paused reading the WebSocket "
            "until handlers or iterators catch up (the server buffers meanwhile; "
            "%d pauses so far)",
            self.queued,
            self.max_queue,
            self._paused,
        )

    def start_iterating(self, subscriptions: Iterable[Subscription]) -> None:
        """An iterator starts. Raises if every event goes to handlers (it would never yield)."""
        if self.queue_events is False:
            raise RuntimeError(
                "this notifier was created with queue_events=False: it cannot be iterated"
            )
        if self.queue_events is None:
            kinds = {
                Subscription.SERVER_NOTIFICATIONS: self.notification_handlers,
                Subscription.METRICS: self.metrics_handlers,
            }
            if all(kinds[kind] for kind in subscriptions):
                raise RuntimeError(
                    "every event this notifier receives goes to a handler, so iterating it "
                    "would never yield: pass queue_events=True to also iterate them"
                )
        self.iterating = True

    def drop_backlog(self) -> int:
        """The notifier closes: discard what is queued; returns (and logs) how many."""
        dropped = len(self.pending) + len(self.iteration)
        self.pending.clear()
        self.iteration.clear()
        if dropped:
            self._dropped += dropped
            logger.warning("notifier closed with %d events not yet consumed: dropped", dropped)
        return dropped

    def stats(self) -> NotifierStats:
        """A snapshot of the counters."""
        return NotifierStats(
            queued=self.queued,
            paused=self._paused,
            reconnects=self._reconnects,
            dropped=self._dropped,
            received=self._received,
        )
