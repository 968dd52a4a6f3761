"""A 0.4.0 user's code around notifications and REST models, checked with ``mypy --strict``
by test_typing.py (never collected by pytest); it also runs and asserts what it uses.
"""

from __future__ import annotations

import json

from jellyfish import Peer, PeerStatus, Track, TrackType
from jellyfish.events import (
    ServerMessage,
    ServerMessageEventType,
    ServerMessageTrack,
    ServerMessageTrackAdded,
    ServerMessageTrackType,
    decode_notification,
)


def is_video(event: ServerMessageTrackAdded) -> bool:
    return event.track.type == ServerMessageTrackType.TRACK_TYPE_VIDEO


def main() -> None:
    expected = ServerMessageTrackAdded(
        room_id="r1",
        peer_id="p1",
        track=ServerMessageTrack(id="t1", type=ServerMessageTrackType.TRACK_TYPE_VIDEO),
    )
    event = decode_notification(ServerMessage(track_added=expected).SerializeToString())
    assert isinstance(event, ServerMessageTrackAdded)
    assert event == expected
    assert is_video(event)
    kind: str = ServerMessageTrackType(event.track.type).name
    as_dict: dict[str, object] = event.to_dict()
    snake = event.to_dict(casing="snake", include_default_values=True)
    print(event, kind, json.dumps(as_dict), sorted(snake))
    assert ServerMessageEventType.from_string("EVENT_TYPE_METRICS") == 2

    peer = Peer(id="p1", metadata=None, status=PeerStatus.CONNECTED, tracks=[], type="webrtc")
    copy: Peer = Peer.from_dict(peer.to_dict())
    track = Track(id="t1", type=TrackType.VIDEO)
    peer_type: str = copy.type
    assert copy == peer
    assert peer_type == "webrtc"
    assert track.type == TrackType.VIDEO
    print("ok")


if __name__ == "__main__":
    main()
