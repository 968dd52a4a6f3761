"""Typed routing: one handler API for every source of notifications.

A :class:`Router` maps notification types (and optionally a room, peer or component) to
handlers. It is written once and used by every source: webhooks
(``router.dispatch(receive_webhook(...))``), the Redis :class:`jellyfish.redis.StreamConsumer`
and :class:`jellyfish.redis.BlockingStreamConsumer`, and any loop over a notifier
(``await router.adispatch(event)``). :meth:`Router.handlers_for` gives the handlers of one
event, for a source that calls them itself.

A :class:`Delivery` is the envelope a source wraps around an event: the protobuf object
stays untouched, and the envelope tells whether the event was synthesized by a catch-up,
its sequence in a stream, and how often it was delivered.
"""

from __future__ import annotations

import functools
import inspect
from collections.abc import Awaitable, Callable, Collection
from dataclasses import dataclass
from typing import Any, Literal, TypeVar

__all__ = ["Delivery", "Router"]

Source = Literal["websocket", "webhook", "catch_up", "stream"]

HandlerT = TypeVar("HandlerT", bound=Callable[..., Any])
Filter = str | Collection[str] | None


@dataclass(frozen=True, slots=True)
class Delivery:
    """One event as a source delivered it: the event and what the source knows about it.

    Attributes:
        event: the notification, unchanged (a ``jellyfish.events`` protobuf object,
            ``UnknownNotification`` or ``Reconnected``).
        synthetic: ``True`` for an event a catch-up synthesized from the server's state
            (``GET /room``) instead of receiving it from Jellyfish.
        source: ``"websocket"``, ``"webhook"``, ``"catch_up"`` or ``"stream"`` (read from
            a Redis stream).
        sequence: the event's position in the Redis stream (gapless, increasing; ``None``
            for events that did not come from a stream).
        entry_id: the Redis stream entry id, or ``None``.
        delivery_count: how many times the stream handed this entry to a consumer (more
            than 1 after a consumer died or failed while handling it).
    """

    event: Any
    synthetic: bool = False
    source: Source = "websocket"
    sequence: int | None = None
    entry_id: str | None = None
    delivery_count: int = 1

    @property
    def redelivered(self) -> bool:
        """Whether a consumer got this entry before (and did not acknowledge it)."""
        return self.delivery_count > 1


def _as_set(value: Filter, name: str) -> frozenset[str] | None:
    if value is None:
        return None
    if isinstance(value, str):
        return frozenset({value})
    values = frozenset(value)
    if not values or not all(isinstance(v, str) for v in values):
        raise TypeError(f"{name} must be a string or a non-empty collection of strings")
    return values


def _takes_delivery(handler: Callable[..., Any]) -> bool:
    """Whether ``handler`` accepts a second positional argument (the :class:`Delivery`)."""
    try:
        signature = inspect.signature(handler)
    except (TypeError, ValueError):  # some builtins have no signature: call them with one
        return False
    positional = 0
    for parameter in signature.parameters.values():
        if parameter.kind is parameter.VAR_POSITIONAL:
            return True
        if parameter.kind in (parameter.POSITIONAL_ONLY, parameter.POSITIONAL_OR_KEYWORD):
            positional += 1
    if positional == 0:
        raise TypeError(f"handler {handler!r} must accept the event as a positional argument")
    return positional >= 2


@dataclass(frozen=True, slots=True)
class _Route:
    types: tuple[type, ...]
    room_ids: frozenset[str] | None
    peer_ids: frozenset[str] | None
    component_ids: frozenset[str] | None
    synthetic: bool | None
    handler: Callable[..., Any]
    takes_delivery: bool

    def matches(self, event: Any, delivery: Delivery | None) -> bool:
        if self.types and not isinstance(event, self.types):
            return False
        if self.synthetic is not None and (delivery is not None and delivery.synthetic) != (
            self.synthetic
        ):
            return False
        for wanted, field in (
            (self.room_ids, "room_id"),
            (self.peer_ids, "peer_id"),
            (self.component_ids, "component_id"),
        ):
            if wanted is not None and getattr(event, field, None) not in wanted:
                return False
        return True


