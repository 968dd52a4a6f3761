"""0.4.0 code never closes its RoomApi; a collected one must not leak its sockets."""

from __future__ import annotations

import gc
import warnings

from jellyfish import RoomApi


def test_an_unclosed_room_api_closes_its_pool_when_collected(jellyfish_server) -> None:  # type: ignore[no-untyped-def]
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        RoomApi(jellyfish_server.address, jellyfish_server.token).get_all_rooms()
        gc.collect()
    assert [w for w in caught if issubclass(w.category, ResourceWarning)] == []
