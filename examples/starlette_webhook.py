"""An ASGI (Starlette) app that receives Jellyfish webhooks; FastAPI works the same way.

    JELLYFISH_ADDRESS=localhost:5002 python examples/starlette_webhook.py

In FastAPI the endpoint is::

    @app.post("/webhook")
    async def webhook(request: Request) -> Response:
        notification = receive_webhook(await request.body(), request.headers.get("content-type"))
        ...
"""

from __future__ import annotations

import os
import socket
import threading
import time

import anyio
import uvicorn
from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import PlainTextResponse
from starlette.routing import Route

from jellyfish import AsyncRoomApi, receive_webhook
from jellyfish.errors import DecodeError
from jellyfish.events import ServerMessageRoomDeleted

ADDRESS = os.environ.get("JELLYFISH_ADDRESS", "localhost:5002")
TOKEN = os.environ.get("JELLYFISH_TOKEN", "development")
WEBHOOK_HOST = os.environ.get("WEBHOOK_HOST", "127.0.0.1")  # how Jellyfish reaches us

room_deleted = threading.Event()


async def jellyfish_webhook(request: Request) -> PlainTextResponse:
    try:
        notification = receive_webhook(await request.body(), request.headers.get("content-type"))
    except DecodeError as error:
        return PlainTextResponse(str(error), status_code=400)
    print(f"webhook: {notification}")
    if isinstance(notification, ServerMessageRoomDeleted):
        room_deleted.set()
    return PlainTextResponse("OK")


app = Starlette(routes=[Route("/webhook", jellyfish_webhook, methods=["POST"])])


async def create_and_delete_room(webhook_url: str) -> None:
    async with AsyncRoomApi(server_address=ADDRESS, server_api_token=TOKEN) as room_api:
        _, room = await room_api.create_room(webhook_url=webhook_url)
        await room_api.delete_room(room.id)


def main() -> None:
    listener = socket.socket()
    listener.bind(("0.0.0.0" if WEBHOOK_HOST != "127.0.0.1" else WEBHOOK_HOST, 0))
    server = uvicorn.Server(uvicorn.Config(app, log_level="warning"))
    thread = threading.Thread(target=server.run, kwargs={"sockets": [listener]}, daemon=True)
    thread.start()
    try:
        deadline = time.monotonic() + 10
        while not server.started:  # uvicorn has no "started" callback
            if time.monotonic() > deadline or not thread.is_alive():
                raise SystemExit("the webhook receiver did not start")
            time.sleep(0.01)
        webhook_url = f"http://{WEBHOOK_HOST}:{listener.getsockname()[1]}/webhook"
        anyio.run(create_and_delete_room, webhook_url)
        if not room_deleted.wait(10):
            raise SystemExit("RoomDeleted did not arrive by webhook")
    finally:
        server.should_exit = True
        thread.join()


if __name__ == "__main__":
    main()
