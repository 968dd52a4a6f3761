"""``jellyfish events`` (the server WebSocket) and ``jellyfish webhooks listen`` (HTTP)."""

from __future__ import annotations

import contextlib
import signal
import threading
from collections.abc import Callable, Iterator
from datetime import datetime
from typing import TYPE_CHECKING, Any

import click

from jellyfish._cli._app import Connection, cli, pass_connection
from jellyfish._cli._notification_text import Printable, json_line, text_line
from jellyfish._cli._output import emit_json, json_option

if TYPE_CHECKING:
    from http.server import BaseHTTPRequestHandler

MAX_WEBHOOK_BODY = 1024 * 1024
"""Bytes a webhook body may have (a notification is a few hundred)."""

_room_option = click.option(
    "--room",
    "rooms",
    metavar="ID",
    multiple=True,
    help="Only notifications about this room (repeat for several).",
)
_limit_option = click.option(
    "--limit",
    type=click.IntRange(min=1),
    metavar="N",
    help="Exit after printing N notifications.",
)


@contextlib.contextmanager
def _interruptible() -> Iterator[None]:
    """Ctrl-C (SIGINT) and SIGTERM raise ``KeyboardInterrupt`` while the command runs.

    Even when the parent ignores SIGINT (a shell starts background jobs that way), so
    ``kill -INT`` and process supervisors stop the command as promptly as Ctrl-C does.
    """
    if threading.current_thread() is not threading.main_thread():
        yield
        return
    previous = {
        signum: signal.signal(signum, signal.default_int_handler)
        for signum in (signal.SIGINT, signal.SIGTERM)
    }
    try:
        yield
    finally:
        for signum, handler in previous.items():
            signal.signal(signum, handler)


class _Printer:
    """Prints what passes the room filter, one line each; counts towards ``--limit``."""

    def __init__(self, as_json: bool, rooms: tuple[str, ...], limit: int | None) -> None:
        self._as_json = as_json
        self._rooms = frozenset(rooms)
        self._remaining = limit
        self._lock = threading.Lock()  # the webhook server prints from several threads
        self.done = threading.Event()

    def __call__(self, event: Printable) -> None:
        room_id = getattr(event, "room_id", None)
        if self._rooms and room_id is not None and room_id not in self._rooms:
            return
        when = datetime.now().astimezone()
        with self._lock:
            if self.done.is_set():
                return
            if self._as_json:
                emit_json(json_line(event, when))
            else:
                click.echo(text_line(event, when))
            if self._remaining is not None:
                self._remaining -= 1
                if self._remaining == 0:
                    self.done.set()


@cli.command(short_help="Tail the server's notifications live.")
@click.option("--metrics", is_flag=True, help="Also print the MetricsReport (about once a second).")
@_room_option
@json_option
@_limit_option
@pass_connection
def events(
    connection: Connection, metrics: bool, rooms: tuple[str, ...], as_json: bool, limit: int | None
) -> None:
    """Print the server's notifications as they happen, one line each, until Ctrl-C.

    Each line has a timestamp and the notification's readable form; --json prints JSON lines
    ({"time", "type", "notification"}) instead. When the connection drops, the command
    reconnects and prints a "reconnected" line (notifications sent meanwhile are lost).

    \b
    Examples:
      jellyfish events
      jellyfish events --room demo --metrics
      jellyfish events --json | jq -c 'select(.type == "ServerMessagePeerConnected")'
    """
    from jellyfish import BlockingNotifier, Subscription

    settings = connection.settings()
    subscriptions = [Subscription.SERVER_NOTIFICATIONS]
    if metrics:
        subscriptions.append(Subscription.METRICS)
    printer = _Printer(as_json, rooms, limit)
    notifier = BlockingNotifier(
        settings.server_address,
        settings.server_api_token,
        settings.secure,
        subscribe=subscriptions,
        queue_events=True,
    )
    with _interruptible(), contextlib.suppress(KeyboardInterrupt):
        try:
            notifier.start()
            notifier.wait_ready(timeout=connection.timeout)
            click.echo(f"Listening to {notifier.url} (Ctrl-C to stop)", err=True)
            for event in notifier:
                printer(event)
                if printer.done.is_set():
                    break
        finally:
            notifier.close(timeout=1.0)


@cli.group()
def webhooks() -> None:
    """Receive the webhooks a Jellyfish sends."""


@webhooks.command("listen")
@click.option("--host", default="127.0.0.1", show_default=True, help="The address to listen on.")
@click.option(
    "--port",
    type=click.IntRange(0, 65535),
    default=8000,
    show_default=True,
    help="The port to listen on (0: any free one).",
)
@_room_option
@json_option
@_limit_option
def webhooks_listen(
    host: str, port: int, rooms: tuple[str, ...], as_json: bool, limit: int | None
) -> None:
    """Run a local webhook receiver and print every notification it gets, until Ctrl-C.

    Accepts POSTs to any path, v0.5 protobuf (application/x-protobuf) and v0.3 JSON
    (application/json) bodies alike, and prints them as `jellyfish events` does. Point a
    room's webhook URL at it.

    \b
    Examples:
      jellyfish webhooks listen --port 8000 &
      jellyfish room create --webhook-url http://127.0.0.1:8000/webhook
    """
    from http.server import ThreadingHTTPServer

    from jellyfish import receive_webhook

    printer = _Printer(as_json, rooms, limit)
    server = ThreadingHTTPServer((host, port), _handler_class(receive_webhook, printer))
    server.daemon_threads = True
    serving = threading.Thread(target=server.serve_forever, name="webhooks-listen", daemon=True)
    serving.start()
    bound_host, bound_port = server.server_address[:2]
    click.echo(
        f"Listening for webhooks on http://{bound_host!s}:{bound_port} (Ctrl-C to stop)", err=True
    )
    with _interruptible(), contextlib.suppress(KeyboardInterrupt):
        try:
            while not printer.done.wait(0.5):  # a short wait keeps Ctrl-C responsive everywhere
                pass
        finally:
            server.shutdown()
            server.server_close()


def _handler_class(
    decode: Callable[[bytes, str | None], Printable], printer: _Printer
) -> type[BaseHTTPRequestHandler]:
    from http.server import BaseHTTPRequestHandler

    class WebhookHandler(BaseHTTPRequestHandler):
        server_version = "jellyfish-webhooks-listen"

        def do_POST(self) -> None:
            length_header = self.headers.get("Content-Length")
            try:
                length = int(length_header) if length_header is not None else -1
            except ValueError:
                length = -1
            if length < 0:
                self._answer(411, "a Content-Length is required")
                return
            if length > MAX_WEBHOOK_BODY:
                self._answer(413, f"bodies over {MAX_WEBHOOK_BODY} bytes are not notifications")
                return
            body = self.rfile.read(length)
            from jellyfish.errors import DecodeError

            try:
                notification = decode(body, self.headers.get("Content-Type"))
            except DecodeError as error:
                click.echo(f"Rejected a webhook to {self.path}: {error}", err=True)
                self._answer(400, str(error))
                return
            printer(notification)
            self._answer(204, "")

        def _answer(self, status: int, message: str) -> None:
            body = message.encode()
            self.send_response(status)
            if status != 204:
                self.send_header("Content-Type", "text/plain; charset=utf-8")
                self.send_header("Content-Length", str(len(body)))
            self.send_header("Connection", "close")
            self.end_headers()
            if status != 204:
                self.wfile.write(body)
            self.close_connection = True

        def log_message(self, format: str, *args: Any) -> None:
            """Silent: the notifications are the output."""

    return WebhookHandler
