"""Everything a notifier decides, once, without I/O, for both notifiers.

:class:`NotifierCore` is driven by the two shells (:mod:`._anyio` and :mod:`._blocking`),
which only open connections, move bytes, sleep, wake each other and call what the core
says. The core owns:

* the WebSocket upgrade (anyio: the request and the verdict on the answer; blocking:
  the verdict on what websocket-client accepted) and the frames: one wsproto
  :class:`~wsproto.connection.Connection` per connection, fed the bytes the shell read,
  with ``max_size`` enforced from the header of the frame in progress (wsproto's events
  say where every frame ends, so the core knows where the next header starts);
* the notification handshake and decoding (:class:`NotifierProtocol`, the one decoder);
* liveness: connect/auth/subscribe deadlines, pings, the subscribe-acknowledgement wait,
  the send deadline and the close grace, with ``now`` passed in;
* the verdict on every frame, close code and fault, and the error messages, written once;
* the reconnect decision: one "retryable?" verdict, the attempt count, the backoff delays;
* handler dispatch (which handlers, the :class:`~jellyfish.Router`'s included, what a
  failing or misplaced handler does);
* flow control: which events are queued, for whom, and when reading pauses (high-water
  mark) and resumes (low-water mark), as websockets' ``max_queue`` does;
* catch-up (``catch_up=True``): the :class:`~jellyfish.ServerState` its consumers hold
  (every event it queues is applied to it), when a connection must catch up, what a
  ``GET /room`` snapshot turns into (synthesized events, wrapped in a
  :class:`~jellyfish.Delivery`), which failures of that call are retried.

A shell's connection, in the core's terms::

    deadline = core.attempt_started(now)        # connect TCP/TLS within the deadline
    send(core.upgrade_request())                # anyio; blocking: core.upgrade_accepted(headers)
    while True:                                 # read within core.read_timeout(now)
        progress = core.receive(data, now)      # or core.resume() after a pause
        send(core.data_to_send())               # auth, subscribe, pongs, pings
        wake consumers per ``progress`` (DELIVERED, STATE_CHANGED)
        while core.catching_up:                 # catch_up=True, once ready: reading stops
            try: rooms = GET /room              # within core.timeouts.catch_up
            except JellyfishError as error: sleep(core.catch_up_failed(error))
            else: progress = core.caught_up(rooms, now)
    ...on any error: delay = core.connection_failed(error); sleep(delay)
"""

from __future__ import annotations

import inspect
import logging
from collections import deque
from collections.abc import Callable, Iterable, Iterator, Mapping
from typing import TYPE_CHECKING, Any, Final, TypeAlias

from wsproto.connection import Connection, ConnectionState, ConnectionType
from wsproto.events import (
    AcceptConnection,
    BytesMessage,
    CloseConnection,
    Ping,
    Pong,
    RejectConnection,
    Request,
    TextMessage,
)
from wsproto.handshake import H11Handshake
from wsproto.utilities import LocalProtocolError, RemoteProtocolError

from jellyfish._notifications._decoder import Notification, decode_fast
from jellyfish._notifications._protocol import (
    SERVER_WEBSOCKET_PATH,
    VIOLATION,
    NotifierProtocol,
    ReconnectPolicy,
    Subscription,
    Timeouts,
)
from jellyfish._notifications._protocol import (
    ConnectionState as ProtocolState,
)
from jellyfish._notifications._reports import NotifierStats, Reconnected
from jellyfish._routing import Delivery, Router
from jellyfish.errors import (
    ConnectionFailedError,
    InvalidTokenError,
    JellyfishError,
    NotifierClosedError,
    NotifierTimeoutError,
    ProtocolError,
    ServerError,
    ServiceUnavailableError,
    TLSError,
    TransportError,
)
from jellyfish.events._protos.jellyfish.server_notifications_pb2 import ServerMessage

if TYPE_CHECKING:  # loaded with catch_up=True only
    from jellyfish._catch_up import ServerState

__all__ = [
    "DEFAULT_MAX_QUEUE",
    "DEFAULT_MAX_SIZE",
    "DELIVERED",
    "STATE_CHANGED",
    "Event",
    "Handler",
    "Item",
    "NotifierCore",
    "NotifierStats",
    "Reconnected",
]

logger: Final = logging.getLogger("jellyfish.notifier")

DEFAULT_MAX_QUEUE: Final = 1024
"""Events that may wait for handlers and iterators before the notifier stops reading."""
DEFAULT_MAX_SIZE: Final = 1 << 20
"""The largest WebSocket message accepted, in bytes (Jellyfish's are well under 64 KiB)."""

