from __future__ import annotations

import builtins
from collections.abc import Mapping
from typing import TYPE_CHECKING, Any, TypeVar

from attrs import define as _attrs_define
from attrs import field as _attrs_field

from ..types import UNSET, Unset

if TYPE_CHECKING:
    from ..models.peer_options_web_rtc import PeerOptionsWebRTC


T = TypeVar("T", bound="AddPeerBody")


@_attrs_define
class AddPeerBody:
    """
    Attributes:
        type (str): Peer type Example: webrtc.
        options (PeerOptionsWebRTC | Unset): Options specific to the WebRTC peer
    """

    type: str
    options: PeerOptionsWebRTC | Unset = UNSET
    additional_properties: dict[str, Any] = _attrs_field(init=False, factory=dict)

    def to_dict(self) -> dict[str, Any]:
        type = self.type

        options: dict[str, Any] | Unset = UNSET
        if not isinstance(self.options, Unset):
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
        from ..models.peer_options_web_rtc import PeerOptionsWebRTC

        d = dict(src_dict)
        type = d.pop("type")

        _options = d.pop("options", UNSET)
        options: PeerOptionsWebRTC | Unset
        if isinstance(_options, Unset):
            options = UNSET
        else:
            options = PeerOptionsWebRTC.from_dict(_options)

        add_peer_body = cls(
            type=type,
            options=options,
        )

        add_peer_body.additional_properties = d
        return add_peer_body

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
