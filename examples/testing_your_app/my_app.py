"""A tiny app under test: it opens a meeting room and admits people into it."""

from __future__ import annotations

from dataclasses import dataclass

from jellyfish import PeerOptionsWebRTC, RoomApi


@dataclass
class Admission:
    peer_id: str
    token: str
    websocket_url: str


class Meetings:
    def __init__(self, room_api: RoomApi) -> None:
        self.room_api = room_api

    def open(self, capacity: int) -> str:
        _, room = self.room_api.create_room(max_peers=capacity, peerless_purge_timeout=60)
        return room.id

    def admit(self, meeting_id: str) -> Admission:
        details = self.room_api.add_peer(meeting_id, options=PeerOptionsWebRTC())
        return Admission(details.peer.id, details.token, details.peer_websocket_url)
