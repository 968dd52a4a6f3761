from __future__ import annotations

from collections.abc import Mapping
from typing import TYPE_CHECKING, Any, TypeVar

from attrs import define as _attrs_define
from attrs import field as _attrs_field

if TYPE_CHECKING:
    from ..models.component_options_sipsip_credentials import (
        ComponentOptionsSIPSIPCredentials,
    )


T = TypeVar("T", bound="ComponentOptionsSIP")


@_attrs_define
class ComponentOptionsSIP:
    """Options specific to the SIP component

    Attributes:
        registrar_credentials (ComponentOptionsSIPSIPCredentials): Credentials used to authorize in SIP Provider service
    """

    registrar_credentials: ComponentOptionsSIPSIPCredentials
    additional_properties: dict[str, Any] = _attrs_field(init=False, factory=dict)

    def to_dict(self) -> dict[str, Any]:
        registrar_credentials = self.registrar_credentials.to_dict()

        field_dict: dict[str, Any] = {}
        field_dict.update(self.additional_properties)
        field_dict.update(
            {
                "registrarCredentials": registrar_credentials,
            }
        )

        return field_dict

    @classmethod
    def from_dict(cls: type[T], src_dict: Mapping[str, Any]) -> T:
        from ..models.component_options_sipsip_credentials import (
            ComponentOptionsSIPSIPCredentials,
        )

        d = dict(src_dict)
        registrar_credentials = ComponentOptionsSIPSIPCredentials.from_dict(
            d.pop("registrarCredentials")
        )

        component_options_sip = cls(
            registrar_credentials=registrar_credentials,
        )

        component_options_sip.additional_properties = d
        return component_options_sip

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