PING_PAYLOAD: Final = b"jf"
PAUSE_LOG_INTERVAL: Final = 10.0
"""Seconds between two "paused reading" warnings."""
CATCH_UP_ATTEMPTS: Final = 3
"""Tries of a catch-up's ``GET /room`` on one connection (transport errors and 5xx)."""
READ_SIZE: Final = 65536
"""How many bytes a shell asks its socket for at once."""
MAX_UPGRADE_ANSWER: Final = 16384
"""The most bytes an upgrade answer's head may take (h11's own limit)."""

DELIVERED: Final = 1
"""Progress flag: events were queued for handlers or iterators (wake them)."""
STATE_CHANGED: Final = 2
"""Progress flag: the connection's state changed (wake ``wait_ready`` and ``subscribe``)."""

_METRICS_REPORT: Final = ServerMessage.MetricsReport
_READY: Final = ProtocolState.READY
_INFINITY: Final = float("inf")


Event: TypeAlias = Notification | Reconnected
"""Everything a notifier delivers: notifications, metrics reports and :class:`Reconnected`."""
Handler: TypeAlias = Callable[[Any], object]
"""A registered handler: called with one event; may return an awaitable (anyio notifier)."""
Item: TypeAlias = Event | Delivery
"""What the queues hold: an event as received, or the :class:`Delivery` of a synthesized one."""
_RETRIED_BY_CATCH_UP: Final = (TransportError, ServerError, ServiceUnavailableError)


def _frame_header(window: bytes, at: int) -> tuple[int, int, int] | None:
    """``(opcode, header size, payload size)`` of the frame header at ``window[at:]``.

    ``None`` while the header is not complete. Only called for a frame that wsproto has
    not refused at its header (so: unmasked, valid opcode, minimal length encoding).
    """
    if len(window) < at + 2:
        return None
    opcode, size = window[at] & 0x0F, window[at + 1] & 0x7F
    if size < 126:
        return opcode, 2, size
    header = 4 if size == 126 else 10
    if len(window) < at + header:
        return None
    return opcode, header, int.from_bytes(window[at + 2 : at + header], "big")


def _header_size(payload_size: int) -> int:
    """The header of an unmasked frame of ``payload_size`` bytes (RFC 6455: minimal)."""
    return 2 if payload_size < 126 else 4 if payload_size < 65536 else 10


HEADER_TAIL: Final = 14
"""Bytes kept from before the last read: a frame header may straddle two reads."""


