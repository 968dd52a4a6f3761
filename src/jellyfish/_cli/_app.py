"""The root ``jellyfish`` group: connection options, error reporting, entry point."""

from __future__ import annotations

from collections.abc import Callable, Sequence
from typing import TYPE_CHECKING, Any, TypeVar

import click

from jellyfish._version import __version__

if TYPE_CHECKING:
    from jellyfish._settings import ConnectionSettings, Secret
    from jellyfish.api import RecordingApi, RoomApi

ApiT = TypeVar("ApiT", "RoomApi", "RecordingApi")
FuncT = TypeVar("FuncT", bound=Callable[..., Any])

EXIT_FAILURE = 1
"""The command ran and failed (an error status, an unreachable server, a bad token)."""


class Connection:
    """The connection options of one invocation; ``None`` means "resolve" (env, default).

    The token is held as a hidden ``Secret`` (no ``repr``, no ``__dict__`` shows it).
    """

    __slots__ = ("_token", "address", "secure", "timeout")

    def __init__(
        self, address: str | None, token: Secret | None, secure: bool | None, timeout: float
    ) -> None:
        self.address = address
        self._token = token
        self.secure = secure
        self.timeout = timeout

    def __repr__(self) -> str:
        return f"Connection(address={self.address!r}, secure={self.secure!r})"

    def settings(self) -> ConnectionSettings:
        """The options, else ``JELLYFISH_*``, else the SDK defaults (``resolve_settings``).

        Raises:
            click.UsageError: an address, token or ``JELLYFISH_SECURE`` that cannot be
                right (exit status 2; the message never shows the token).
        """
        from jellyfish._settings import CLI_NAMES, resolve_settings

        try:
            return resolve_settings(self.address, self._token, self.secure, names=CLI_NAMES)
        except ValueError as error:
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


def seconds_option(
    *param_decls: str, default: float, help: str, zero_allowed: bool = False
) -> Callable[[FuncT], FuncT]:
    """An option of ``SECONDS``: a positive number (or 0 too), its default shown in --help."""
    return click.option(
        *param_decls,
        type=click.FloatRange(min=0, min_open=not zero_allowed),
        default=default,
        show_default=True,
        metavar="SECONDS",
        help=help,
    )


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


SECRETS_KEY = "jellyfish.secrets"
"""Where a context's ``meta`` keeps the strings that must not be printed (the tokens)."""

MIN_HIDDEN_LENGTH = 4
"""Shorter strings are not hidden: masking them would garble every message."""


def secrets_in(args: Sequence[str]) -> frozenset[str]:
    """What may be a token on this command line, as the user wrote it or as click quotes it.

    ``JELLYFISH_TOKEN``, ``--token=...``, and what follows ``--token``: the next argument
    and, if that is an option (``--token --json TOKEN``: a mistyped line), the first word
    after it, which click then reads as a command name and quotes in its error. Each also
    without surrounding whitespace and escaped as ``repr`` shows it.
    """
    import os

    found = [os.environ.get("JELLYFISH_TOKEN", "")]
    for index, arg in enumerate(args):
        if arg == "--token":
            following = list(args[index + 1 :])
            while following and following[0].startswith("-"):
                found.append(following.pop(0))
            found += following[:1]
        elif arg.startswith("--token="):
            found.append(arg.removeprefix("--token="))
    variants = {
        variant
        for secret in found
        for text in (secret, secret.strip())
        for variant in (text, repr(text)[1:-1])
    }
    return frozenset(variant for variant in variants if len(variant) >= MIN_HIDDEN_LENGTH)


def hide_secrets(error: click.ClickException, ctx: click.Context) -> click.ClickException:
    """``error``, or the same error with the tokens in its message masked.

    A misplaced token can be read as a command name or an argument, which click quotes.
    """
    shown = error.format_message()
    masked = shown
    for secret in sorted(ctx.meta.get(SECRETS_KEY, ()), key=len, reverse=True):
        masked = masked.replace(secret, "<token hidden>")
    if masked == shown:
        return error
    if isinstance(error, click.UsageError):
        return click.UsageError(masked, ctx=error.ctx)
    return click.ClickException(masked)  # exit status 1, as every other failure


class _Group(click.Group):
    """Turns the SDK's errors into click's one-line ``Error: ...`` and exit code 1.

    And keeps the token out of every error message (:func:`hide_secrets`).
    """

    def parse_args(self, ctx: click.Context, args: list[str]) -> list[str]:
        ctx.meta[SECRETS_KEY] = secrets_in(args)
        try:
            return super().parse_args(ctx, args)
        except click.ClickException as error:
            raise hide_secrets(error, ctx) from None

    def invoke(self, ctx: click.Context) -> Any:
        try:
            return self._invoke(ctx)
        except click.ClickException as error:
            raise hide_secrets(error, ctx) from None

    def _invoke(self, ctx: click.Context) -> Any:
        try:
            return super().invoke(ctx)
        except (click.exceptions.ClickException, click.exceptions.Exit, click.Abort):
            raise
        except BrokenPipeError:  # `jellyfish events | head -1`: click exits quietly
            raise
        except Exception as error:
            message = describe_failure(error)
            if message is not None:
                raise click.ClickException(message) from None
            if isinstance(error, ValueError):
                # an argument the SDK refused before contacting the server (a room id "..")
                raise click.UsageError(str(error)) from None
            raise


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
    help="The Jellyfish to talk to: HOST:PORT, or a URL such as https://HOST:PORT (the scheme "
    "sets --secure). [env JELLYFISH_ADDRESS; default localhost:5002]",
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
@seconds_option("--timeout", default=10.0, help="How long each request may take.")
@click.version_option(__version__, "-V", "--version", prog_name="jellyfish")
@click.pass_context
def cli(
    ctx: click.Context, address: str | None, token: str | None, secure: bool | None, timeout: float
) -> None:
    """Operate and debug a Jellyfish media server.

    Rooms, peers, components, recordings, live server notifications, webhooks and a local
    emulator, over the SDK's public API.
    """
    from jellyfish._settings import Secret

    ctx.obj = Connection(address, Secret.of(token), secure, timeout)


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
