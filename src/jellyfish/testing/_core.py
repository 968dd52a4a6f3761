"""The Jellyfish v0.5.0 control plane of one node, as plain Python: the node facade.

:class:`NodeCore` wires one entity object per concern and is the one way in:

* ``core.rooms`` (:class:`~jellyfish.testing._rooms.Rooms`): create, delete, crash, timers;
* ``core.peers`` (:class:`~jellyfish.testing._peers.Peers`): add, delete, the peer socket;
* ``core.components`` (:class:`~jellyfish.testing._components.Components`);
* ``core.media`` (:class:`~jellyfish.testing._media_plane.MediaPlane`): tracks, HLS state,
  metrics, fed by the control API and the media simulation alike.

Nothing here does I/O on sockets. Every method runs on one thread (the emulator's event
loop); time and timers come from a :class:`Scheduler`, notifications leave through the
hub and the node's webhook sink.
"""

from __future__ import annotations

from jellyfish.events._protos.jellyfish.server_notifications_pb2 import ServerMessage
from jellyfish.testing._components import Components
from jellyfish.testing._context import NodeContext
from jellyfish.testing._media import MediaSimulation
from jellyfish.testing._media_plane import MediaPlane
from jellyfish.testing._model import Component, Room, Track
from jellyfish.testing._peers import Peers
from jellyfish.testing._rooms import Rooms
from jellyfish.testing._telemetry import ROOM_METRICS_INTERVAL
from jellyfish.testing._tokens import PeerTokenSigner


class NodeCore:
    """The state and rules of one Jellyfish node, behind one facade."""

    def __init__(self, context: NodeContext, signer: PeerTokenSigner) -> None:
        self.context = context
        self.settings = context.settings
        self.scheduler = context.scheduler
        self.telemetry = context.telemetry
        simulation = MediaSimulation(
            context.scheduler,
            self,
            context.settings.resources_dir,
            context.settings.failing_s3_buckets,
        )
        self.media = MediaPlane(context, simulation)
        self.rooms = Rooms(context, self.media, simulation)
        self.peers = Peers(context, self.rooms, self.media, signer)
        self.components = Components(context, self.media, simulation, self.rooms.crash)

    def room_list(self) -> list[Room]:
        """The live rooms of this node, oldest first."""
        return list(self.context.rooms.values())

    def start_periodic_metrics(self, metrics_interval: float) -> None:
        """A ``MetricsReport`` now and every ``metrics_interval``; room gauges every 10 s (§8)."""
        scheduler = self.context.scheduler

        def report() -> None:
            message = ServerMessage.MetricsReport(metrics=self.media.metrics_report())
            self.context.bus.publish_metrics(ServerMessage(metrics_report=message))
            scheduler.call_later(metrics_interval, report)

        def scrape() -> None:
            self.rooms.scrape_metrics()
            scheduler.call_later(ROOM_METRICS_INTERVAL, scrape)

        report()
        scheduler.call_later(ROOM_METRICS_INTERVAL, scrape)

    # --- what the media simulation calls (``MediaHost``) -------------------------------------

    def publish_track(self, room: Room, component: Component, track_type: str) -> Track:
        """A component's endpoint publishes a track (``TrackAdded``)."""
        return self.media.publish_track(room, component, track_type)

    def finish_component(self, room: Room, component: Component) -> None:
        """A component ends on its own: ``TrackRemoved`` per track, then it is removed."""
        self.components.finish(room, component)

    def emit(self, message: ServerMessage, room: Room | None) -> None:
        """Publish a server notification (WebSocket subscribers and the room's webhook)."""
        self.context.emit(message, room)
