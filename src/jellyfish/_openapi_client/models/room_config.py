from __future__ import annotations

from collections.abc import Mapping
from typing import Any, Literal, TypeVar, cast

from attrs import define as _attrs_define
from attrs import field as _attrs_field

from ..enum_options import enum_option
from ..models.room_config_video_codec import RoomConfigVideoCodec
from ..types import UNSET, Unset

T = TypeVar("T", bound="RoomConfig")


def _convert_video_codec(
    value: None | RoomConfigVideoCodec | Literal["h264", "vp8"] | Unset,
) -> None | RoomConfigVideoCodec | Unset:
    if value is None or isinstance(value, Unset):
        return value
    return enum_option(RoomConfigVideoCodec, value, "video_codec")


@_attrs_define
class RoomConfig:
    """Room configuration

    Attributes:
        max_peers (int | None | Unset): Maximum amount of peers allowed into the room Example: 10.
        peer_disconnected_timeout (int | None | Unset): Duration (in seconds) after which the peer will be removed if it
            is disconnected. If not provided, this feature is disabled. Example: 60.
        peerless_purge_timeout (int | None | Unset): Duration (in seconds) after which the room will be removed if no
            peers are connected. If not provided, this feature is disabled. Example: 60.
        room_id (None | str | Unset): Custom id used for identifying room within Jellyfish. Must be unique across all
            rooms. If not provided, random UUID is generated.
        video_codec (None | RoomConfigVideoCodec | Unset): Enforces video codec for each peer in the room
        webhook_url (None | str | Unset): URL where Jellyfish notifications will be sent Example:
            https://backend.address.com/jellyfish-notifications-endpoint.
    """

    max_peers: int | None | Unset = UNSET
    peer_disconnected_timeout: int | None | Unset = UNSET
    peerless_purge_timeout: int | None | Unset = UNSET
    room_id: None | str | Unset = UNSET
    video_codec: None | RoomConfigVideoCodec | Unset = _attrs_field(
        default=UNSET, converter=_convert_video_codec
    )
    webhook_url: None | str | Unset = UNSET
    additional_properties: dict[str, Any] = _attrs_field(init=False, factory=dict)

    def to_dict(self) -> dict[str, Any]:
        max_peers: int | None | Unset
        if isinstance(self.max_peers, Unset):
            max_peers = UNSET
        else:
            max_peers = self.max_peers

        peer_disconnected_timeout: int | None | Unset
        if isinstance(self.peer_disconnected_timeout, Unset):
            peer_disconnected_timeout = UNSET
        else:
            peer_disconnected_timeout = self.peer_disconnected_timeout

        peerless_purge_timeout: int | None | Unset
        if isinstance(self.peerless_purge_timeout, Unset):
            peerless_purge_timeout = UNSET
        else:
            peerless_purge_timeout = self.peerless_purge_timeout

        room_id: None | str | Unset
        if isinstance(self.room_id, Unset):
            room_id = UNSET
        else:
            room_id = self.room_id

        video_codec: None | str | Unset
        if isinstance(self.video_codec, Unset):
            video_codec = UNSET
        elif isinstance(self.video_codec, RoomConfigVideoCodec):
            video_codec = self.video_codec.value
        else:
            video_codec = self.video_codec

        webhook_url: None | str | Unset
        if isinstance(self.webhook_url, Unset):
            webhook_url = UNSET
        else:
            webhook_url = self.webhook_url

        field_dict: dict[str, Any] = {}
        field_dict.update(self.additional_properties)
        field_dict.update({})
        if max_peers is not UNSET:
            field_dict["maxPeers"] = max_peers
        if peer_disconnected_timeout is not UNSET:
            field_dict["peerDisconnectedTimeout"] = peer_disconnected_timeout
        if peerless_purge_timeout is not UNSET:
            field_dict["peerlessPurgeTimeout"] = peerless_purge_timeout
        if room_id is not UNSET:
            field_dict["roomId"] = room_id
        if video_codec is not UNSET:
            field_dict["videoCodec"] = video_codec
        if webhook_url is not UNSET:
            field_dict["webhookUrl"] = webhook_url

        return field_dict

    @classmethod
    def from_dict(cls: type[T], src_dict: Mapping[str, Any]) -> T:
        d = dict(src_dict)

        def _parse_max_peers(data: object) -> int | None | Unset:
            if data is None:
                return data
            if isinstance(data, Unset):
                return data
            return cast(int | None | Unset, data)

        max_peers = _parse_max_peers(d.pop("maxPeers", UNSET))

        def _parse_peer_disconnected_timeout(data: object) -> int | None | Unset:
            if data is None:
                return data
            if isinstance(data, Unset):
                return data
            return cast(int | None | Unset, data)

        peer_disconnected_timeout = _parse_peer_disconnected_timeout(
            d.pop("peerDisconnectedTimeout", UNSET)
        )

        def _parse_peerless_purge_timeout(data: object) -> int | None | Unset:
            if data is None:
                return data
            if isinstance(data, Unset):
                return data
            return cast(int | None | Unset, data)

        peerless_purge_timeout = _parse_peerless_purge_timeout(
            d.pop("peerlessPurgeTimeout", UNSET)
        )

        def _parse_room_id(data: object) -> None | str | Unset:
            if data is None:
                return data
            if isinstance(data, Unset):
                return data
            return cast(None | str | Unset, data)

        room_id = _parse_room_id(d.pop("roomId", UNSET))

        def _parse_video_codec(data: object) -> None | RoomConfigVideoCodec | Unset:
            if data is None:
                return data
            if isinstance(data, Unset):
                return data
            try:
                if not isinstance(data, str):
                    raise TypeError()
                video_codec_type_0 = RoomConfigVideoCodec(data)

                return video_codec_type_0
            except (TypeError, ValueError, AttributeError, KeyError):
                pass
            return cast(None | RoomConfigVideoCodec | Unset, data)

        video_codec = _parse_video_codec(d.pop("videoCodec", UNSET))

        def _parse_webhook_url(data: object) -> None | str | Unset:
            if data is None:
                return data
            if isinstance(data, Unset):
                return data
            return cast(None | str | Unset, data)

        webhook_url = _parse_webhook_url(d.pop("webhookUrl", UNSET))

        room_config = cls(
            max_peers=max_peers,
            peer_disconnected_timeout=peer_disconnected_timeout,
            peerless_purge_timeout=peerless_purge_timeout,
            room_id=room_id,
            video_codec=video_codec,
            webhook_url=webhook_url,
        )

        room_config.additional_properties = d
        return room_config

    @property
    def additional_keys(self) -> list[str]:
        return list(self.additional_properties.keys())

    def __getitem__(self, key: str) -> Any:
        return self.additional_properties[key]

    def __setitem__(self, key: str, value: Any) -> None:
        self.additional_properties[key] = value

    def __delitem__(self, key: str) -> None:
        del self.additional_properties[key]

    def __contains__(self, key: str) -> bool:
        return key in self.additional_properties
