"""What the anyio and the blocking notifier share: options, handlers, addresses, state."""

from __future__ import annotations

import sys
from collections.abc import Callable, Iterable
from typing import TYPE_CHECKING, Any, TypeVar

from jellyfish._notifications._core import (
    DEFAULT_MAX_QUEUE,
    DEFAULT_MAX_SIZE,
    NotifierCore,
    NotifierStats,
    Reconnected,
    logger,
)
from jellyfish._notifications._protocol import (
    NotifierProtocol,
    ReconnectPolicy,
    Subscription,
    Timeouts,
    server_websocket_url,
)
from jellyfish._settings import Secret, parse_address, resolve_settings
from jellyfish.errors import JellyfishError, NotifierClosedError, NotifierTimeoutError

if TYPE_CHECKING:  # ssl costs ~10 ms at import; only TLS connections need it
    import ssl

    from jellyfish._routing import Router

__all__ = [
    "NotifierBase",
    "Reconnected",
    "ThreadSafeCall",
    "logger",
    "parse_subscriptions",
    "running_event_loop",
    "split_address",
]

HandlerT = TypeVar("HandlerT", bound=Callable[..., Any])

SubscriptionLike = Subscription | int | str
ThreadSafeCall = Callable[[Callable[[], object]], object]


def running_event_loop() -> tuple[str, ThreadSafeCall] | None:
    """The event loop running in this thread: its name, and how another thread calls into it.

    Looks only at libraries already imported (no loop runs without its library).
    """
    # getattr: a library that another thread is still importing has no loop running here
    get_running_loop = getattr(sys.modules.get("asyncio"), "get_running_loop", None)
    if get_running_loop is not None:
        try:
            loop = get_running_loop()
        except RuntimeError:
            pass
        else:
            return "asyncio", loop.call_soon_threadsafe
    trio_lowlevel = getattr(sys.modules.get("trio"), "lowlevel", None)
    current_trio_token = getattr(trio_lowlevel, "current_trio_token", None)
    if current_trio_token is not None:
        try:
            token = current_trio_token()
        except RuntimeError:
            pass
        else:
            return "trio", token.run_sync_soon
    return None


def split_address(server_address: str, secure: bool) -> tuple[str, int, str]:
    """``"host:port"`` -> ``(host, port, Host header)``; IPv6 as ``"[::1]:5002"``.

    The address is read by the one rule of ``jellyfish._settings.parse_address`` (a
    scheme, if any, must agree with ``secure``); the port defaults to 443/80.
    """
    address = parse_address(server_address)
    if address.secure is not None and address.secure != secure:
        raise ValueError(f"server_address {server_address!r} contradicts secure={secure}")
    port = address.port if address.port is not None else (443 if secure else 80)
    return address.host, port, address.host_port


def parse_subscriptions(
    subscribe: SubscriptionLike | Iterable[SubscriptionLike],
) -> frozenset[Subscription]:
    """``subscribe=``: one subscription (``"metrics"``) or several (``["metrics", 1]``)."""
    if isinstance(subscribe, str | int):
        return frozenset({Subscription.parse(subscribe)})
    return frozenset(Subscription.parse(kind) for kind in subscribe)


