from __future__ import annotations

from collections.abc import Mapping
from typing import Any, Literal, TypeVar

from attrs import define as _attrs_define
from attrs import field as _attrs_field

from ..enum_options import enum_option
from ..models.component_properties_recording_subscribe_mode import (
    ComponentPropertiesRecordingSubscribeMode,
)

T = TypeVar("T", bound="ComponentPropertiesRecording")


def _convert_subscribe_mode(
    value: ComponentPropertiesRecordingSubscribeMode | Literal["auto", "manual"],
) -> ComponentPropertiesRecordingSubscribeMode:
    return enum_option(
        ComponentPropertiesRecordingSubscribeMode, value, "subscribe_mode"
    )


@_attrs_define
class ComponentPropertiesRecording:
    """Properties specific to the Recording component

    Attributes:
        subscribe_mode (ComponentPropertiesRecordingSubscribeMode): Whether the Recording component should subscribe to
            tracks automatically or manually
    """

    subscribe_mode: ComponentPropertiesRecordingSubscribeMode = _attrs_field(
        converter=_convert_subscribe_mode
    )
    additional_properties: dict[str, Any] = _attrs_field(init=False, factory=dict)

    def to_dict(self) -> dict[str, Any]:
        subscribe_mode = self.subscribe_mode.value

        field_dict: dict[str, Any] = {}
        field_dict.update(self.additional_properties)
        field_dict.update(
            {
                "subscribeMode": subscribe_mode,
            }
        )

        return field_dict

    @classmethod
    def from_dict(cls: type[T], src_dict: Mapping[str, Any]) -> T:
        d = dict(src_dict)
        subscribe_mode = ComponentPropertiesRecordingSubscribeMode(
            d.pop("subscribeMode")
        )

        component_properties_recording = cls(
            subscribe_mode=subscribe_mode,
        )

        component_properties_recording.additional_properties = d
        return component_properties_recording

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
