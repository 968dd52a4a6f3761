"""Every REST method once, as (name, sync call, async call, HTTP method, path)."""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from typing import Any

from jellyfish import (
    AsyncRecordingApi,
    AsyncRoomApi,
    ComponentOptionsFile,
    PeerOptionsWebRTC,
    RecordingApi,
    RoomApi,
)

SyncCall = Callable[[RoomApi, RecordingApi], Any]
AsyncCall = Callable[[AsyncRoomApi, AsyncRecordingApi], Awaitable[Any]]

CASES: list[tuple[str, SyncCall, AsyncCall, str, str]] = [
    ("create_room", lambda r, _: r.create_room(), lambda r, _: r.create_room(), "POST", "/room"),
    (
        "get_all_rooms",
        lambda r, _: r.get_all_rooms(),
        lambda r, _: r.get_all_rooms(),
        "GET",
        "/room",
    ),
    ("get_room", lambda r, _: r.get_room("r1"), lambda r, _: r.get_room("r1"), "GET", "/room/r1"),
    (
        "delete_room",
        lambda r, _: r.delete_room("r1"),
        lambda r, _: r.delete_room("r1"),
        "DELETE",
        "/room/r1",
    ),
    (
        "add_peer",
        lambda r, _: r.add_peer("r1", PeerOptionsWebRTC()),
        lambda r, _: r.add_peer("r1", PeerOptionsWebRTC()),
        "POST",
        "/room/r1/peer",
    ),
    (
        "delete_peer",
        lambda r, _: r.delete_peer("r1", "p1"),
        lambda r, _: r.delete_peer("r1", "p1"),
        "DELETE",
        "/room/r1/peer/p1",
    ),
    (
        "add_component",
        lambda r, _: r.add_component("r1", ComponentOptionsFile(file_path="a.ogg")),
        lambda r, _: r.add_component("r1", ComponentOptionsFile(file_path="a.ogg")),
        "POST",
        "/room/r1/component",
    ),
    (
        "delete_component",
        lambda r, _: r.delete_component("r1", "c1"),
        lambda r, _: r.delete_component("r1", "c1"),
        "DELETE",
        "/room/r1/component/c1",
    ),
    (
        "subscribe",
        lambda r, _: r.subscribe("r1", "c1", ["p1"]),
        lambda r, _: r.subscribe("r1", "c1", ["p1"]),
        "POST",
        "/room/r1/component/c1/subscribe",
    ),
    (
        "sip_dial",
        lambda r, _: r.sip_dial("r1", "c1", "123"),
        lambda r, _: r.sip_dial("r1", "c1", "123"),
        "POST",
        "/sip/r1/c1/call",
    ),
    (
        "sip_end_call",
        lambda r, _: r.sip_end_call("r1", "c1"),
        lambda r, _: r.sip_end_call("r1", "c1"),
        "DELETE",
        "/sip/r1/c1/call",
    ),
    ("get_health", lambda r, _: r.get_health(), lambda r, _: r.get_health(), "GET", "/health"),
    (
        "get_hls_content",
        lambda r, _: r.get_hls_content("r1", "index.m3u8"),
        lambda r, _: r.get_hls_content("r1", "index.m3u8"),
        "GET",
        "/hls/r1/index.m3u8",
    ),
    (
        "recording.get_list",
        lambda _, c: c.get_list(),
        lambda _, c: c.get_list(),
        "GET",
        "/recording",
    ),
    (
        "recording.delete",
        lambda _, c: c.delete("rec1"),
        lambda _, c: c.delete("rec1"),
        "DELETE",
        "/recording/rec1",
    ),
    (
        "recording.get_health",
        lambda _, c: c.get_health(),
        lambda _, c: c.get_health(),
        "GET",
        "/health",
    ),
    (
        "recording.get_content",
        lambda _, c: c.get_content("rec1", "index.m3u8"),
        lambda _, c: c.get_content("rec1", "index.m3u8"),
        "GET",
        "/recording/rec1/index.m3u8",
    ),
]

IDS = [case[0] for case in CASES]
