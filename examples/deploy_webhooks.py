"""Notifications for an app that runs several worker processes: webhooks through its load balancer.

Run the app with as many workers as you like; Jellyfish POSTs each notification once, the
load balancer (here: the workers sharing uvicorn's listening socket) hands it to ONE worker:

    DEPLOY_JOURNAL=/tmp/journal uvicorn deploy_webhooks:app --app-dir examples --workers 4

and create rooms with ``webhook_url="http://<this app>/webhook"``. Every handled
notification is appended to ``DEPLOY_JOURNAL`` as ``<pid> <kind> <room_id>`` (a stand-in for
your database), so you can see which worker handled it.
"""

from __future__ import annotations

import os

from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import PlainTextResponse
from starlette.routing import Route

from jellyfish import receive_webhook
from jellyfish.errors import DecodeError

JOURNAL = os.environ.get("DEPLOY_JOURNAL", "deploy_journal.txt")


def handle(notification: object) -> None:
    """Your application's reaction; here: one journal line per notification."""
    room_id = getattr(notification, "room_id", "-")
    line = f"{os.getpid()} {type(notification).__name__} {room_id}\n"
    with open(JOURNAL, "a", encoding="utf-8") as journal:  # one small append: atomic
        journal.write(line)


async def webhook(request: Request) -> PlainTextResponse:
    try:
        notification = receive_webhook(await request.body(), request.headers.get("content-type"))
    except DecodeError as error:
        return PlainTextResponse(str(error), status_code=400)
    # Jellyfish 0.5.0 sends each webhook once and never retries: answer 2xx quickly and
    # keep slow work out of the request (a slow answer delays every later webhook).
    handle(notification)
    return PlainTextResponse("OK")


async def health(request: Request) -> PlainTextResponse:
    return PlainTextResponse(str(os.getpid()))


app = Starlette(
    routes=[
        Route("/webhook", webhook, methods=["POST"]),
        Route("/health", health, methods=["GET"]),
    ]
)
