"""A blocking call ended from another thread (``Hangup``: what a ``BlockingNotifier.close()``
uses to end its catch-up's ``GET /room``): the connection is shut down under the read."""

from __future__ import annotations

import socket
import threading

import pytest

from jellyfish import RoomApi
from jellyfish.api._sync_io import Hangup
from jellyfish.errors import ConnectionFailedError, JellyfishError

from ._stubs import answering_server

WAIT = 10.0


def test_a_hang_up_ends_the_call_in_flight_and_every_call_after_it() -> None:
    received = threading.Event()
    release = threading.Event()

    def answer_nothing(conn: socket.socket) -> None:
        conn.recv(65536)
        received.set()
        release.wait(WAIT)

    hangup = Hangup()
    outcome: list[JellyfishError] = []

    def call(api: RoomApi) -> None:
        with hangup.calls(), pytest.raises(JellyfishError) as raised:
            api.get_all_rooms()
        outcome.append(raised.value)

    with answering_server(answer_nothing) as address:
        try:
            # the call's own timeout is far away: only the hang-up can end it in time
            with RoomApi(server_address=address, server_api_token="t", timeout=10 * WAIT) as api:
                caller = threading.Thread(target=call, args=(api,))
                caller.start()
                assert received.wait(WAIT)
                hangup.hang_up()
                caller.join(WAIT)
                assert not caller.is_alive()
                assert isinstance(outcome[0], ConnectionFailedError)
                # a connection opened after the hang-up is shut down at once
                with hangup.calls(), pytest.raises(ConnectionFailedError):
                    api.get_all_rooms()
        finally:
            release.set()
