from __future__ import annotations

import builtins
from collections.abc import Mapping
from typing import TYPE_CHECKING, Any, TypeVar

from attrs import define as _attrs_define
from attrs import field as _attrs_field

from ..types import UNSET, Unset

if TYPE_CHECKING:
    from ..models.component_properties_file import ComponentPropertiesFile
    from ..models.track import Track


T = TypeVar("T", bound="ComponentFile")


@_attrs_define
class ComponentFile:
    """Describes the File component

    Attributes:
        id (str): Assigned component ID Example: component-1.
        tracks (list[Track]): List of all component's tracks
        type (str): Component type Example: file.
        properties (ComponentPropertiesFile | Unset): Properties specific to the File component
    """

    id: str
    tracks: list[Track]
    type: str
    properties: ComponentPropertiesFile | Unset = UNSET
    additional_properties: dict[str, Any] = _attrs_field(init=False, factory=dict)

    def to_dict(self) -> dict[str, Any]:
        id = self.id

        tracks = []
        for tracks_item_data in self.tracks:
            tracks_item = tracks_item_data.to_dict()
            tracks.append(tracks_item)

        type = self.type

        properties: dict[str, Any] | Unset = UNSET
        if not isinstance(self.properties, Unset):
            properties = self.properties.to_dict()

        field_dict: dict[str, Any] = {}
        field_dict.update(self.additional_properties)
        field_dict.update(
            {
                "id": id,
                "tracks": tracks,
                "type": type,
            }
        )
        if properties is not UNSET:
            field_dict["properties"] = properties

        return field_dict

    @classmethod
    def from_dict(cls: builtins.type[T], src_dict: Mapping[str, Any]) -> T:
        from ..models.component_properties_file import ComponentPropertiesFile
        from ..models.track import Track

        d = dict(src_dict)
        id = d.pop("id")

        tracks = []
        _tracks = d.pop("tracks")
        for tracks_item_data in _tracks:
            tracks_item = Track.from_dict(tracks_item_data)

            tracks.append(tracks_item)

        type = d.pop("type")

        _properties = d.pop("properties", UNSET)
        properties: ComponentPropertiesFile | Unset
        if isinstance(_properties, Unset):
            properties = UNSET
        else:
            properties = ComponentPropertiesFile.from_dict(_properties)

        component_file = cls(
            id=id,
            tracks=tracks,
            type=type,
            properties=properties,
        )

        component_file.additional_properties = d
        return component_file

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
