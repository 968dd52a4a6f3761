from __future__ import annotations

import builtins
from collections.abc import Mapping
from typing import TYPE_CHECKING, Any, TypeVar

from attrs import define as _attrs_define
from attrs import field as _attrs_field

if TYPE_CHECKING:
    from ..models.component_properties_sip import ComponentPropertiesSIP
    from ..models.track import Track


T = TypeVar("T", bound="ComponentSIP")


@_attrs_define
class ComponentSIP:
    """Describes the SIP component

    Attributes:
        id (str): Assigned component ID Example: component-1.
        properties (ComponentPropertiesSIP): Properties specific to the SIP component
        tracks (list[Track]): List of all component's tracks
        type (str): Component type Example: sip.
    """

    id: str
    properties: ComponentPropertiesSIP
    tracks: list[Track]
    type: str
    additional_properties: dict[str, Any] = _attrs_field(init=False, factory=dict)

    def to_dict(self) -> dict[str, Any]:
        id = self.id

        properties = self.properties.to_dict()

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
                "properties": properties,
                "tracks": tracks,
                "type": type,
            }
        )

        return field_dict

    @classmethod
    def from_dict(cls: builtins.type[T], src_dict: Mapping[str, Any]) -> T:
        from ..models.component_properties_sip import ComponentPropertiesSIP
        from ..models.track import Track

        d = dict(src_dict)
        id = d.pop("id")

        properties = ComponentPropertiesSIP.from_dict(d.pop("properties"))

        tracks = []
        _tracks = d.pop("tracks")
        for tracks_item_data in _tracks:
            tracks_item = Track.from_dict(tracks_item_data)

            tracks.append(tracks_item)

        type = d.pop("type")

        component_sip = cls(
            id=id,
            properties=properties,
            tracks=tracks,
            type=type,
        )

        component_sip.additional_properties = d
        return component_sip

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
