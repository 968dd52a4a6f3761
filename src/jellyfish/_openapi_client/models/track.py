from __future__ import annotations

import builtins
from collections.abc import Mapping
from typing import Any, Literal, TypeVar

from attrs import define as _attrs_define
from attrs import field as _attrs_field

from ..enum_options import enum_option
from ..models.track_type import TrackType
from ..types import UNSET, Unset

T = TypeVar("T", bound="Track")


def _convert_type(
    value: TrackType | Literal["audio", "video"] | Unset,
) -> TrackType | Unset:
    if isinstance(value, Unset):
        return value
    return enum_option(TrackType, value, "type")


@_attrs_define
class Track:
    """Describes media track of a Peer or Component

    Attributes:
        id (str | Unset):
        metadata (Any | Unset):
        type (TrackType | Unset):
    """

    id: str | Unset = UNSET
    metadata: Any | Unset = UNSET
    type: TrackType | Unset = _attrs_field(default=UNSET, converter=_convert_type)
    additional_properties: dict[str, Any] = _attrs_field(init=False, factory=dict)

    def to_dict(self) -> dict[str, Any]:
        id = self.id

        metadata = self.metadata

        type: str | Unset = UNSET
        if not isinstance(self.type, Unset):
            type = self.type.value

        field_dict: dict[str, Any] = {}
        field_dict.update(self.additional_properties)
        field_dict.update({})
        if id is not UNSET:
            field_dict["id"] = id
        if metadata is not UNSET:
            field_dict["metadata"] = metadata
        if type is not UNSET:
            field_dict["type"] = type

        return field_dict

    @classmethod
    def from_dict(cls: builtins.type[T], src_dict: Mapping[str, Any]) -> T:
        d = dict(src_dict)
        id = d.pop("id", UNSET)

        metadata = d.pop("metadata", UNSET)

        _type = d.pop("type", UNSET)
        type: TrackType | Unset
        if isinstance(_type, Unset):
            type = UNSET
        else:
            type = TrackType(_type)

        track = cls(
            id=id,
            metadata=metadata,
            type=type,
        )

        track.additional_properties = d
        return track

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
