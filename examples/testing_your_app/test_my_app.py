"""Testing your own app with jellyfish.testing's pytest fixture.

`pytest_plugins` enables the plugin; the `jellyfish_server` fixture gives a fresh emulated
Jellyfish for each test (or a real one when JELLYFISH_ADDRESS is set).

    pytest examples/testing_your_app
"""

from __future__ import annotations

from collections.abc import Iterator

import pytest
from my_app import Meetings

from jellyfish import BlockingNotifier, RoomApi
from jellyfish.errors import ServiceUnavailableError
from jellyfish.events import ServerMessagePeerConnected
from jellyfish.testing import FakePeer

pytest_plugins = ["jellyfish.testing.pytest_plugin"]


@pytest.fixture
def meetings(jellyfish_server) -> Iterator[Meetings]:  # type: ignore[no-untyped-def]
    with RoomApi(jellyfish_server.address, jellyfish_server.token) as room_api:
        yield Meetings(room_api)


def test_a_full_meeting_refuses_one_more_person(meetings: Meetings) -> None:
    meeting = meetings.open(capacity=1)
    meetings.admit(meeting)
    with pytest.raises(ServiceUnavailableError, match="Reached peer limit"):
        meetings.admit(meeting)


def test_an_admitted_person_can_join(jellyfish_server, meetings: Meetings) -> None:  # type: ignore[no-untyped-def]
    meeting = meetings.open(capacity=2)
    with BlockingNotifier(jellyfish_server.address, jellyfish_server.token) as notifier:
        admission = meetings.admit(meeting)
        with FakePeer(admission.websocket_url, admission.token):  # joins like a browser
            for event in notifier:
                if isinstance(event, ServerMessagePeerConnected):
                    assert event.peer_id == admission.peer_id
                    break
