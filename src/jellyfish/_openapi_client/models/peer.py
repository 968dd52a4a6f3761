from __future__ import annotations

import builtins
from collections.abc import Mapping
from typing import TYPE_CHECKING, Any, Literal, TypeVar

from attrs import define as _attrs_define
from attrs import field as _attrs_field

from ..enum_options import enum_option
from ..models.peer_status import PeerStatus

if TYPE_CHECKING:
    from ..models.track import Track


T = TypeVar("T", bound="Peer")


def _convert_status(
    value: PeerStatus | Literal["connected", "disconnected"],
) -> PeerStatus:
    return enum_option(PeerStatus, value, "status")


@_attrs_define
class Peer:
    """Describes peer status

    Attributes:
        id (str): Assigned peer id Example: peer-1.
        metadata (Any): Custom metadata set by the peer Example: {'name': 'JellyfishUser'}.
        status (PeerStatus): Informs about the peer status Example: disconnected.
        tracks (list[Track]): List of all peer's tracks
        type (str): Peer type Example: webrtc.
    """

    id: str
    metadata: Any
    status: PeerStatus = _attrs_field(converter=_convert_status)
    tracks: list[Track]
    type: str
    additional_properties: dict[str, Any] = _attrs_field(init=False, factory=dict)

    def to_dict(self) -> dict[str, Any]:
        id = self.id

        metadata = self.metadata

        status = self.status.value

        tracks = []
        for tracks_item_data in self.tracks:
            tracks_item = tracks_item_data.to_dict()
            tracks.append(tracks_item)

        type = self.type

        field_dict: dict[str, Any] = {}
        field_dict.update(self.additional_properties)
        field_dict.update(
            {
                "id": id,
                "metadata": metadata,
                "status": status,
                "tracks": tracks,
                "type": type,
            }
        )

        return field_dict

    @classmethod
    def from_dict(cls: builtins.type[T], src_dict: Mapping[str, Any]) -> T:
        from ..models.track import Track

        d = dict(src_dict)
        id = d.pop("id")

        metadata = d.pop("metadata")

        status = PeerStatus(d.pop("status"))

        tracks = []
        _tracks = d.pop("tracks")
        for tracks_item_data in _tracks:
            tracks_item = Track.from_dict(tracks_item_data)

            tracks.append(tracks_item)

        type = d.pop("type")

        peer = cls(
            id=id,
            metadata=metadata,
            status=status,
            tracks=tracks,
            type=type,
        )

        peer.additional_properties = d
        return peer

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
