from __future__ import annotations

from collections.abc import Mapping
from typing import TYPE_CHECKING, Any, Literal, TypeVar, cast

from attrs import define as _attrs_define
from attrs import field as _attrs_field

from ..enum_options import enum_option
from ..models.component_options_recording_subscribe_mode import (
    ComponentOptionsRecordingSubscribeMode,
)
from ..types import UNSET, Unset

if TYPE_CHECKING:
    from ..models.s3_credentials import S3Credentials


T = TypeVar("T", bound="ComponentOptionsRecording")


def _convert_subscribe_mode(
    value: ComponentOptionsRecordingSubscribeMode | Literal["auto", "manual"] | Unset,
) -> ComponentOptionsRecordingSubscribeMode | Unset:
    if isinstance(value, Unset):
        return value
    return enum_option(ComponentOptionsRecordingSubscribeMode, value, "subscribe_mode")


@_attrs_define
class ComponentOptionsRecording:
    """Options specific to the Recording component

    Attributes:
        credentials (S3Credentials | Unset): An AWS S3 credential that will be used to send HLS stream. The stream will
            only be uploaded if credentials are provided
        path_prefix (None | str | Unset): Path prefix under which all recording are stored
        subscribe_mode (ComponentOptionsRecordingSubscribeMode | Unset): Whether the Recording component should
            subscribe to tracks automatically or manually. Default: ComponentOptionsRecordingSubscribeMode.AUTO.
    """

    credentials: S3Credentials | Unset = UNSET
    path_prefix: None | str | Unset = UNSET
    subscribe_mode: ComponentOptionsRecordingSubscribeMode | Unset = _attrs_field(
        default=ComponentOptionsRecordingSubscribeMode.AUTO,
        converter=_convert_subscribe_mode,
    )
    additional_properties: dict[str, Any] = _attrs_field(init=False, factory=dict)

    def to_dict(self) -> dict[str, Any]:
        credentials: dict[str, Any] | Unset = UNSET
        if not isinstance(self.credentials, Unset):
            credentials = self.credentials.to_dict()

        path_prefix: None | str | Unset
        if isinstance(self.path_prefix, Unset):
            path_prefix = UNSET
        else:
            path_prefix = self.path_prefix

        subscribe_mode: str | Unset = UNSET
        if not isinstance(self.subscribe_mode, Unset):
            subscribe_mode = self.subscribe_mode.value

        field_dict: dict[str, Any] = {}
        field_dict.update(self.additional_properties)
        field_dict.update({})
        if credentials is not UNSET:
            field_dict["credentials"] = credentials
        if path_prefix is not UNSET:
            field_dict["pathPrefix"] = path_prefix
        if subscribe_mode is not UNSET:
            field_dict["subscribeMode"] = subscribe_mode

        return field_dict

    @classmethod
    def from_dict(cls: type[T], src_dict: Mapping[str, Any]) -> T:
        from ..models.s3_credentials import S3Credentials

        d = dict(src_dict)
        _credentials = d.pop("credentials", UNSET)
        credentials: S3Credentials | Unset
        if isinstance(_credentials, Unset):
            credentials = UNSET
        else:
            credentials = S3Credentials.from_dict(_credentials)

        def _parse_path_prefix(data: object) -> None | str | Unset:
            if data is None:
                return data
            if isinstance(data, Unset):
                return data
            return cast(None | str | Unset, data)

        path_prefix = _parse_path_prefix(d.pop("pathPrefix", UNSET))

        _subscribe_mode = d.pop("subscribeMode", UNSET)
        subscribe_mode: ComponentOptionsRecordingSubscribeMode | Unset
        if isinstance(_subscribe_mode, Unset):
            subscribe_mode = UNSET
        else:
            subscribe_mode = ComponentOptionsRecordingSubscribeMode(_subscribe_mode)

        component_options_recording = cls(
            credentials=credentials,
            path_prefix=path_prefix,
            subscribe_mode=subscribe_mode,
        )

        component_options_recording.additional_properties = d
        return component_options_recording

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
