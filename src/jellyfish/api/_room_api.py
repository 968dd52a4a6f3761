# GENERATED from _async_room_api.py by codegen/unasync_rest.py (nox -s unasync); do not edit.
"""RoomApi: manage rooms, peers and components (blocking).

Written once, as async code; the blocking twin is generated from it (``nox -s unasync``).
"""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import AbstractContextManager
from typing import TYPE_CHECKING, Literal

from jellyfish.api import _calls
from jellyfish.api._base_api import DEFAULT, RoutingMethods
from jellyfish.api._sync_client import SyncClient

if TYPE_CHECKING:
    from jellyfish._openapi_client.models import (
        HealthReport,
        PeerOptionsWebRTC,
        Room,
        RoomConfigVideoCodec,
    )
    from jellyfish.api._http_types import CallTimeout
    from jellyfish.api._model_types import Component, ComponentOptions, PeerDetails


class RoomApi(SyncClient, RoutingMethods):
    """Manage rooms, peers and components of a Jellyfish server (blocking).

    Drop-in compatible with ``jellyfish-server-sdk`` 0.4.0, plus timeouts, TLS settings,
    connection reuse, cluster routing, the health check and HLS downloads. Every method
    raises a :class:`jellyfish.errors.HTTPError` subclass when the server answers with an
    error status and a :class:`jellyfish.errors.TransportError` subclass when there is no
    usable answer (refused, reset, timed out, TLS failure).

    One ``RoomApi`` keeps one pooled ``httpx.Client`` and reuses its connections;
    close it with :meth:`close` or use it as a ``with`` block. It is safe to share between
    threads.

    Cluster routing: ``create_room`` learns which node holds the new room (its
    ``jellyfish_address``) and later calls about that room go to that node. See
    ``docs/rest.md``.
    """

    def create_room(
        self,
        room_id: str | None = None,
        max_peers: int | None = None,
        video_codec: Literal["h264", "vp8"] | RoomConfigVideoCodec | None = None,
        webhook_url: str | None = None,
        peerless_purge_timeout: int | None = None,
        peer_disconnected_timeout: int | None = None,
        *,
        timeout: CallTimeout = DEFAULT,
    ) -> tuple[str, Room]:
        """Create a room; return ``(jellyfish_address, room)``.

        ``jellyfish_address`` is the ``host:port`` of the node that created the room (in a
        cluster it may differ from ``server_address``). This object remembers it and
        sends later calls about the room there.

        Args:
            room_id: the room's id (letters, digits and ``-``); a UUID if not given.
            max_peers: the most peers the room accepts; unlimited if not given.
            video_codec: ``"h264"`` or ``"vp8"`` enforced for every peer. HLS, recording
                and RTSP components need ``"h264"``.
            webhook_url: where the server POSTs this room's notifications.
            peerless_purge_timeout: seconds without connected peers after which the room
                is deleted.
            peer_disconnected_timeout: seconds after which a disconnected peer is removed.
            timeout: this call's timeout (seconds, ``httpx.Timeout`` or ``None``).

        Not retried on a timeout: a timed-out create may still have created the room.
        """
        call = _calls.create_room(
            room_id,
            max_peers,
            video_codec,
            webhook_url,
            peerless_purge_timeout,
            peer_disconnected_timeout,
        )
        address, room = self._send(call, timeout)
        self._router.learn(room.id, address)
        return address, room

    def delete_room(self, room_id: str, *, timeout: CallTimeout = DEFAULT) -> None:
        """Delete a room (its peers are disconnected and its components stopped)."""
        self._send(_calls.delete_room(room_id), timeout)
        self._router.forget(room_id)

    def get_all_rooms(self, *, timeout: CallTimeout = DEFAULT) -> list[Room]:
        """Return the rooms of the ``server_address`` node (in a cluster: that node only)."""
        return self._send(_calls.get_all_rooms(), timeout)

    def get_room(self, room_id: str, *, timeout: CallTimeout = DEFAULT) -> Room:
        """Return the room with the given id."""
        return self._send(_calls.get_room(room_id), timeout)

    def add_peer(
        self,
        room_id: str,
        options: PeerOptionsWebRTC | None = None,
        *,
        timeout: CallTimeout = DEFAULT,
    ) -> PeerDetails:
        """Add a WebRTC peer to the room.

        Returns the new peer's details: ``.peer`` (the ``Peer``), ``.token`` (for the
        peer's WebSocket authentication) and ``.peer_websocket_url`` (``host:port/...``,
        no scheme). ``token, peer = room_api.add_peer(...)`` also works.

        Raises ``ServiceUnavailableError`` when the room has reached ``max_peers``.
        """
        return self._send(_calls.add_peer(room_id, options), timeout)

    def delete_peer(self, room_id: str, peer_id: str, *, timeout: CallTimeout = DEFAULT) -> None:
        """Delete a peer (its WebSocket, if connected, is closed)."""
        self._send(_calls.delete_peer(room_id, peer_id), timeout)

    def add_component(
        self,
        room_id: str,
        options: ComponentOptions,
        *,
        timeout: CallTimeout = DEFAULT,
    ) -> Component:
        """Add a component to the room; the class of ``options`` picks its type.

        * ``ComponentOptionsFile`` -> ``ComponentFile``
        * ``ComponentOptionsHLS`` -> ``ComponentHLS`` (needs an h264 room, one per room)
        * ``ComponentOptionsRecording`` -> ``ComponentRecording`` (h264, one per room)
        * ``ComponentOptionsRTSP`` -> ``ComponentRTSP`` (h264)
        * ``ComponentOptionsSIP`` -> ``ComponentSIP``

        Raises ``ValueError`` for any other options class (no request is sent).
        """
        return self._send(_calls.add_component(room_id, options), timeout)

    def delete_component(
        self, room_id: str, component_id: str, *, timeout: CallTimeout = DEFAULT
    ) -> None:
        """Delete a component."""
        self._send(_calls.delete_component(room_id, component_id), timeout)

    def subscribe(
        self,
        room_id: str,
        component_id: str,
        origins: list[str],
        *,
        timeout: CallTimeout = DEFAULT,
    ) -> None:
        """Subscribe an HLS or recording component to the tracks of peers/components.

        The component must have been added with ``subscribe_mode`` manual. This lets you
        record or stream only selected streams, for instance only an event's host.
        ``origins`` are peer or component ids; the server does not check that they exist.
        """
        self._send(_calls.subscribe(room_id, component_id, origins), timeout)

    def sip_dial(
        self,
        room_id: str,
        component_id: str,
        phone_number: str,
        *,
        timeout: CallTimeout = DEFAULT,
    ) -> None:
        """Start a phone call from a SIP component to ``phone_number``.

        The call is asynchronous: the server only schedules it. With a wrong number you
        receive a ``ComponentCrashed`` notification. Not retried on a timeout.
        """
        self._send(_calls.sip_dial(room_id, component_id, phone_number), timeout)

    def sip_end_call(
        self, room_id: str, component_id: str, *, timeout: CallTimeout = DEFAULT
    ) -> None:
        """End the phone call of a SIP component (asynchronous on the server)."""
        self._send(_calls.sip_end_call(room_id, component_id), timeout)

    def get_health(
        self, *, node: str | None = None, timeout: CallTimeout = DEFAULT
    ) -> HealthReport:
        """Return the health report of ``server_address`` (or of ``node``, ``host:port``)."""
        return self._health(node, timeout)

    def get_hls_content(
        self,
        room_id: str,
        filename: str,
        *,
        hls_msn: int | None = None,
        hls_part: int | None = None,
        hls_skip: str | None = None,
        byte_range: str | None = None,
        timeout: CallTimeout = DEFAULT,
    ) -> bytes:
        """Download an HLS file (playlist or segment) of the room's HLS component.

        ``hls_msn``/``hls_part``/``hls_skip`` are the LL-HLS ``_HLS_msn``, ``_HLS_part``
        and ``_HLS_skip`` query parameters; with ``hls_msn`` and ``hls_part`` the server
        holds the request until that part exists, so give such calls a long enough
        ``timeout``. ``byte_range`` is sent as the ``Range`` header (e.g.
        ``"bytes=0-1023"``). No token is sent: the endpoint needs none.
        """
        call = _calls.get_hls_content(room_id, filename, hls_msn, hls_part, hls_skip, byte_range)
        return self._send(call, timeout)

    def stream_hls_content(
        self,
        room_id: str,
        filename: str,
        *,
        chunk_size: int | None = None,
        timeout: CallTimeout = DEFAULT,
    ) -> AbstractContextManager[Iterator[bytes]]:
        """Stream an HLS file without holding it in memory.

        Use as ``with room_api.stream_hls_content(room_id, name) as chunks:``, then
        iterate over ``chunks`` (``bytes``). The error status is raised on entering; a
        transport failure while reading raises a ``TransportError``. ``timeout`` is the
        deadline for the answer's headers, then the limit of each read of the body: a
        large download is never cut while data keeps coming.
        """
        call = _calls.get_hls_content(room_id, filename, None, None, None, None)
        return self._stream(call, timeout, chunk_size)
