from __future__ import annotations

from collections.abc import Mapping
from typing import Any, TypeVar, cast

from attrs import define as _attrs_define
from attrs import field as _attrs_field

from ..types import UNSET, Unset

T = TypeVar("T", bound="ComponentOptionsFile")


@_attrs_define
class ComponentOptionsFile:
    """Options specific to the File component

    Attributes:
        file_path (str): Path to track file. Must be either OPUS encapsulated in Ogg or raw h264 Example:
            /root/video.h264.
        framerate (int | None | Unset): Framerate of video in a file. It is only valid for video track Example: 30.
    """

    file_path: str
    framerate: int | None | Unset = UNSET
    additional_properties: dict[str, Any] = _attrs_field(init=False, factory=dict)

    def to_dict(self) -> dict[str, Any]:
        file_path = self.file_path

        framerate: int | None | Unset
        if isinstance(self.framerate, Unset):
            framerate = UNSET
        else:
            framerate = self.framerate

        field_dict: dict[str, Any] = {}
        field_dict.update(self.additional_properties)
        field_dict.update(
            {
                "filePath": file_path,
            }
        )
        if framerate is not UNSET:
            field_dict["framerate"] = framerate

        return field_dict

    @classmethod
    def from_dict(cls: type[T], src_dict: Mapping[str, Any]) -> T:
        d = dict(src_dict)
        file_path = d.pop("filePath")

        def _parse_framerate(data: object) -> int | None | Unset:
            if data is None:
                return data
            if isinstance(data, Unset):
                return data
            return cast(int | None | Unset, data)

        framerate = _parse_framerate(d.pop("framerate", UNSET))

        component_options_file = cls(
            file_path=file_path,
            framerate=framerate,
        )

        component_options_file.additional_properties = d
        return component_options_file

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