class NotifierBase:
    """The constructor, handler registration and state, shared by both notifiers.

    Args:
        server_address: ``host:port`` of Jellyfish, or a URL without a path
            (``ws://``/``wss://``, ``http://``/``https://``) whose scheme sets ``secure``.
            Default: ``JELLYFISH_ADDRESS``, else ``localhost:5002``.
        server_api_token: the server API token (``JF_SERVER_API_TOKEN``). Default:
            ``JELLYFISH_TOKEN``, else ``development``.
        secure: ``True`` for ``wss://``. Default: ``JELLYFISH_SECURE``, else ``False``.
        subscribe: what to subscribe to: one (``"metrics"``) or several
            (``("server_notifications", "metrics")``). By default: the kinds that have
            handlers when connecting (as in 0.4.0), or server notifications when there
            are none.
        reconnect: the :class:`ReconnectPolicy` (default: exponential backoff with
            jitter, forever, after a first successful connection). ``NO_RECONNECT``
            disables reconnecting.
        timeouts: connect/auth/subscribe/ping/send deadlines and the close grace
            (:class:`Timeouts`).
        ssl_context: the TLS context for ``secure=True`` (default: system CAs).
        queue_events: whether events go to the iteration queue: ``None`` (default)
            queues everything if there are no handlers, else the kinds without a handler
            once the notifier is iterated; ``True`` all; ``False`` none.
        max_queue: how many events may wait for handlers and iterators together
            (default 1024). When that many wait, the notifier stops reading the
            WebSocket until they are down to a quarter of it (see ``stats.paused``); a
            ``(high, low)`` pair sets both marks, as in websockets.
        max_size: the largest WebSocket message accepted, in bytes (default 1 MiB); a
            frame announcing more is refused from its header and drops the connection
            (a reconnect follows, by policy).
        catch_up: after each connection gets ready (the first one and every reconnect),
            read ``GET /room`` and deliver the events that take the consumers from what
            they were delivered so far to it, synthesized (``Delivery.synthetic``), before
            any later notification. Each run starts from nothing, so its first catch-up
            delivers every room. Off by default.
        router: a :class:`jellyfish.Router` whose matching handlers run for each event,
            after the ``on_*`` handlers.
    """

    def __init__(
        self,
        server_address: str | None = None,
        server_api_token: str | None = None,
        secure: bool | None = None,
        *,
        subscribe: SubscriptionLike | Iterable[SubscriptionLike] | None = None,
        reconnect: ReconnectPolicy | None = None,
        timeouts: Timeouts | None = None,
        ssl_context: ssl.SSLContext | None = None,
        queue_events: bool | None = None,
        max_queue: int | tuple[int, int] = DEFAULT_MAX_QUEUE,
        max_size: int = DEFAULT_MAX_SIZE,
        catch_up: bool = False,
        router: Router | None = None,
    ) -> None:
        # first: from here on only a Secret (whose repr hides it) holds the token, so a crash
        # report with the locals of a failing constructor cannot show it
        token = Secret.of(server_api_token)
        del server_api_token
        # then what repr(self) needs in a traceback of a failing constructor
        self._running = False
        self._closing = False
        self._finished = False
        self._failure: JellyfishError | None = None
        self._address = server_address
        self._secure = bool(secure)
        settings = resolve_settings(server_address, token, secure)
        self._address = settings.server_address
        self._secure = settings.secure
        self._url = server_websocket_url(self._address, self._secure)
        self._host, self._port, host_header = split_address(self._address, self._secure)
        self._ssl_context = ssl_context
        self._settings = settings
        self._timeouts = timeouts if timeouts is not None else Timeouts()
        self._core = NotifierCore(
            NotifierProtocol(settings.server_api_token),
            url=self._url,
            host_header=host_header,
            reconnect=reconnect if reconnect is not None else ReconnectPolicy(),
            timeouts=self._timeouts,
            max_queue=max_queue,
            max_size=max_size,
            queue_events=queue_events,
            catch_up=catch_up,
            router=router,
        )
        if subscribe is not None:
            self._core.explicit_subscriptions = parse_subscriptions(subscribe)
        self._protocol = self._core.protocol
        self._init_shell()

    def _init_shell(self) -> None:
        """The shell's own I/O state."""

    def _room_api_options(self) -> dict[str, Any]:
        """How a catch-up's REST client reaches the server: the notifier's own settings.

        The address, scheme and TLS context of the WebSocket (its CAs: the system's unless
        ``ssl_context`` says otherwise), one try within ``timeouts.catch_up``, no cluster
        routing (``GET /room`` of the node this notifier follows). The token is added
        where the client is built.
        """
        import ssl

        settings = self._settings
        return {
            "server_address": settings.server_address,
            "secure": settings.secure,
            # plain http needs no certificates: loading them would cost ~20 ms per catch-up
            "verify": (self._ssl_context or ssl.create_default_context())
            if settings.secure
            else False,
            "timeout": self._timeouts.catch_up,
            "cluster_routing": False,
        }

    def __repr__(self) -> str:
        return (
            f"{type(self).__name__}(server_address={self._address!r}, "
            f"secure={self._secure}, state={self.state!r})"
        )

    @property
    def url(self) -> str:
        """The server WebSocket URL (``ws[s]://host:port/socket/server/websocket``)."""
        return self._url

    @property
    def ready(self) -> bool:
        """Connected, authenticated and every subscription acknowledged."""
        return self._running and self._core.ready

    @property
    def state(self) -> str:
        """One of idle, connecting, ready, closing, closed, failed."""
        if self._running:
            if self._closing:
                return "closing"
            return "ready" if self.ready else "connecting"
        if self._failure is not None:
            return "failed"
        return "closed" if self._finished or self._closing else "idle"

    @property
    def stats(self) -> NotifierStats:
        """Counters for operators: queued, paused, reconnects, dropped, received."""
        return self._core.stats()

    @property
    def subscriptions(self) -> frozenset[Subscription]:
        """What this notifier subscribes to on every connection."""
        return self._core.subscriptions()

    def on_server_notification(self, handler: HandlerT) -> HandlerT:
        """Decorator: call ``handler(notification)`` for every server notification.

        That is every notification except ``MetricsReport`` (including
        :class:`jellyfish.events.UnknownNotification` from a newer server). Several
        handlers may be registered; they run in registration order. ``async def``
        handlers are awaited (anyio notifier). An exception in a handler is logged on
        the ``jellyfish.notifier`` logger and does not stop the notifier.
        """
        self._core.notification_handlers.append(handler)
        return handler

    def on_metrics(self, handler: HandlerT) -> HandlerT:
        """Decorator: call ``handler(report)`` for every ``MetricsReport``.

        Registering a metrics handler before connecting subscribes to metrics (as in
        0.4.0); see also ``subscribe=`` and ``subscribe_metrics()``.
        """
        self._core.metrics_handlers.append(handler)
        return handler

    def on_reconnected(self, handler: HandlerT) -> HandlerT:
        """Decorator: call ``handler(info: Reconnected)`` after every successful reconnect.

        Notifications sent while the notifier was disconnected are lost: use this hook
        to resynchronise (for example with ``RoomApi.get_all_rooms()``).
        """
        self._core.reconnected_handlers.append(handler)
        return handler

    # -- the life of a run (the shell holds its lock, if it has one) -------------------------

    def _restart(self) -> None:
        """An explicit start (``async with``, ``start()``): a close requested before is past."""
        self._closing = False
        self._finished = False
        self._failure = None

    def _run_starting(self) -> bool:
        """``connect()`` begins; returns ``False`` if a close was requested before it ran."""
        if self._running:
            raise RuntimeError(f"this {type(self).__name__} is already running")
        self._running = True
        self._finished = False
        self._failure = None
        self._core.start()
        return not self._closing

    def _run_finished(self, failure: JellyfishError | None) -> JellyfishError | None:
        """``connect()`` ends: record why; returns the error it must raise, if any.

        A close (requested, or the run cancelled) is consumed here: the next
        ``connect()`` runs again.
        """
        self._running = False
        self._finished = True
        if self._closing:
            self._core.drop_backlog()
            failure = None
        elif failure is None:
            failure = NotifierClosedError("the notifier stopped")
        self._closing = False
        self._failure = failure
        return failure

    def _iteration_over(self) -> bool:
        """Whether an iterator that found no event must end (raising the failure, if any)."""
        if self._closing:
            return True
        if self._finished and not self._running:
            if self._failure is not None:
                raise self._failure
            return True
        return False

    def _stopped(self) -> JellyfishError:
        """What waiting for a stopped notifier raises: why it stopped, or that it was closed."""
        return self._failure or NotifierClosedError("the notifier is closed")

    def _not_ready_in_time(self, timeout: float | None) -> NotifierTimeoutError:
        return NotifierTimeoutError(f"the notifier was not ready within {timeout} s ({self.state})")

    def _start_iterating(self) -> None:
        if not self._core.iterating:
            self._core.start_iterating(self.subscriptions)
