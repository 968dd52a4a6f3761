from __future__ import annotations

import builtins
from collections.abc import Mapping
from typing import TYPE_CHECKING, Any, TypeVar

from attrs import define as _attrs_define
from attrs import field as _attrs_field

from ..types import UNSET, Unset

if TYPE_CHECKING:
    from ..models.component_options_file import ComponentOptionsFile
    from ..models.component_options_hls import ComponentOptionsHLS
    from ..models.component_options_recording import ComponentOptionsRecording
    from ..models.component_options_rtsp import ComponentOptionsRTSP
    from ..models.component_options_sip import ComponentOptionsSIP


T = TypeVar("T", bound="AddComponentBody")


@_attrs_define
class AddComponentBody:
    """
    Attributes:
        type (str): Component type Example: hls.
        options (ComponentOptionsFile | ComponentOptionsHLS | ComponentOptionsRecording | ComponentOptionsRTSP |
            ComponentOptionsSIP | Unset): Component-specific options
    """

    type: str
    options: (
        ComponentOptionsFile
        | ComponentOptionsHLS
        | ComponentOptionsRecording
        | ComponentOptionsRTSP
        | ComponentOptionsSIP
        | Unset
    ) = UNSET
    additional_properties: dict[str, Any] = _attrs_field(init=False, factory=dict)

    def to_dict(self) -> dict[str, Any]:
        from ..models.component_options_file import ComponentOptionsFile
        from ..models.component_options_hls import ComponentOptionsHLS
        from ..models.component_options_rtsp import ComponentOptionsRTSP
        from ..models.component_options_sip import ComponentOptionsSIP

        type = self.type

        options: dict[str, Any] | Unset
        if isinstance(self.options, Unset):
            options = UNSET
        elif isinstance(self.options, ComponentOptionsHLS):
            options = self.options.to_dict()
        elif isinstance(self.options, ComponentOptionsRTSP):
            options = self.options.to_dict()
        elif isinstance(self.options, ComponentOptionsFile):
            options = self.options.to_dict()
        elif isinstance(self.options, ComponentOptionsSIP):
            options = self.options.to_dict()
        else:
            options = self.options.to_dict()

        field_dict: dict[str, Any] = {}
        field_dict.update(self.additional_properties)
        field_dict.update(
            {
                "type": type,
            }
        )
        if options is not UNSET:
            field_dict["options"] = options

        return field_dict

    @classmethod
    def from_dict(cls: builtins.type[T], src_dict: Mapping[str, Any]) -> T:
        from ..models.component_options_file import ComponentOptionsFile
        from ..models.component_options_hls import ComponentOptionsHLS
        from ..models.component_options_recording import ComponentOptionsRecording
        from ..models.component_options_rtsp import ComponentOptionsRTSP
        from ..models.component_options_sip import ComponentOptionsSIP

        d = dict(src_dict)
        type = d.pop("type")

        def _parse_options(
            data: object,
        ) -> (
            ComponentOptionsFile
            | ComponentOptionsHLS
            | ComponentOptionsRecording
            | ComponentOptionsRTSP
            | ComponentOptionsSIP
            | Unset
        ):
            if isinstance(data, Unset):
                return data
            try:
                if not isinstance(data, dict):
                    raise TypeError()
                componentsschemas_component_options_type_0 = (
                    ComponentOptionsHLS.from_dict(data)
                )

                return componentsschemas_component_options_type_0
            except (TypeError, ValueError, AttributeError, KeyError):
                pass
            try:
                if not isinstance(data, dict):
                    raise TypeError()
                componentsschemas_component_options_type_1 = (
                    ComponentOptionsRTSP.from_dict(data)
                )

                return componentsschemas_component_options_type_1
            except (TypeError, ValueError, AttributeError, KeyError):
                pass
            try:
                if not isinstance(data, dict):
                    raise TypeError()
                componentsschemas_component_options_type_2 = (
                    ComponentOptionsFile.from_dict(data)
                )

                return componentsschemas_component_options_type_2
            except (TypeError, ValueError, AttributeError, KeyError):
                pass
            try:
                if not isinstance(data, dict):
                    raise TypeError()
                componentsschemas_component_options_type_3 = (
                    ComponentOptionsSIP.from_dict(data)
                )

                return componentsschemas_component_options_type_3
            except (TypeError, ValueError, AttributeError, KeyError):
                pass
            if not isinstance(data, dict):
                raise TypeError()
            componentsschemas_component_options_type_4 = (
                ComponentOptionsRecording.from_dict(data)
            )

            return componentsschemas_component_options_type_4

        options = _parse_options(d.pop("options", UNSET))

        add_component_body = cls(
            type=type,
            options=options,
        )

        add_component_body.additional_properties = d
        return add_component_body

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
