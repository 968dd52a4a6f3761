"""A Flask app that receives Jellyfish webhooks.

Jellyfish v0.5.0 POSTs each notification of a room created with `webhook_url` as a raw
protobuf body (`Content-Type: application/x-protobuf`); `receive_webhook` decodes it (and
also the JSON body of Jellyfish 0.3).

This program serves the app on a free local port, creates a room whose webhook points at
it, deletes the room, and prints what arrived.

    JELLYFISH_ADDRESS=localhost:5002 python examples/flask_webhook.py
"""

from __future__ import annotations

import os
import queue
import threading

from flask import Flask, Response, request
from werkzeug.serving import make_server

from jellyfish import RoomApi, receive_webhook
from jellyfish.errors import DecodeError
from jellyfish.events import ServerMessageRoomDeleted

ADDRESS = os.environ.get("JELLYFISH_ADDRESS", "localhost:5002")
TOKEN = os.environ.get("JELLYFISH_TOKEN", "development")
WEBHOOK_HOST = os.environ.get("WEBHOOK_HOST", "127.0.0.1")  # how Jellyfish reaches us

app = Flask(__name__)
received: queue.Queue[object] = queue.Queue()


@app.post("/webhook")
def jellyfish_webhook() -> Response:
    try:
        notification = receive_webhook(request.get_data(), request.content_type)
    except DecodeError as error:
        return Response(str(error), status=400)
    received.put(notification)
    return Response("OK", status=200)


def main() -> None:
    server = make_server("0.0.0.0" if WEBHOOK_HOST != "127.0.0.1" else WEBHOOK_HOST, 0, app)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    webhook_url = f"http://{WEBHOOK_HOST}:{server.server_port}/webhook"
    try:
        with RoomApi(server_address=ADDRESS, server_api_token=TOKEN) as room_api:
            _, room = room_api.create_room(webhook_url=webhook_url)
            room_api.delete_room(room.id)
        while True:
            notification = received.get(timeout=10)
            print(f"webhook: {notification}")
            if isinstance(notification, ServerMessageRoomDeleted):
                break
    finally:
        server.shutdown()


if __name__ == "__main__":
    main()
