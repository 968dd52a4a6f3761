from __future__ import annotations

from collections.abc import Mapping
from typing import TYPE_CHECKING, Any, TypeVar

from attrs import define as _attrs_define
from attrs import field as _attrs_field

if TYPE_CHECKING:
    from ..models.component_file import ComponentFile
    from ..models.component_hls import ComponentHLS
    from ..models.component_recording import ComponentRecording
    from ..models.component_rtsp import ComponentRTSP
    from ..models.component_sip import ComponentSIP
    from ..models.peer import Peer
    from ..models.room_config import RoomConfig


T = TypeVar("T", bound="Room")


@_attrs_define
class Room:
    """Description of the room state

    Attributes:
        components (list[ComponentFile | ComponentHLS | ComponentRecording | ComponentRTSP | ComponentSIP]): List of all
            components
        config (RoomConfig): Room configuration
        id (str): Room ID Example: room-1.
        peers (list[Peer]): List of all peers
    """

    components: list[
        ComponentFile | ComponentHLS | ComponentRecording | ComponentRTSP | ComponentSIP
    ]
    config: RoomConfig
    id: str
    peers: list[Peer]
    additional_properties: dict[str, Any] = _attrs_field(init=False, factory=dict)

    def to_dict(self) -> dict[str, Any]:
        from ..models.component_file import ComponentFile
        from ..models.component_hls import ComponentHLS
        from ..models.component_rtsp import ComponentRTSP
        from ..models.component_sip import ComponentSIP

        components = []
        for components_item_data in self.components:
            components_item: dict[str, Any]
            if isinstance(components_item_data, ComponentHLS):
                components_item = components_item_data.to_dict()
            elif isinstance(components_item_data, ComponentRTSP):
                components_item = components_item_data.to_dict()
            elif isinstance(components_item_data, ComponentFile):
                components_item = components_item_data.to_dict()
            elif isinstance(components_item_data, ComponentSIP):
                components_item = components_item_data.to_dict()
            else:
                components_item = components_item_data.to_dict()

            components.append(components_item)

        config = self.config.to_dict()

        id = self.id

        peers = []
        for peers_item_data in self.peers:
            peers_item = peers_item_data.to_dict()
            peers.append(peers_item)

        field_dict: dict[str, Any] = {}
        field_dict.update(self.additional_properties)
        field_dict.update(
            {
                "components": components,
                "config": config,
                "id": id,
                "peers": peers,
            }
        )

        return field_dict

    @classmethod
    def from_dict(cls: type[T], src_dict: Mapping[str, Any]) -> T:
        from ..models.component_file import ComponentFile
        from ..models.component_hls import ComponentHLS
        from ..models.component_recording import ComponentRecording
        from ..models.component_rtsp import ComponentRTSP
        from ..models.component_sip import ComponentSIP
        from ..models.peer import Peer
        from ..models.room_config import RoomConfig

        d = dict(src_dict)
        components = []
        _components = d.pop("components")
        for components_item_data in _components:

            def _parse_components_item(
                data: object,
            ) -> (
                ComponentFile
                | ComponentHLS
                | ComponentRecording
                | ComponentRTSP
                | ComponentSIP
            ):
                try:
                    if not isinstance(data, dict):
                        raise TypeError()
                    componentsschemas_component_type_0 = ComponentHLS.from_dict(data)

                    return componentsschemas_component_type_0
                except (TypeError, ValueError, AttributeError, KeyError):
                    pass
                try:
                    if not isinstance(data, dict):
                        raise TypeError()
                    componentsschemas_component_type_1 = ComponentRTSP.from_dict(data)

                    return componentsschemas_component_type_1
                except (TypeError, ValueError, AttributeError, KeyError):
                    pass
                try:
                    if not isinstance(data, dict):
                        raise TypeError()
                    componentsschemas_component_type_2 = ComponentFile.from_dict(data)

                    return componentsschemas_component_type_2
                except (TypeError, ValueError, AttributeError, KeyError):
                    pass
                try:
                    if not isinstance(data, dict):
                        raise TypeError()
                    componentsschemas_component_type_3 = ComponentSIP.from_dict(data)

                    return componentsschemas_component_type_3
                except (TypeError, ValueError, AttributeError, KeyError):
                    pass
                if not isinstance(data, dict):
                    raise TypeError()
                componentsschemas_component_type_4 = ComponentRecording.from_dict(data)

                return componentsschemas_component_type_4

            components_item = _parse_components_item(components_item_data)

            components.append(components_item)

        config = RoomConfig.from_dict(d.pop("config"))

        id = d.pop("id")

        peers = []
        _peers = d.pop("peers")
        for peers_item_data in _peers:
            peers_item = Peer.from_dict(peers_item_data)

            peers.append(peers_item)

        room = cls(
            components=components,
            config=config,
            id=id,
            peers=peers,
        )

        room.additional_properties = d
        return room

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