def _water_marks(max_queue: int | tuple[int, int]) -> tuple[int, int]:
    """``max_queue`` -> (high, low): an int is the high-water mark, low = high // 4."""
    high, low = max_queue if isinstance(max_queue, tuple) else (max_queue, max_queue // 4)
    if high < 1:
        raise ValueError(f"max_queue must be >= 1, got {max_queue}")
    if not 0 <= low <= high:
        raise ValueError(f"max_queue's low-water mark must be between 0 and {high}, got {low}")
    return high, low


class NotifierCore:
    """The sans-I/O state of one notifier, across its connections (see the module doc)."""

    def __init__(
        self,
        protocol: NotifierProtocol,
        *,
        url: str,
        host_header: str,
        reconnect: ReconnectPolicy,
        timeouts: Timeouts,
        max_queue: int | tuple[int, int],
        max_size: int,
        queue_events: bool | None,
        catch_up: bool = False,
        router: Router | None = None,
    ) -> None:
        self.high_water, self.low_water = _water_marks(max_queue)
        if max_size < 1:
            raise ValueError(f"max_size must be >= 1, got {max_size}")
        self.protocol = protocol
        self.url = url
        self.host_header = host_header
        self.reconnect = reconnect
        self.timeouts = timeouts
        self.max_size = max_size
        self.queue_events = queue_events
        self.catch_up = catch_up
        self.router = router
        if router is None and not catch_up:
            self.handlers_for = self._handlers_of_kind  # type: ignore[method-assign]
        self.notification_handlers: list[Handler] = []
        self.metrics_handlers: list[Handler] = []
        self.reconnected_handlers: list[Handler] = []
        self.explicit_subscriptions: frozenset[Subscription] | None = None
        self.iterating = False
        self.paused = False
        """Reading is paused: the high-water mark was reached (see :attr:`resume_due`)."""
        self.state: ServerState | None = None
        """catch_up=True: what the consumers hold once they took every queued event."""
        self.catching_up = False
        """The connection is ready and must catch up (``GET /room``) before reading on."""
        # events for handlers, then (if iterated) for iterators; both count to max_queue
        self._pending: deque[Item] = deque()
        self._iteration: deque[Item] = deque()
        self._close_code = 1000
        self._deadline = _INFINITY
        self._handshake: H11Handshake | None = None
        self._answer = bytearray()
        self._ws: Connection | None = None
        self._fragments: list[bytes | bytearray] = []
        # Where frames start, to read the header of the one in progress (see _size_frame):
        # the stream position of the next frame no event has ended yet, the bytes of it
        # received so far, the last bytes fed and the stream position of their first.
        self._frame_start = 0
        self._frame_received = 0
        self._frame_sized = -1
        self._window = b""
        self._window_start = 0
        self._outgoing: list[bytes] = []
        self._ping_sent = False
        self._attempts = 0
        self._delays = reconnect.backoff()
        self._ever_ready = False
        self._ready_connection = 0
        self._last_error: JellyfishError | None = None
        self._final_error: JellyfishError | None = None
        self._subscribe_deadlines: dict[Subscription, float] = {}
        self._paused = 0
        self._next_pause_log = -_INFINITY
        self._reconnects = 0
        self._dropped = 0
        self._received = 0
        self._catch_ups = 0
        self._synthesized = 0
        self._catch_up_failures = 0
        self._catch_up_delays: Iterator[float] = iter(())

    # -- subscriptions ------------------------------------------------------------------

    def subscriptions(self) -> frozenset[Subscription]:
        """What is subscribed on every connection (0.4.0: the kinds that have handlers)."""
        if self.explicit_subscriptions is not None:
            return self.protocol.wanted | self.explicit_subscriptions
        kinds = set(self.protocol.wanted)
        router = self.router
        if self.notification_handlers or router:
            kinds.add(Subscription.SERVER_NOTIFICATIONS)
        if self.metrics_handlers or (router and router.registered_for(_METRICS_REPORT)):
            kinds.add(Subscription.METRICS)
        if not kinds:
            kinds.add(Subscription.SERVER_NOTIFICATIONS)
        return frozenset(kinds)

    def start(self) -> None:
        """A run (``connect()``) begins: fix the subscriptions, reset the retry budget.

        With ``catch_up``, the run's consumers start from nothing: its first catch-up
        delivers every room ``GET /room`` shows.
        """
        if self.catch_up:
            from jellyfish._catch_up import ServerState

            self.state = ServerState()
        for kind in self.subscriptions():
            self.protocol.subscribe(kind)
        self._attempts = 0
        self._delays = self.reconnect.backoff()
        self._ever_ready = False
        self._last_error = None
        self._final_error = None

    def request_subscription(self, kind: Subscription, now: float) -> float | None:
        """Add a subscription now and on every reconnect.

        Queues the request (see :meth:`data_to_send`) when connected and returns the
        deadline of its acknowledgement; ``None`` when there is nothing to wait for
        (not connected: it is sent after the next authentication; or already acknowledged).
        """
        frames = self.protocol.subscribe(kind)
        if self._ws is None or kind in self.protocol.acknowledged:
            return None
        deadline = now + self.timeouts.subscribe
        if frames:
            self._send_messages(frames)
            self._deadline = min(self._deadline, deadline)
        return self._subscribe_deadlines.setdefault(kind, deadline)

    def subscription_acknowledged(self, kind: Subscription, deadline: float, now: float) -> bool:
        """Whether the server acknowledged ``kind``; raises once ``deadline`` has passed.

        Raises:
            NotifierTimeoutError: no ``subscribe_response`` by the deadline.
        """
        if kind in self.protocol.acknowledged:
            return True
        if now >= deadline:
            raise NotifierTimeoutError(
                f"no acknowledgement of the {kind.name} subscription within "
                f"{self.timeouts.subscribe} s"
            )
        return False

    # -- one connection: upgrade --------------------------------------------------------------

    def attempt_started(self, now: float) -> float:
        """A connection attempt begins; returns its connect deadline (TCP + TLS + upgrade)."""
        self._ws = None
        self._handshake = None
        self.catching_up = False
        self._answer.clear()
        self._fragments.clear()
        self._outgoing.clear()
        self._ping_sent = False
        self._close_code = 1000
        self._subscribe_deadlines.clear()
        self._frame_start = self._frame_received = self._window_start = 0
        self._frame_sized = -1
        self._window = b""
        self._deadline = now + self.timeouts.connect
        return self._deadline

    def upgrade_request(self) -> bytes:
        """The HTTP request that upgrades the connection (feed the answer to :meth:`receive`)."""
        self._handshake = H11Handshake(ConnectionType.CLIENT)
        return self._handshake.send(Request(host=self.host_header, target=SERVER_WEBSOCKET_PATH))

    def upgrade_accepted(self, headers: Mapping[str, str], now: float) -> int:
        """Another library did the upgrade (blocking notifier): check what it accepted.

        ``headers`` are the answer's headers, names in lower case. websocket-client
        checks the status, ``Upgrade``, ``Connection`` and ``Sec-WebSocket-Accept``, but
        not that the server accepted only what was offered (nothing).

        Raises:
            ProtocolError: the server accepted an extension or a subprotocol.
        """
        for header, what in (
            ("sec-websocket-extensions", "extension"),
            ("sec-websocket-protocol", "subprotocol"),
        ):
            if headers.get(header):
                raise self.upgrade_violation(f"unrecognized {what} {headers[header]}")
        return self._open(b"", now)

    def _upgrade_answer(self, data: bytes, now: float) -> int:
        """Bytes of the answer to :meth:`upgrade_request`; opens the WebSocket once it is whole.

        Only the head goes to wsproto's handshake: what follows it is WebSocket data for
        this core's own connection (with the ``max_size`` limit).
        """
        handshake = self._handshake
        if handshake is None:
            raise RuntimeError("upgrade_request() was not called for this connection")
        answer = self._answer
        answer += data
        if not answer.startswith(b"HTTP/"[: len(answer)]):
            raise self.upgrade_violation(f"the answer is not HTTP: {bytes(answer[:40])!r}")
        end = answer.find(b"\r\n\r\n")
        if end < 0:
            if len(answer) > MAX_UPGRADE_ANSWER:
                raise self.upgrade_violation(f"no end of headers in {len(answer)} bytes")
            return 0
        try:
            handshake.receive_data(bytes(answer[: end + 4]))
            for event in handshake.events():
                if isinstance(event, AcceptConnection):
                    return self._open(bytes(answer[end + 4 :]), now)
                if isinstance(event, RejectConnection):
                    raise self.upgrade_refused(event.status_code)
        except RemoteProtocolError as error:
            raise self.upgrade_violation(str(error)) from None
        raise self.upgrade_violation("an HTTP answer that is no WebSocket upgrade")

    def _open(self, trailing: bytes, now: float) -> int:
        """The WebSocket is open: queue the ``auth_request``, then read what already came."""
        self._handshake = None
        self._ws = Connection(ConnectionType.CLIENT)
        self._deadline = now + self.timeouts.auth
        self._send_messages(self.protocol.connection_made())
        return STATE_CHANGED | (self.receive(trailing, now) if trailing else 0)

    @property
    def websocket_open(self) -> bool:
        """The WebSocket of the current connection is open (upgraded, not closed)."""
        return self._ws is not None

    @property
    def ready(self) -> bool:
        """Open, authenticated, every subscription acknowledged and (catch_up) caught up."""
        return self._ws is not None and self.protocol.ready and not self.catching_up

    # -- one connection: frames ---------------------------------------------------------------

    def receive(self, data: bytes, now: float) -> int:
        """Bytes read from the connection; returns progress flags.

        Raises the error that ends the connection (a violation, the server's close, a
        handshake failure). Stops early when the queue reaches its high-water mark
        (:attr:`paused`): the rest stays buffered until :meth:`resume`.
        """
        ws = self._ws
        if ws is None:
            return self._upgrade_answer(data, now)
        self._ping_sent = False
        window = self._window
        kept = window[-HEADER_TAIL:]
        self._window_start += len(window) - len(kept)
        self._window = kept + data
        ws.receive_data(data)
        return self._process(ws, now)

    def resume(self, now: float) -> int:
        """Consumers made room (:attr:`resume_due`): process what is buffered, read again."""
        self.paused = False
        if self._ws is None:
            return 0
        return self._process(self._ws, now)

    def _process(self, ws: Connection, now: float) -> int:
        progress = 0
        fragments = self._fragments
        protocol, accept = self.protocol, self.accept
        # Only this method adds to the queues while it runs (consumers only take), so
        # counting down from the room there is now never lets more than max_queue in.
        room = self.high_water - self.queued
        received = 0
        frame_start = self._frame_start
        try:
            for event in ws.events():
                if type(event) is BytesMessage:
                    payload = event.data
                    if not event.frame_finished or self._frame_received:
                        frame_start = self._frame_piece(frame_start, event)
                    else:  # a whole frame: it ends here
                        size = len(payload)
                        frame_start += size + 2 if size < 126 else self._whole_frame(size)
                    if not event.message_finished or fragments:
                        self._fragment(payload)
                        if not event.message_finished:
                            continue
                        payload = b"".join(fragments)
                        fragments.clear()
                    # the hot path, once ready: one decoder call (a bytearray is bytes-like)
                    if protocol.state is _READY:
                        notification = decode_fast(payload)  # type: ignore[arg-type]
                        if notification is not None:
                            received += 1
                    else:
                        notification = None
                    if notification is None:
                        notification = self._message(payload)
                        if notification is None:
                            progress |= self._handshake_progress(now)
                            if self.catching_up:  # the rest waits for caught_up()
                                return progress
                            room = self.high_water - self.queued
                            if room <= 0:
                                self._pause(now)
                                return progress
                            continue
                    if accept(notification):
                        progress |= DELIVERED
                        room -= 1
                        if room <= 0:
                            self._pause(now)
                            return progress
                elif isinstance(event, Ping):
                    frame_start += 2 + len(event.payload)
                    self._outgoing.append(ws.send(event.response()))
                elif isinstance(event, Pong):
                    frame_start += 2 + len(event.payload)
                elif isinstance(event, CloseConnection):
                    raise self._closed(ws, event)
                elif isinstance(event, TextMessage):
                    raise self.violation("the server sent a text frame", 1003)
        finally:
            self._received += received
            self._frame_start = frame_start
        self._size_frame()
        return progress

    def _frame_piece(self, frame_start: int, event: BytesMessage) -> int:
        """A piece of a frame whose payload came in several reads; where the next starts."""
        self._frame_received += len(event.data)
        if not event.frame_finished:
            return frame_start
        size, self._frame_received = self._frame_received, 0
        return frame_start + _header_size(size) + size

    def _whole_frame(self, size: int) -> int:
        """A frame of 126 bytes or more that came whole: check it; its length in the stream."""
        if size > self.max_size:
            raise self._too_big(sum(map(len, self._fragments)) + size)
        return _header_size(size) + size

    def _fragment(self, payload: bytes | bytearray) -> None:
        self._fragments.append(payload)
        total = sum(map(len, self._fragments))
        if total > self.max_size:
            raise self._too_big(total)

    def _size_frame(self) -> None:
        """Refuse the frame in progress from its header if it is over ``max_size``.

        That is the frame whose payload has not all come yet (or none of it): refused
        before its payload is read, if it takes its message over ``max_size``.
        """
        at = self._frame_start - self._window_start
        if self._frame_sized == self._frame_start or at >= len(self._window):
            return
        header = _frame_header(self._window, at)
        if header is None:
            return
        self._frame_sized = self._frame_start
        opcode, _, size = header
        if opcode >= 8:  # a control frame: 125 bytes at most (wsproto checks)
            return
        if opcode == 0:  # a continuation adds to the fragments before it
            size += sum(map(len, self._fragments)) - self._frame_received
        if size > self.max_size:
            raise self._too_big(size)

    def _too_big(self, size: int) -> ProtocolError:
        return self.violation(f"a message of {size} bytes exceeds max_size={self.max_size}", 1009)

    def _message(self, payload: bytes | bytearray) -> Notification | None:
        """A binary message off the hot path: its notification, or ``None``.

        ``None``: a handshake message was consumed, or an undecodable one was logged and
        dropped (the connection stays). A handshake violation raises ProtocolError.
        """
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

    def _handshake_progress(self, now: float) -> int:
        """After a handshake message: queue the subscribe requests, see whether it is ready."""
        protocol = self.protocol
        frames = protocol.data_to_send()
        if frames:
            self._send_messages(frames)
            self._deadline = now + self.timeouts.subscribe
        if not protocol.ready:
            return STATE_CHANGED
        self._deadline = _INFINITY
        if self._ready_connection == protocol.connections:
            return STATE_CHANGED
        self._ready_connection = protocol.connections
        return STATE_CHANGED | self._connection_ready()

    def _connection_ready(self) -> int:
        """The one place where a connection becomes ready (authenticated and subscribed).

        Whatever this queues reaches consumers before any live event of the new
        connection (the next frames are processed after it returns): the
        :class:`Reconnected` of a reconnect, then, with ``catch_up``, the events of the
        catch-up (:attr:`catching_up`: the shell reads ``GET /room`` and calls
        :meth:`caught_up`, which processes the frames that came after this point).
        """
        progress = 0
        if self._last_error is not None:
            self._reconnects += 1
            reconnected = Reconnected(self.protocol.connections, self._last_error)
            if self.accept(reconnected):
                progress = DELIVERED
        if self.state is None:
            self._established()
        else:
            self.catching_up = True
            self._catch_up_failures = 0
            self._catch_up_delays = self.reconnect.backoff()
        return progress

    def _established(self) -> None:
        """The connection is ready (and caught up): the retry budget starts over."""
        self._ever_ready = True
        self._attempts = 0
        self._delays = self.reconnect.backoff()

    # -- catch-up -----------------------------------------------------------------------------

    def caught_up(self, rooms: Iterable[Any], now: float) -> int:
        """The shell read ``GET /room`` (:attr:`catching_up`); returns progress flags.

        Queues the events that take the consumers from what they hold (:attr:`state`)
        to ``rooms`` (``get_all_rooms()``'s result), each in a :class:`Delivery` with
        ``synthetic=True``, then processes the frames that came after the connection got
        ready. The catch-up's events are queued together, even past ``max_queue``;
        reading pauses after them until the consumers made room.
        """
        from jellyfish._catch_up import ServerState

        state = self.state
        if state is None or not self.catching_up:
            raise RuntimeError("caught_up() without a catch-up in progress")
        deliveries = state.catch_up(ServerState.from_rooms(rooms))
        progress = STATE_CHANGED
        accept = self.accept
        for delivery in deliveries:
            if accept(delivery):
                progress |= DELIVERED
        self.catching_up = False
        self._catch_ups += 1
        self._synthesized += len(deliveries)
        self._established()
        logger.log(
            logging.INFO if deliveries else logging.DEBUG,
            "notifier caught up with GET /room: %d events synthesized",
            len(deliveries),
        )
        ws = self._ws
        if ws is None:
            return progress
        if self.queued >= self.high_water:
            self._pause(now)
            return progress
        return progress | self._process(ws, now)

    def catch_up_failed(self, error: JellyfishError) -> float:
        """The catch-up's ``GET /room`` failed: the delay before trying again, or raise.

        Transport errors and 5xx answers are tried again, ``CATCH_UP_ATTEMPTS`` times in
        all, with the reconnect policy's backoff. Then ``error`` ends the connection and
        the reconnect policy takes over (the next connection catches up again; the last
        error is raised once the policy gives up). Any other error (e.g. an HTTP 401) is
        final: it is raised by ``connect()``, iteration and ``wait_ready()``.

        Raises:
            JellyfishError: ``error``, to end the connection.
        """
        self._catch_up_failures += 1
        if not isinstance(error, _RETRIED_BY_CATCH_UP):
            logger.error("catch-up failed: GET /room: %s (not retried)", error)
            self._final_error = error
            raise error
        if self._catch_up_failures >= CATCH_UP_ATTEMPTS:
            logger.warning(
                "catch-up failed %d times (GET /room: %s): dropping the connection",
                self._catch_up_failures,
                error,
            )
            raise error
        delay = next(self._catch_up_delays)
        logger.warning("catch-up: GET /room failed (%s); trying again in %.2fs", error, delay)
        return delay

    def _closed(self, ws: Connection, event: CloseConnection) -> JellyfishError:
        """A close event: wsproto found a violation (still open), or the server closed."""
        if ws.state is ConnectionState.OPEN:
            return self.violation(event.reason or f"code {event.code}", event.code)
        self._outgoing.append(ws.send(event.response()))
        error, retryable = self.protocol.connection_lost(event.code, event.reason or "")
        if not retryable:
            self._final_error = error
        return error

    def _send_messages(self, messages: Iterable[bytes]) -> None:
        ws = self._ws
        if ws is not None:
            self._outgoing.extend(ws.send(BytesMessage(data=message)) for message in messages)

    def data_to_send(self) -> bytes:
        """The bytes to write now (upgrade request excepted): auth, subscribe, pong, ping."""
        outgoing = self._outgoing
        if not outgoing:
            return b""
        data = b"".join(outgoing)
        outgoing.clear()
        return data

    def closing_frame(self) -> bytes:
        """What to send before closing the connection: a close frame, if still open."""
        ws, self._ws = self._ws, None
        if ws is None or ws.state is not ConnectionState.OPEN:
            return b""
        try:
            return ws.send(CloseConnection(code=self._close_code))
        except LocalProtocolError:
            return b""

    # -- liveness -----------------------------------------------------------------------------

    def read_timeout(self, now: float) -> float:
        """How long, in seconds, the next read may block."""
        if self._ws is None:
            return max(0.0, self._deadline - now)
        timeouts = self.timeouts
        idle = timeouts.ping_timeout if self._ping_sent else timeouts.ping_interval
        return max(0.0, min(self._deadline - now, idle))

    def read_timed_out(self, now: float) -> None:
        """A read timed out: queues a ping (see :meth:`data_to_send`), or raises.

        Raises:
            NotifierTimeoutError: a connect/auth/subscribe deadline passed, or a ping
                got no answer (the connection is dead).
        """
        ws = self._ws
        if ws is None:
            raise self.connect_timed_out()
        if now >= self._deadline:
            if not self.protocol.authenticated:
                raise NotifierTimeoutError("timed out waiting for 'authenticated'")
            raise NotifierTimeoutError("timed out waiting for 'subscribe_response'")
        if self._ping_sent:
            raise NotifierTimeoutError("no answer to ping: the connection is dead")
        self._ping_sent = True
        self._outgoing.append(ws.send(Ping(payload=PING_PAYLOAD)))

    @property
    def send_timeout(self) -> float:
        """How long one write may take before the connection counts as dead."""
        return self.timeouts.send

    @property
    def close_grace(self) -> float:
        """After ``close()``: how long a running handler may finish, and the close be sent.

        The anyio notifier then cancels the handler; the blocking one stops waiting for
        it (a thread cannot be cancelled) and its ``close()`` returns.
        """
        return self.timeouts.close

    # -- verdicts and their errors --------------------------------------------------------------

    def violation(self, description: str, close_code: int = 1002) -> ProtocolError:
        """The error for a protocol violation the client detected (and the close to send)."""
        self._close_code = close_code
        return ProtocolError(f"{VIOLATION}: {description}")

    def upgrade_violation(self, description: str) -> ProtocolError:
        """The server's answer to the WebSocket upgrade is not a valid upgrade. Retryable."""
        return ProtocolError(f"{VIOLATION}: invalid WebSocket upgrade answer: {description}")

    def upgrade_refused(self, status: int) -> ConnectionFailedError:
        """The server answered the WebSocket upgrade with HTTP ``status``."""
        return ConnectionFailedError(
            f"the server refused the WebSocket upgrade (HTTP {status})", self.url
        )

    def connect_timed_out(self) -> NotifierTimeoutError:
        """TCP, TLS and the WebSocket upgrade together took longer than ``timeouts.connect``."""
        return NotifierTimeoutError(f"timed out connecting to {self.url}")

    def send_timed_out(self) -> NotifierTimeoutError:
        """A write took longer than ``timeouts.send``: the server stopped reading."""
        return NotifierTimeoutError(
            f"timed out sending to the server ({self.timeouts.send} s): it stopped reading"
        )

    def connect_failed(self, error: BaseException) -> ConnectionFailedError | TLSError:
        """The TCP/TLS connection could not be made (refused, unreachable, bad certificate)."""
        import ssl  # here: ssl costs ~10 ms at import, and only a failed connect needs it

        if isinstance(error, ssl.SSLError):
            return TLSError(f"the TLS handshake failed: {error}", self.url)
        return ConnectionFailedError(f"cannot connect to the server: {error}", self.url)

    def broken(self, error: BaseException) -> NotifierClosedError:
        """The connection broke (reset, closed under us) without a close frame."""
        return NotifierClosedError(f"the connection broke: {error!r}")

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
        self._ws = None
        self.protocol.state = ProtocolState.IDLE
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

    # -- handlers ---------------------------------------------------------------------------------

    def handlers_for(self, item: Item) -> list[Handler]:
        """The handlers of a queued item, in the order they run (the one dispatch lookup).

        Each is called with the bare event (``item.event`` of a :class:`Delivery`): first
        the ``on_*`` handlers of its kind, then the router's that match it (bound to the
        :class:`Delivery` if they take it).
        """
        if isinstance(item, Delivery):
            event, delivery = item.event, item
        else:
            event, delivery = item, None
        handlers = self._handlers_of_kind(event)
        router = self.router
        if router is None:
            return handlers
        routed = router.handlers_for(event, delivery)
        return handlers + routed if routed else handlers

    def _handlers_of_kind(self, item: Item) -> list[Handler]:
        """The ``on_*`` handlers of an event's kind.

        Without a router and a catch-up (0.4.0's notifier) every item is a bare event that
        no route can match: then this is :meth:`handlers_for` (see ``__init__``), the hot
        path of every event (``accept`` and the dispatchers call it).
        """
        kind = type(item)
        if kind is _METRICS_REPORT:
            return self.metrics_handlers
        if kind is Reconnected:
            return self.reconnected_handlers
        return self.notification_handlers

    @property
    def has_handlers(self) -> bool:
        """Some handler is registered (``on_*``, or a router with a route)."""
        return bool(
            self.notification_handlers
            or self.metrics_handlers
            or self.reconnected_handlers
            or self.router
        )

    def handler_failed(self, handler: Handler) -> None:
        """Inside ``except``: a handler (or what it returned, awaited) raised.

        It is logged on ``jellyfish.notifier`` and the stream goes on: the other handlers
        of the event run, and the next events.
        """
        logger.exception("notification handler %r failed", handler)

    def handler_returned(self, handler: Handler, result: object) -> None:
        """The blocking notifier got ``result`` from a handler: an awaitable cannot run.

        Closes it (no "never awaited" warning) and says to use ``jellyfish.Notifier``.
        """
        if inspect.isawaitable(result):
            close = getattr(result, "close", None)
            if close is not None:
                close()
            logger.error("handler %r is async: use jellyfish.Notifier for async handlers", handler)

    # -- queues and flow control ------------------------------------------------------------------

    def accept(self, item: Item) -> bool:
        """Queue an event (or a synthesized one's :class:`Delivery`) where it has consumers.

        Returns whether it was queued. ``queue_events=None``: a notifier without handlers
        queues everything; one with handlers queues what has none only once it is being
        iterated, so a kind nobody consumes is never queued. With ``catch_up``, what is
        queued is applied to :attr:`state`.
        """
        if self.handlers_for(item):
            self._pending.append(item)
        else:
            queue_events = self.queue_events
            if queue_events is None:
                queue_events = self.iterating or not self.has_handlers
            if not queue_events:
                return False
            self._iteration.append(item)
        state = self.state
        if state is not None:
            state.apply(item.event if isinstance(item, Delivery) else item)
        return True

    def next_for_handlers(self) -> Item | None:
        """The oldest item waiting for its handlers (then call :meth:`handled`)."""
        return self._pending.popleft() if self._pending else None

    def handled(self, item: Item) -> bool:
        """Handlers are done with ``item``: queue it for iteration if wanted (returns that).

        An event with handlers reaches iterators only with ``queue_events=True``.
        """
        if self.queue_events:
            self._iteration.append(item)
            return True
        return False

    def next_for_iteration(self) -> Item | None:
        """The oldest item waiting for the iterator (``deliveries()`` yields it wrapped)."""
        return self._iteration.popleft() if self._iteration else None

    @property
    def handlers_waiting(self) -> bool:
        """Events are waiting for their handlers."""
        return bool(self._pending)

    @property
    def queued(self) -> int:
        """Events waiting for handlers or iterators."""
        return len(self._pending) + len(self._iteration)

    @property
    def resume_due(self) -> bool:
        """Reading is paused and the queue is down to the low-water mark: resume it."""
        return self.paused and len(self._pending) + len(self._iteration) <= self.low_water

    def _pause(self, now: float) -> None:
        """Reading pauses for a full queue: count it and tell the operator.

        The warning is logged at the first pause and then at most every
        ``PAUSE_LOG_INTERVAL`` seconds (a burst pauses many times in a row).
        """
        self.paused = True
        self._paused += 1
        if now < self._next_pause_log:
            return
        self._next_pause_log = now + PAUSE_LOG_INTERVAL
        logger.warning(
            "slow consumer: %d events queued (max_queue=%d); paused reading the WebSocket "
            "until handlers or iterators catch up (the server buffers meanwhile; "
            "%d pauses so far)",
            self.queued,
            self.high_water,
            self._paused,
        )

    def start_iterating(self, subscriptions: Iterable[Subscription]) -> None:
        """An iterator starts. Raises if every event goes to handlers (it would never yield)."""
        if self.queue_events is False:
            raise RuntimeError(
                "this notifier was created with queue_events=False: it cannot be iterated"
            )
        if self.queue_events is None:
            router = self.router
            kinds = {
                Subscription.SERVER_NOTIFICATIONS: bool(
                    self.notification_handlers or (router and router.takes_every(object))
                ),
                Subscription.METRICS: bool(
                    self.metrics_handlers or (router and router.takes_every(_METRICS_REPORT))
                ),
            }
            if all(kinds[kind] for kind in subscriptions):
                raise RuntimeError(
                    "every event this notifier receives goes to a handler, so iterating it "
                    "would never yield: pass queue_events=True to also iterate them"
                )
        self.iterating = True

    def concurrent_iteration(self, notifier: str) -> RuntimeError:
        """A second consumer iterates while one already waits: the error it gets at once."""
        return RuntimeError(
            f"another consumer is already iterating this {notifier}: each event is "
            "delivered once, to one iterator; iterate in one task (or thread) and hand "
            "the events on, or register handlers (every handler gets every event)"
        )

    def drop_backlog(self) -> int:
        """The notifier closes: discard what is queued; returns (and logs) how many.

        Logged at INFO: closing with events left (leaving a loop with ``break``) is the
        caller's decision, not a fault; ``stats.dropped`` counts them.
        """
        dropped = len(self._pending) + len(self._iteration)
        self._pending.clear()
        self._iteration.clear()
        self.paused = False
        if dropped:
            self._dropped += dropped
            logger.info("notifier closed with %d events not yet consumed: dropped", dropped)
        return dropped

    def stats(self) -> NotifierStats:
        """A snapshot of the counters."""
        return NotifierStats(
            queued=self.queued,
            paused=self._paused,
            reconnects=self._reconnects,
            dropped=self._dropped,
            received=self._received,
            catch_ups=self._catch_ups,
            synthesized=self._synthesized,
        )


def wrap(item: Item) -> Delivery:
    """The :class:`Delivery` of a queued item (what ``deliveries()`` yields)."""
    return item if isinstance(item, Delivery) else Delivery(item)