class Router:
    """Handlers by notification type, with optional room/peer/component filters.

    Example::

        from jellyfish import Router
        from jellyfish.events import ServerMessagePeerConnected, ServerMessageRoomCreated

        events = Router()

        @events.on(ServerMessagePeerConnected, room_id="lobby")
        async def greet(event):
            ...

        @events.on(ServerMessageRoomCreated)
        def remember(event, delivery):  # a second parameter receives the Delivery
            print(event.room_id, delivery.synthetic, delivery.sequence)

    Several handlers may match one event: they run in registration order. ``async def``
    handlers are awaited by :meth:`adispatch` (asyncio or trio); :meth:`dispatch` runs
    plain handlers and refuses an ``async def`` one with ``TypeError``. An exception in a
    handler propagates out of ``dispatch``/``adispatch`` and the later handlers do not run:
    a stream consumer then leaves the event unacknowledged, so it is delivered again.
    """

    def __init__(self) -> None:
        self._routes: list[_Route] = []

    def __repr__(self) -> str:
        return f"Router({len(self._routes)} handlers)"

    def __len__(self) -> int:
        return len(self._routes)

    def on(
        self,
        *types: type,
        room_id: Filter = None,
        peer_id: Filter = None,
        component_id: Filter = None,
        synthetic: bool | None = None,
    ) -> Callable[[HandlerT], HandlerT]:
        """Decorator: call the handler for events of ``types`` that pass the filters.

        Args:
            types: notification classes (e.g. ``ServerMessagePeerConnected``,
                ``UnknownNotification``, ``Reconnected``); none means every event.
            room_id: only events of this room (a string, or a collection of them).
            peer_id: only events of this peer (``Track*`` events of a peer included).
            component_id: only events of this component.
            synthetic: ``True`` only events a catch-up synthesized, ``False`` only real
                ones; ``None`` (default) both.

        The handler is called as ``handler(event)``, or ``handler(event, delivery)``
        when it accepts two positional arguments.
        """

        def register(handler: HandlerT) -> HandlerT:
            self.add(
                handler,
                *types,
                room_id=room_id,
                peer_id=peer_id,
                component_id=component_id,
                synthetic=synthetic,
            )
            return handler

        return register

    def add(
        self,
        handler: Callable[..., Any],
        *types: type,
        room_id: Filter = None,
        peer_id: Filter = None,
        component_id: Filter = None,
        synthetic: bool | None = None,
    ) -> None:
        """Register ``handler`` as :meth:`on` does, without a decorator."""
        if not callable(handler):
            raise TypeError(f"a handler must be callable, got {handler!r}")
        for kind in types:
            if not isinstance(kind, type):
                raise TypeError(f"on() takes notification classes, got {kind!r}")
        self._routes.append(
            _Route(
                types=tuple(types),
                room_ids=_as_set(room_id, "room_id"),
                peer_ids=_as_set(peer_id, "peer_id"),
                component_ids=_as_set(component_id, "component_id"),
                synthetic=synthetic,
                handler=handler,
                takes_delivery=_takes_delivery(handler),
            )
        )

    def handlers_for(
        self, event: Any, delivery: Delivery | None = None
    ) -> list[Callable[[Any], Any]]:
        """The handlers ``event`` goes to, in registration order, each called as ``h(event)``.

        A handler that takes the :class:`Delivery` comes bound to ``delivery`` (or to a
        ``Delivery(event)`` when none is given). The results of ``async def`` handlers
        are awaitables: the caller awaits them.
        """
        selected: list[Callable[[Any], Any]] = []
        for route in self._routes:
            if route.matches(event, delivery):
                if route.takes_delivery:
                    envelope = delivery if delivery is not None else Delivery(event)
                    selected.append(functools.partial(_call_with, route.handler, envelope))
                else:
                    selected.append(route.handler)
        return selected

    def registered_for(self, kind: type) -> bool:
        """Whether a handler names ``kind`` among its types (a source subscribes to it)."""
        return any(kind in route.types for route in self._routes)

    def takes_every(self, kind: type) -> bool:
        """Whether every event of ``kind``, real or synthesized, has a handler here.

        That is a handler registered for ``kind`` (or one of its bases, or every type)
        without a room, peer, component or ``synthetic`` filter. ``takes_every(object)``:
        a handler takes every event.
        """
        return any(
            (not route.types or issubclass(kind, route.types))
            and route.room_ids is None
            and route.peer_ids is None
            and route.component_ids is None
            and route.synthetic is None
            for route in self._routes
        )

    def async_handlers(self) -> list[Callable[..., Any]]:
        """The handlers defined with ``async def`` (a blocking source cannot run them)."""
        return [
            route.handler
            for route in self._routes
            if inspect.iscoroutinefunction(route.handler)
            or inspect.iscoroutinefunction(type(route.handler).__call__)  # an async __call__
        ]

    def dispatch(self, event: Any, delivery: Delivery | None = None) -> int:
        """Run the matching handlers now (plain functions only); returns how many ran.

        For blocking code: a Flask webhook view, :class:`jellyfish.redis.BlockingStreamConsumer`.

        Raises:
            TypeError: a matching handler is ``async def`` (use :meth:`adispatch`).
            Exception: whatever a handler raised (the later handlers do not run).
        """
        handlers = self.handlers_for(event, delivery)
        for handler in handlers:
            result = handler(event)
            if inspect.isawaitable(result):
                if inspect.iscoroutine(result):
                    result.close()
                raise TypeError(
                    f"handler {handler!r} is async: dispatch it with `await router.adispatch()`"
                )
        return len(handlers)

    async def adispatch(self, event: Any, delivery: Delivery | None = None) -> int:
        """Run the matching handlers, awaiting ``async def`` ones; returns how many ran.

        Raises whatever a handler raised (the later handlers do not run).
        """
        handlers = self.handlers_for(event, delivery)
        for handler in handlers:
            result = handler(event)
            if inspect.isawaitable(result):
                await result
        return len(handlers)


def _call_with(
    handler: Callable[[Any, Delivery], Any], delivery: Delivery, event: Any
) -> Any | Awaitable[Any]:
    return handler(event, delivery)
