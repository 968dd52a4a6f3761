"""Quickstart (placeholder until the emulator, REST facade and notifiers land).

Encodes a RoomCreated notification the way Jellyfish sends it and decodes it back with the
generated protobuf classes.
"""

from __future__ import annotations

import jellyfish
from jellyfish.events import ServerMessage, ServerMessageRoomCreated


def main() -> None:
    wire = ServerMessage(
        room_created=ServerMessageRoomCreated(room_id="quickstart")
    ).SerializeToString()
    message = ServerMessage.FromString(wire)
    event = getattr(message, message.WhichOneof("content") or "")
    print(
        f"jellyfish-server-sdk {jellyfish.__version__}: decoded {type(event).__name__}"
        f"(room_id={event.room_id!r}) from {len(wire)} bytes"
    )


if __name__ == "__main__":
    main()
