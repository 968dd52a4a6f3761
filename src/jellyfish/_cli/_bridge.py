"""``jellyfish bridge``: run a :class:`jellyfish.redis.Bridge` until Ctrl-C or SIGTERM."""

from __future__ import annotations

import logging
import signal
from typing import TYPE_CHECKING

import click

from jellyfish._cli._app import Connection, cli, pass_connection, seconds_option

if TYPE_CHECKING:
    import anyio


@cli.command(short_help="Publish the notifications to a Redis stream (HA, catch-up).")
@click.option(
    "--redis",
    "redis_url",
    metavar="URL",
    default="redis://localhost:6379",
    show_default=True,
    help="redis://[[user]:password@]host[:port][/db], rediss:// (TLS) or unix:///path.",
)
@click.option("--stream", default="jellyfish:events", show_default=True, help="The stream's key.")
@click.option(
    "--maxlen",
    type=click.IntRange(min=1),
    default=100_000,
    show_default=True,
    help="Trim the stream to about this many entries.",
)
@seconds_option(
    "--lease",
    default=5.0,
    help="How long a dead leader keeps the lease before a standby takes over.",
)
@click.option("--name", help="This bridge's name in the lease and the logs. [default: host:pid]")
@click.option(
    "--webhooks",
    metavar="[HOST]:PORT",
    help="Take the notifications from the webhooks POSTed to this address (':8000': every IPv4 "
    "interface) instead of the WebSocket. Every bridge receives; only rooms created with a "
    "webhook URL are published.",
)
@seconds_option(
    "--catch-up-interval",
    default=60.0,
    zero_allowed=True,
    help="Catch up when nothing else made the leader do it for this long (0: never).",
)
@click.option("-q", "--quiet", is_flag=True, help="Log warnings only, not each takeover.")
@pass_connection
def bridge(
    connection: Connection,
    redis_url: str,
    stream: str,
    maxlen: int,
    lease: float,
    name: str | None,
    webhooks: str | None,
    catch_up_interval: float,
    quiet: bool,
) -> None:
    """Publish every server notification, in order, to a Redis stream, until Ctrl-C.

    Run two or more for high availability: one leads, the others stand by and take over
    within --lease seconds when it dies. A bridge that starts leading, or whose WebSocket
    reconnects, first catches up: it reads GET /room and appends the events that happened
    meanwhile, marked synthetic. Consume the stream with jellyfish.redis.StreamConsumer.

    With --webhooks, every bridge (leader or standby) stores each webhook in Redis before
    it answers 204 (503 when Redis does not take it), and the leader publishes them in
    order. Point the rooms' webhook URL at the bridges through a load balancer; GET on
    the same port is a health check.

    \b
    Examples:
      jellyfish bridge --redis redis://localhost:6379
      jellyfish --address jellyfish:5002 bridge --redis redis://redis:6379/0 --lease 3
      jellyfish bridge --redis redis://redis:6379 --webhooks :8000
    """
    import anyio

    from jellyfish.redis import Bridge

    settings = connection.settings()
    if webhooks is not None:
        from jellyfish._webhook_server import parse_listen_address

        try:
            parse_listen_address(webhooks)
        except ValueError as error:
            raise click.BadParameter(str(error), param_hint="'--webhooks'") from None
    try:
        runner = Bridge(
            redis_url,
            stream=stream,
            server_address=settings.server_address,
            server_api_token=settings.server_api_token,
            secure=settings.secure,
            maxlen=maxlen,
            lease=lease,
            name=name,
            webhooks=webhooks,
            catch_up_interval=catch_up_interval or None,
        )
    except ValueError as error:
        raise click.BadParameter(str(error), param_hint="'--redis'") from None
    logging.basicConfig(
        level=logging.WARNING, format="%(asctime)s %(levelname)s %(name)s: %(message)s"
    )
    if not quiet:  # the bridge's own takeovers and catch-ups, not every HTTP request
        logging.getLogger("jellyfish.bridge").setLevel(logging.INFO)
    click.echo(f"Bridging {settings.server_address} to {runner} (Ctrl-C to stop)", err=True)

    async def main() -> None:
        from jellyfish.errors import JellyfishError

        failure: JellyfishError | click.ClickException | None = None
        async with anyio.create_task_group() as group:
            group.start_soon(_stop_on_signals, group.cancel_scope)
            try:
                await runner.run()
            except JellyfishError as error:  # raised here, so that no ExceptionGroup hides it
                failure = error
            except OSError as error:
                failure = click.ClickException(f"cannot receive webhooks on {webhooks}: {error}")
            group.cancel_scope.cancel()
        if failure is not None:
            raise failure

    anyio.run(main)
    click.echo("Stopped.", err=True)


async def _stop_on_signals(scope: anyio.CancelScope) -> None:
    import anyio

    with anyio.open_signal_receiver(signal.SIGINT, signal.SIGTERM) as signals:
        async for _ in signals:
            scope.cancel()
            return
