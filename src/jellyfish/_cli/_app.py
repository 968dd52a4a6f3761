"""The root ``jellyfish`` group: connection options, error reporting, entry point."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any, TypeVar

import click

from jellyfish._version import __version__

if TYPE_CHECKING:
    from jellyfish._settings import ConnectionSettings
    from jellyfish.api import RecordingApi, RoomApi

ApiT = TypeVar("ApiT", "RoomApi", "RecordingApi")

EXIT_FAILURE = 1
"""The command ran and failed (an error status, an unreachable server, a bad token)."""


@dataclass(frozen=True)
class Connection:
    """The connection options of one invocation; ``None`` means "resolve" (env, default)."""

    address: str | None
    token: str | None
    secure: bool | None
    timeout: float

    def settings(self) -> ConnectionSettings:
        """The options, else ``JELLYFISH_*``, else the SDK defaults (``resolve_settings``)."""
        from jellyfish._settings import resolve_settings

        try:
            return resolve_settings(self.address, self.token, self.secure)
        except ValueError as error:  # JELLYFISH_SECURE is not a boolean
            raise click.UsageError(str(error)) from None

    def room_api(self) -> RoomApi:
        """A ``RoomApi`` closed when the command ends."""
        from jellyfish.api import RoomApi

        return self._open(RoomApi)

    def recording_api(self) -> RecordingApi:
        """A ``RecordingApi`` closed when the command ends."""
        from jellyfish.api import RecordingApi

        return self._open(RecordingApi)

    def _open(self, api_class: type[ApiT]) -> ApiT:
        settings = self.settings()
        api = api_class(
            settings.server_address,
            settings.server_api_token,
            settings.secure,
            timeout=self.timeout,
        )
        return click.get_current_context().with_resource(api)


pass_connection = click.make_pass_decorator(Connection)
"""Passes the invocation's :class:`Connection` to a command."""


def describe_failure(error: BaseException) -> str | None:
    """One line for an expected failure (never the token); ``None`` for a bug."""
    from http import HTTPStatus

    from jellyfish import errors

    if isinstance(error, errors.HTTPError):
        try:
            phrase = HTTPStatus(error.status_code).phrase
        except ValueError:
            phrase = "HTTP error"
        request = f" ({error.method} {error.path})" if error.path else ""
        return f"{error.status_code} {phrase}: {error.message}{request}"
    if isinstance(error, errors.JellyfishError):
        return f"{error} [{type(error).__name__}]"
    if isinstance(error, OSError):  # writing a download, binding the webhook listener
        where = f": {error.filename}" if error.filename else ""
        return f"{error.strerror or error}{where}"
    return None


class _Group(click.Group):
    """Turns the SDK's errors into click's one-line ``Error: ...`` and exit code 1."""

    def invoke(self, ctx: click.Context) -> Any:
        try:
            return super().invoke(ctx)
        except (click.exceptions.ClickException, click.exceptions.Exit, click.Abort):
            raise
        except BrokenPipeError:  # `jellyfish events | head -1`: click exits quietly
            raise
        except Exception as error:
            message = describe_failure(error)
            if message is None:
                raise
            raise click.ClickException(message) from None


EPILOG = """\b
Examples:
  jellyfish health
  jellyfish room create --video-codec h264 --room-id demo
  jellyfish rooms --json | jq '.[].id'
  jellyfish events --room demo
  JELLYFISH_ADDRESS=jellyfish.example.com:443 JELLYFISH_SECURE=1 jellyfish rooms

Connection settings: the options above, else JELLYFISH_ADDRESS, JELLYFISH_TOKEN and
JELLYFISH_SECURE, else localhost:5002, "development", plain http. Exit status: 0 on
success, 1 when the command fails, 2 for invalid usage. Shell completion: see docs/cli.md
(e.g. eval "$(_JELLYFISH_COMPLETE=bash_source jellyfish)").
"""


@click.group(
    cls=_Group,
    epilog=EPILOG,
    context_settings={"help_option_names": ["-h", "--help"], "max_content_width": 100},
)
@click.option(
    "--address",
    metavar="HOST:PORT",
    help="The Jellyfish to talk to. [env JELLYFISH_ADDRESS; default localhost:5002]",
)
@click.option(
    "--token",
    metavar="TOKEN",
    help="The server API token (never printed). [env JELLYFISH_TOKEN; default development]",
)
@click.option(
    "--secure/--no-secure",
    default=None,
    help="https and wss instead of http and ws. [env JELLYFISH_SECURE]",
)
@click.option(
    "--timeout",
    type=click.FloatRange(min=0, min_open=True),
    default=10.0,
    show_default=True,
    metavar="SECONDS",
    help="How long each request may take.",
)
@click.version_option(__version__, "-V", "--version", prog_name="jellyfish")
@click.pass_context
def cli(
    ctx: click.Context, address: str | None, token: str | None, secure: bool | None, timeout: float
) -> None:
    """Operate and debug a Jellyfish media server.

    Rooms, peers, components, recordings, live server notifications, webhooks and a local
    emulator, over the SDK's public API.
    """
    ctx.obj = Connection(address, token, secure, timeout)


def main(argv: Sequence[str] | None = None) -> int:
    """Run ``jellyfish`` with ``argv`` (default ``sys.argv[1:]``); return the exit status."""
    try:
        cli.main(args=None if argv is None else list(argv), prog_name="jellyfish")
    except SystemExit as exit_:
        code = exit_.code
        if code is None or isinstance(code, int):
            return code or 0
        click.echo(code, err=True)
        return EXIT_FAILURE
    return 0
