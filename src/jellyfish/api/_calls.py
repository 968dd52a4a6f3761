"""Every Jellyfish REST operation as a :class:`~jellyfish.api._base_api.Call` (no I/O).

Paths, bodies and answers follow the Jellyfish v0.5.0 behaviour reference (§2): room ids go
in the path percent-encoded, bodies are the generated models' camelCase ``to_dict()``, and
answers are parsed with the generated models' ``from_dict()``.

The models are reached through the lazy ``models`` package: each one loads when a call first
needs it, not when ``RoomApi`` is imported (nor does attrs, which they are built on).
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from jellyfish._openapi_client import models
from jellyfish._settings import parse_address
from jellyfish.api._base_api import Call, check_id, json_data, no_body, segment

if TYPE_CHECKING:
    from jellyfish._openapi_client.models import (
        HealthReport,
        PeerOptionsWebRTC,
        Room,
        RoomConfigVideoCodec,
    )
    from jellyfish.api._model_types import Component, ComponentOptions, PeerDetails


def _component(data: Any) -> Component:
    from jellyfish.api._model_types import COMPONENT_CLASSES

    if not isinstance(data, dict):
        raise TypeError("a component must be a JSON object")
    component_class = COMPONENT_CLASSES.get(data.get("type", ""))
    if component_class is None:
        raise ValueError(f"unknown component type {data.get('type')!r}")
    return component_class.from_dict(data)


def _video_codec(video_codec: object) -> RoomConfigVideoCodec | None:
    if video_codec is None or isinstance(video_codec, models.RoomConfigVideoCodec):
        return video_codec
    try:
        return models.RoomConfigVideoCodec(video_codec)
    except ValueError:
        raise ValueError(
            f"video_codec must be 'h264', 'vp8' or None, got {video_codec!r}"
        ) from None


# ---------------------------------------------------------------------------- rooms


def _parse_created_room(body: bytes) -> tuple[str, Room]:
    data = json_data(body)
    # the node to route the room's calls to: an address by the rule of server_address
    address = parse_address(data["jellyfish_address"], "jellyfish_address").host_port
    return address, models.Room.from_dict(data["room"])


def create_room(
    room_id: str | None,
    max_peers: int | None,
    video_codec: str | RoomConfigVideoCodec | None,
    webhook_url: str | None,
    peerless_purge_timeout: int | None,
    peer_disconnected_timeout: int | None,
) -> Call[tuple[str, Room]]:
    """``POST /room``; unset (None) fields are left out of the body."""
    config = models.RoomConfig(
        room_id=room_id,
        max_peers=max_peers,
        video_codec=_video_codec(video_codec),
        webhook_url=webhook_url,
        peerless_purge_timeout=peerless_purge_timeout,
        peer_disconnected_timeout=peer_disconnected_timeout,
    )
    body = {key: value for key, value in config.to_dict().items() if value is not None}
    return Call("POST", "/room", _parse_created_room, json=body)


def _parse_rooms(body: bytes) -> list[Room]:
    return [models.Room.from_dict(room) for room in json_data(body)]


def get_all_rooms() -> Call[list[Room]]:
    """``GET /room``: the rooms of the node asked."""
    return Call("GET", "/room", _parse_rooms)


def _parse_room(body: bytes) -> Room:
    return models.Room.from_dict(json_data(body))


def get_room(room_id: str) -> Call[Room]:
    """``GET /room/{room_id}``."""
    check_id("room_id", room_id)
    return Call("GET", f"/room/{segment(room_id)}", _parse_room, room_id=room_id)


def delete_room(room_id: str) -> Call[None]:
    """``DELETE /room/{room_id}``."""
    check_id("room_id", room_id)
    return no_body("DELETE", f"/room/{segment(room_id)}", room_id=room_id)


# ---------------------------------------------------------------------------- peers


def _parse_peer(body: bytes) -> PeerDetails:
    from jellyfish.api._model_types import PeerDetails

    return PeerDetails.from_dict(json_data(body))


def add_peer(room_id: str, options: PeerOptionsWebRTC | None) -> Call[PeerDetails]:
    """``POST /room/{room_id}/peer`` with a WebRTC peer."""
    check_id("room_id", room_id)
    if options is None:
        options = models.PeerOptionsWebRTC()
    if not isinstance(options, models.PeerOptionsWebRTC):
        raise ValueError(
            f"options must be PeerOptionsWebRTC (the only peer type), got {type(options).__name__}"
        )
    body = models.AddPeerBody(type="webrtc", options=options).to_dict()
    return Call("POST", f"/room/{segment(room_id)}/peer", _parse_peer, json=body, room_id=room_id)


def delete_peer(room_id: str, peer_id: str) -> Call[None]:
    """``DELETE /room/{room_id}/peer/{peer_id}``."""
    check_id("room_id", room_id)
    check_id("peer_id", peer_id)
    path = f"/room/{segment(room_id)}/peer/{segment(peer_id)}"
    return no_body("DELETE", path, room_id=room_id)


# ---------------------------------------------------------------------------- components


def _parse_component(body: bytes) -> Component:
    return _component(json_data(body))


def add_component(room_id: str, options: ComponentOptions) -> Call[Component]:
    """``POST /room/{room_id}/component``; the options class names the component type."""
    from jellyfish.api._model_types import COMPONENT_TYPES

    check_id("room_id", room_id)
    component_type = COMPONENT_TYPES.get(type(options))
    if component_type is None:
        raise ValueError(
            "options must be ComponentOptionsFile, ComponentOptionsHLS, "
            "ComponentOptionsRecording, ComponentOptionsRTSP or ComponentOptionsSIP, "
            f"got {type(options).__name__}"
        )
    body = models.AddComponentBody(type=component_type, options=options).to_dict()
    return Call(
        "POST", f"/room/{segment(room_id)}/component", _parse_component, json=body, room_id=room_id
    )


def delete_component(room_id: str, component_id: str) -> Call[None]:
    """``DELETE /room/{room_id}/component/{component_id}``."""
    check_id("room_id", room_id)
    check_id("component_id", component_id)
    path = f"/room/{segment(room_id)}/component/{segment(component_id)}"
    return no_body("DELETE", path, room_id=room_id)


def subscribe(room_id: str, component_id: str, origins: list[str]) -> Call[None]:
    """``POST /room/{room_id}/component/{component_id}/subscribe``."""
    check_id("room_id", room_id)
    check_id("component_id", component_id)
    if isinstance(origins, str) or not all(isinstance(origin, str) for origin in origins):
        raise ValueError(f"origins must be a list of peer/component id strings, got {origins!r}")
    body = models.SubscriptionConfig(origins=list(origins)).to_dict()
    path = f"/room/{segment(room_id)}/component/{segment(component_id)}/subscribe"
    return no_body("POST", path, json=body, room_id=room_id)


# ---------------------------------------------------------------------------- SIP


def sip_dial(room_id: str, component_id: str, phone_number: str) -> Call[None]:
    """``POST /sip/{room_id}/{component_id}/call``."""
    check_id("room_id", room_id)
    check_id("component_id", component_id)
    if not isinstance(phone_number, str):
        raise ValueError(f"phone_number must be a string, got {phone_number!r}")
    body = models.DialConfig(phone_number=phone_number).to_dict()
    path = f"/sip/{segment(room_id)}/{segment(component_id)}/call"
    return no_body("POST", path, json=body, room_id=room_id)


def sip_end_call(room_id: str, component_id: str) -> Call[None]:
    """``DELETE /sip/{room_id}/{component_id}/call``."""
    check_id("room_id", room_id)
    check_id("component_id", component_id)
    path = f"/sip/{segment(room_id)}/{segment(component_id)}/call"
    return no_body("DELETE", path, room_id=room_id)


# ---------------------------------------------------------------------------- health


def _parse_health(body: bytes) -> HealthReport:
    return models.HealthReport.from_dict(json_data(body))


def get_health() -> Call[HealthReport]:
    """``GET /health``."""
    return Call("GET", "/health", _parse_health)


# ---------------------------------------------------------------------------- content


def _content(body: bytes) -> bytes:
    return body


def get_hls_content(
    room_id: str,
    filename: str,
    hls_msn: int | None,
    hls_part: int | None,
    hls_skip: str | None,
    byte_range: str | None,
) -> Call[bytes]:
    """``GET /hls/{room_id}/{filename}`` (no auth), with the LL-HLS query parameters."""
    check_id("room_id", room_id)
    check_id("filename", filename)
    params: dict[str, str | int] = {}
    if hls_msn is not None:
        params["_HLS_msn"] = hls_msn
    if hls_part is not None:
        params["_HLS_part"] = hls_part
    if hls_skip is not None:
        params["_HLS_skip"] = hls_skip
    return Call(
        "GET",
        f"/hls/{segment(room_id)}/{segment(filename)}",
        _content,
        params=params or None,
        headers={"Range": byte_range} if byte_range is not None else None,
        room_id=room_id,
        auth=False,
    )


def _parse_recordings(body: bytes) -> list[str]:
    return [str(recording) for recording in json_data(body)]


def get_recordings() -> Call[list[str]]:
    """``GET /recording``."""
    return Call("GET", "/recording", _parse_recordings)


def delete_recording(recording_id: str) -> Call[None]:
    """``DELETE /recording/{recording_id}``."""
    check_id("recording_id", recording_id)
    return no_body("DELETE", f"/recording/{segment(recording_id)}")


def get_recording_content(recording_id: str, filename: str) -> Call[bytes]:
    """``GET /recording/{recording_id}/{filename}`` (no auth)."""
    check_id("recording_id", recording_id)
    check_id("filename", filename)
    path = f"/recording/{segment(recording_id)}/{segment(filename)}"
    return Call("GET", path, _content, auth=False)
