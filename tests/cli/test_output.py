"""The printing helpers: tables, trees, download progress, notification lines."""

from __future__ import annotations

import io
import json
from datetime import datetime, timedelta, timezone

from jellyfish._cli import _notification_text as text
from jellyfish._cli._output import Progress, tree_lines
from jellyfish.errors import NotifierClosedError
from jellyfish.events import (
    Reconnected,
    ServerMessageRoomCreated,
    ServerMessageTrack,
    ServerMessageTrackAdded,
    ServerMessageTrackType,
    UnknownNotification,
)

WHEN = datetime(2026, 12, 1, 10, 42, 1, 337000, tzinfo=timezone(timedelta(hours=1)))


class _Terminal(io.StringIO):
    def isatty(self) -> bool:
        return True


def test_progress_redraws_on_a_terminal_only() -> None:
    terminal = _Terminal()
    progress = Progress("index.m3u8 -> out", terminal)
    progress.advance(1536)
    progress.finish()
    assert terminal.getvalue().startswith("\rindex.m3u8 -> out: 1.5 KiB (")
    assert terminal.getvalue().endswith("\n")
    assert progress.done == 1536

    pipe = io.StringIO()
    quiet = Progress("x", pipe)
    quiet.advance(10)
    quiet.finish()
    assert (pipe.getvalue(), quiet.done) == ("", 10)


def test_tree_lines() -> None:
    lines = tree_lines("room r", [("peers: 1", ["peer p"]), ("components: 0", [])])
    assert lines == ["room r", "├── peers: 1", "│   └── peer p", "└── components: 0"]


def test_notification_lines_use_repr_and_to_dict_when_they_exist() -> None:
    class WithInterface:
        def __repr__(self) -> str:
            return "ServerMessagePeerConnected(room_id='r', peer_id='p')"

        def to_dict(self) -> dict[str, str]:
            return {"room_id": "r", "peer_id": "p"}

    event = WithInterface()
    assert text.text_line(event, WHEN) == (
        "10:42:01.337 ServerMessagePeerConnected(room_id='r', peer_id='p')"
    )
    assert text.json_line(event, WHEN) == {
        "time": "2026-12-01T10:42:01.337+01:00",
        "type": "ServerMessagePeerConnected",
        "notification": {"room_id": "r", "peer_id": "p"},
    }


def test_notification_lines_of_every_kind_are_one_line_and_json_ready() -> None:
    for event in (
        ServerMessageRoomCreated(room_id="r1"),
        UnknownNotification(b"\x00\x01"),
        Reconnected(2, NotifierClosedError("reset")),
    ):
        line = text.text_line(event, WHEN)
        assert "\n" not in line
        json.dumps(text.json_line(event, WHEN))
    created = text.json_line(ServerMessageRoomCreated(room_id="r1"), WHEN)
    assert (created["type"], created["notification"]) == (
        "ServerMessageRoomCreated",
        {"roomId": "r1"},  # as 0.4.0's betterproto to_dict(): camelCase, no default values
    )
    assert text.as_dict(UnknownNotification(b"ab")) == {"data": "YWI="}
    assert text.as_dict(Reconnected(2, NotifierClosedError("reset"))) == {
        "connection": 2,
        "error": "reset",
        "errorType": "NotifierClosedError",
    }
    reconnected = text.text_line(Reconnected(2, NotifierClosedError("reset")), WHEN)
    assert reconnected.startswith("10:42:01.337 --- reconnected (")


def test_readable_form_is_the_agreed_one_line_repr() -> None:
    track = ServerMessageTrack(
        id="t1", type=ServerMessageTrackType.TRACK_TYPE_VIDEO, metadata="null"
    )
    event = ServerMessageTrackAdded(room_id="r1", component_id="c1", track=track)
    assert text.readable(event) == (
        "ServerMessageTrackAdded(room_id='r1', component_id='c1', "
        "track=ServerMessageTrack(id='t1', type=TRACK_TYPE_VIDEO, metadata='null'))"
    )
    assert text.as_dict(event) == {
        "roomId": "r1",
        "componentId": "c1",
        "track": {"id": "t1", "type": "TRACK_TYPE_VIDEO", "metadata": "null"},
    }
