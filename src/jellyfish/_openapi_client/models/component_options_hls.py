from __future__ import annotations

from collections.abc import Mapping
from typing import TYPE_CHECKING, Any, Literal, TypeVar, cast

from attrs import define as _attrs_define
from attrs import field as _attrs_field

from ..enum_options import enum_option
from ..models.component_options_hls_subscribe_mode import (
    ComponentOptionsHLSSubscribeMode,
)
from ..types import UNSET, Unset

if TYPE_CHECKING:
    from ..models.s3_credentials import S3Credentials


T = TypeVar("T", bound="ComponentOptionsHLS")


def _convert_subscribe_mode(
    value: ComponentOptionsHLSSubscribeMode | Literal["auto", "manual"] | Unset,
) -> ComponentOptionsHLSSubscribeMode | Unset:
    if isinstance(value, Unset):
        return value
    return enum_option(ComponentOptionsHLSSubscribeMode, value, "subscribe_mode")


@_attrs_define
class ComponentOptionsHLS:
    """Options specific to the HLS component

    Attributes:
        low_latency (bool | Unset): Whether the component should use LL-HLS Default: False.
        persistent (bool | Unset): Whether the video is stored after end of stream Default: False.
        s3 (S3Credentials | Unset): An AWS S3 credential that will be used to send HLS stream. The stream will only be
            uploaded if credentials are provided
        subscribe_mode (ComponentOptionsHLSSubscribeMode | Unset): Whether the HLS component should subscribe to tracks
            automatically or manually. Default: ComponentOptionsHLSSubscribeMode.AUTO.
        target_window_duration (int | None | Unset): Duration of stream available for viewer
    """

    low_latency: bool | Unset = False
    persistent: bool | Unset = False
    s3: S3Credentials | Unset = UNSET
    subscribe_mode: ComponentOptionsHLSSubscribeMode | Unset = _attrs_field(
        default=ComponentOptionsHLSSubscribeMode.AUTO, converter=_convert_subscribe_mode
    )
    target_window_duration: int | None | Unset = UNSET
    additional_properties: dict[str, Any] = _attrs_field(init=False, factory=dict)

    def to_dict(self) -> dict[str, Any]:
        low_latency = self.low_latency

        persistent = self.persistent

        s3: dict[str, Any] | Unset = UNSET
        if not isinstance(self.s3, Unset):
            s3 = self.s3.to_dict()

        subscribe_mode: str | Unset = UNSET
        if not isinstance(self.subscribe_mode, Unset):
            subscribe_mode = self.subscribe_mode.value

        target_window_duration: int | None | Unset
        if isinstance(self.target_window_duration, Unset):
            target_window_duration = UNSET
        else:
            target_window_duration = self.target_window_duration

        field_dict: dict[str, Any] = {}
        field_dict.update(self.additional_properties)
        field_dict.update({})
        if low_latency is not UNSET:
            field_dict["lowLatency"] = low_latency
        if persistent is not UNSET:
            field_dict["persistent"] = persistent
        if s3 is not UNSET:
            field_dict["s3"] = s3
        if subscribe_mode is not UNSET:
            field_dict["subscribeMode"] = subscribe_mode
        if target_window_duration is not UNSET:
            field_dict["targetWindowDuration"] = target_window_duration

        return field_dict

    @classmethod
    def from_dict(cls: type[T], src_dict: Mapping[str, Any]) -> T:
        from ..models.s3_credentials import S3Credentials

        d = dict(src_dict)
        low_latency = d.pop("lowLatency", UNSET)

        persistent = d.pop("persistent", UNSET)

        _s3 = d.pop("s3", UNSET)
        s3: S3Credentials | Unset
        if isinstance(_s3, Unset):
            s3 = UNSET
        else:
            s3 = S3Credentials.from_dict(_s3)

        _subscribe_mode = d.pop("subscribeMode", UNSET)
        subscribe_mode: ComponentOptionsHLSSubscribeMode | Unset
        if isinstance(_subscribe_mode, Unset):
            subscribe_mode = UNSET
        else:
            subscribe_mode = ComponentOptionsHLSSubscribeMode(_subscribe_mode)

        def _parse_target_window_duration(data: object) -> int | None | Unset:
            if data is None:
                return data
            if isinstance(data, Unset):
                return data
            return cast(int | None | Unset, data)

        target_window_duration = _parse_target_window_duration(
            d.pop("targetWindowDuration", UNSET)
        )

        component_options_hls = cls(
            low_latency=low_latency,
            persistent=persistent,
            s3=s3,
            subscribe_mode=subscribe_mode,
            target_window_duration=target_window_duration,
        )

        component_options_hls.additional_properties = d
        return component_options_hls

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
