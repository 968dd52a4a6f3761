"""Components: add/delete, subscriptions, SIP checks, crashes and ends (§2.8-§2.11, §4.5)."""

from __future__ import annotations

import logging
import os
import uuid
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from jellyfish.events._protos.jellyfish.server_notifications_pb2 import ServerMessage
from jellyfish.testing._context import NodeContext
from jellyfish.testing._media import MEDIA_COMPONENTS, MediaSimulation
from jellyfish.testing._media_plane import MediaPlane
from jellyfish.testing._model import COMPONENT_TYPES, Component, Room
from jellyfish.testing._params import (
    INVALID_BODY,
    Crash,
    Invalid,
    NotFound,
    parse_file_options,
    parse_hls_options,
    parse_recording_options,
    parse_rtsp_options,
    parse_sip_options,
)

logger = logging.getLogger("jellyfish.testing")


@dataclass(eq=False)
class Components:
    """The components of one node's rooms.

    REST add/delete, subscriptions and SIP checks, and the ends the engine reports.
    """

    context: NodeContext
    media: MediaPlane
    simulation: MediaSimulation
    crash_room: Callable[[Room], None]

    # --- REST --------------------------------------------------------------------------------

    def add(self, room_id: str, params: dict[str, Any]) -> Component:
        """``POST /room/<id>/component`` (§2.8 check order)."""
        if "type" not in params:
            raise Invalid(INVALID_BODY)
        component_type = params["type"]
        if component_type not in COMPONENT_TYPES:
            raise Invalid("Invalid component type")
        room = self.context.room(room_id)
        codec = room.config.video_codec
        if component_type in ("hls", "recording", "rtsp") and codec != "h264":
            raise Invalid(f"Incompatible video codec enforced in room {room_id}")
        if component_type in ("hls", "recording") and any(
            c.type == component_type for c in room.components.values()
        ):
            raise Invalid(
                f"Reached {component_type} components limit for component in room {room_id}"
            )
        options = params.get("options", {})
        if not isinstance(options, dict):
            self.crash_room(room)
            raise Crash("component options are not a map")
        try:
            properties, file_path, output_dir = self._configure(room_id, component_type, options)
        except Crash:
            self.crash_room(room)
            raise
        if output_dir is not None:
            os.makedirs(output_dir, exist_ok=True)
        component = Component(str(uuid.uuid4()), component_type, properties, output_dir=output_dir)
        room.components[component.id] = component
        logger.info("Added component %s (%s) to room %s", component.id, component_type, room_id)
        if component_type in MEDIA_COMPONENTS:
            s3 = options.get("s3") if component_type == "hls" else None
            bucket = str(s3["bucket"]) if isinstance(s3, dict) else None
            self.simulation.component_added(room, component, file_path=file_path, s3_bucket=bucket)
        return component

    def _configure(
        self, room_id: str, component_type: str, options: dict[str, Any]
    ) -> tuple[dict[str, Any], str | None, str | None]:
        """``(properties, file path, output directory)`` of a new component, or an error."""
        settings = self.context.settings
        if component_type == "hls":
            properties = {"playable": False, **parse_hls_options(options)}
            base = "recordings" if properties["persistent"] else "temporary_hls"
            return properties, None, settings.path(base, room_id)
        if component_type == "rtsp":
            return parse_rtsp_options(options), None, None
        if component_type == "file":
            sources = settings.file_sources_dir
            properties, _ = parse_file_options(options, sources)
            path = os.path.realpath(os.path.join(sources, str(properties["filePath"])))
            return properties, path, None
        if component_type == "sip":
            properties = parse_sip_options(options)
            if not settings.sip_enabled:
                raise Crash(
                    "SIP components can only be used if JF_SIP_USED environmental variable "
                    'is set to "true"'
                )
            return properties, None, None
        properties = parse_recording_options(
            options, settings.s3_credentials, settings.s3_path_prefix
        )
        if not settings.recording_enabled:
            raise Crash(
                "Recording components can only be used if JF_RECORDING_USED "
                'environmental variable is not set to "false"'
            )
        return properties, None, None

    def delete(self, room_id: str, component_id: str) -> None:
        """``DELETE /room/<id>/component/<component_id>`` (§2.9)."""
        room = self.context.room(room_id)
        component = room.components.get(component_id)
        if component is None:
            raise NotFound(f"Component {component_id} does not exist")
        self._remove(room, component)

    def subscribe(self, room_id: str, component_id: str, params: dict[str, Any]) -> None:
        """``POST /room/<id>/component/<cid>/subscribe`` (§2.10)."""
        if "origins" not in params:
            raise Invalid(INVALID_BODY)
        room = self.context.room(room_id)
        component = room.components.get(component_id)
        if component is None:
            raise Invalid(f"Component {component_id} does not exist")
        mode = component.subscribe_mode
        if mode == "auto":
            raise Invalid(f"Component {component_id} option `subscribe_mode` is set to :auto")
        if mode is None:
            raise Invalid("Subscribe mode is supported only for HLS and Recording components")
        origins = params["origins"]
        if isinstance(origins, list):
            self.simulation.subscribed(room, component, [str(origin) for origin in origins])

    def sip_component(self, room_id: str, component_id: str, dial: bool) -> Component:
        """The checks of ``POST``/``DELETE /sip/<room>/<component>/call`` (§2.11)."""
        room = self.context.room(room_id)
        component = room.components.get(component_id)
        if component is None:
            raise Invalid(f"Component {component_id} does not exist")
        if component.type != "sip":
            article = "a " if dial else ""
            raise Invalid(f"Component {component_id} is not {article}SIP component")
        return component

    # --- what the engine reports -----------------------------------------------------------------

    def crash(self, room: Room, component: Component) -> None:
        """The component's endpoint crashes: ``TrackRemoved`` per track, ``ComponentCrashed``."""
        self.media.remove_all_tracks(room, component)
        message = ServerMessage(
            component_crashed=ServerMessage.ComponentCrashed(
                room_id=room.id, component_id=component.id
            )
        )
        self.context.emit(message, room)
        room.components.pop(component.id, None)
        self.simulation.component_removed(room, component)

    def finish(self, room: Room, component: Component) -> None:
        """A component that ends on its own (a file): ``TrackRemoved`` per track, then it goes."""
        self._remove(room, component)

    def _remove(self, room: Room, component: Component) -> None:
        self.media.remove_all_tracks(room, component)
        room.components.pop(component.id, None)
        self.simulation.component_removed(room, component)
