from __future__ import annotations

from collections.abc import Mapping
from typing import Any, Literal, TypeVar, cast

from attrs import define as _attrs_define
from attrs import field as _attrs_field

from ..enum_options import enum_option
from ..models.component_properties_hls_subscribe_mode import (
    ComponentPropertiesHLSSubscribeMode,
)

T = TypeVar("T", bound="ComponentPropertiesHLS")


def _convert_subscribe_mode(
    value: ComponentPropertiesHLSSubscribeMode | Literal["auto", "manual"],
) -> ComponentPropertiesHLSSubscribeMode:
    return enum_option(ComponentPropertiesHLSSubscribeMode, value, "subscribe_mode")


@_attrs_define
class ComponentPropertiesHLS:
    """Properties specific to the HLS component

    Attributes:
        low_latency (bool): Whether the component uses LL-HLS
        persistent (bool): Whether the video is stored after end of stream
        playable (bool): Whether the generated HLS playlist is playable
        subscribe_mode (ComponentPropertiesHLSSubscribeMode): Whether the HLS component should subscribe to tracks
            automatically or manually
        target_window_duration (int | None): Duration of stream available for viewer
    """

    low_latency: bool
    persistent: bool
    playable: bool
    subscribe_mode: ComponentPropertiesHLSSubscribeMode = _attrs_field(
        converter=_convert_subscribe_mode
    )
    target_window_duration: int | None
    additional_properties: dict[str, Any] = _attrs_field(init=False, factory=dict)

    def to_dict(self) -> dict[str, Any]:
        low_latency = self.low_latency

        persistent = self.persistent

        playable = self.playable

        subscribe_mode = self.subscribe_mode.value

        target_window_duration: int | None
        target_window_duration = self.target_window_duration

        field_dict: dict[str, Any] = {}
        field_dict.update(self.additional_properties)
        field_dict.update(
            {
                "lowLatency": low_latency,
                "persistent": persistent,
                "playable": playable,
                "subscribeMode": subscribe_mode,
                "targetWindowDuration": target_window_duration,
            }
        )

        return field_dict

    @classmethod
    def from_dict(cls: type[T], src_dict: Mapping[str, Any]) -> T:
        d = dict(src_dict)
        low_latency = d.pop("lowLatency")

        persistent = d.pop("persistent")

        playable = d.pop("playable")

        subscribe_mode = ComponentPropertiesHLSSubscribeMode(d.pop("subscribeMode"))

        def _parse_target_window_duration(data: object) -> int | None:
            if data is None:
                return data
            return cast(int | None, data)

        target_window_duration = _parse_target_window_duration(
            d.pop("targetWindowDuration")
        )

        component_properties_hls = cls(
            low_latency=low_latency,
            persistent=persistent,
            playable=playable,
            subscribe_mode=subscribe_mode,
            target_window_duration=target_window_duration,
        )

        component_properties_hls.additional_properties = d
        return component_properties_hls

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
