"""``python -m jellyfish.testing`` (or ``jellyfish emulator``): run the emulator until interrupted.

Options default to the Jellyfish environment variables (``JF_SERVER_API_TOKEN``, ``JF_IP``,
``JF_PORT``, ``JF_HOST``, ``JF_RESOURCES_BASE_PATH``, ``JF_SIP_USED``, ``JF_METRICS_PORT``,
...), then to the Jellyfish dev defaults (``127.0.0.1:5002``, token ``development``,
Prometheus on ``127.0.0.1:9568``).
"""

from __future__ import annotations

import argparse
import logging
import os
import signal
import sys
import threading
from collections.abc import Callable
from types import FrameType
from typing import Any

from jellyfish.testing._operations import CONTROL_PREFIX
from jellyfish.testing._options import NodeOptions
from jellyfish.testing._server import JellyfishServer

#: Jellyfish's own defaults where the Python API's differ (free ports there).
DEFAULT_PORT = 5002
DEFAULT_METRICS_PORT = 9568
_DEFAULTS = NodeOptions()


def _env_flag(name: str, default: bool) -> bool:
    value = os.environ.get(name)
    if value is None:
        return default
    if value.lower() not in ("true", "false"):
        raise SystemExit(f"{name} must be 'true' or 'false', got {value!r}")
    return value.lower() == "true"


def _number(minimum: float, inclusive: bool) -> Callable[[str], float]:
    def parse(text: str) -> float:
        try:
            value = float(text)
        except ValueError:
            raise argparse.ArgumentTypeError(f"not a number: {text!r}") from None
        low_ok = value >= minimum if inclusive else value > minimum
        if not (low_ok and value != float("inf")):
            bound = f">= {minimum:g}" if inclusive else f"> {minimum:g}"
            raise argparse.ArgumentTypeError(f"must be a finite number {bound}, got {text!r}")
        return value

    return parse


_positive = _number(0, inclusive=False)


def _timeout(text: str) -> float | None:
    return None if text == "never" else _positive(text)


#: Text options: flag, environment variable, default (None: none), sentence, default as shown.
_FROM_ENVIRONMENT = (
    ("--host", "JF_IP", "127.0.0.1", "IP to listen on", "127.0.0.1"),
    (
        "--token",
        "JF_SERVER_API_TOKEN",
        "development",
        "Server API token for REST, the server WebSocket and the control API",
        "development",
    ),
    (
        "--external-address",
        "JF_HOST",
        None,
        "host:port reported as jellyfish_address and in peer_websocket_url",
        "<host>:<port>",
    ),
    (
        "--resources-dir",
        "JF_RESOURCES_BASE_PATH",
        None,
        "Media root with file_component_sources/, recordings/, ...",
        "a temporary directory removed on exit",
    ),
    (
        "--secret-key-base",
        "JF_SECRET_KEY_BASE",
        None,
        "Key peer tokens are signed (Phoenix.Token) and salted with",
        "random per boot",
    ),
    ("--git-commit", "JF_GIT_COMMIT", _DEFAULTS.git_commit, "gitCommit reported by /health", "dev"),
    (
        "--metrics-host",
        "JF_METRICS_IP",
        _DEFAULTS.metrics_host,
        "IP of the Prometheus listener",
        "127.0.0.1",
    ),
)

#: Numeric options: flag, NodeOptions field, parser, sentence (defaults are NodeOptions').
_NUMBERS = (
    ("--heartbeat-interval", "heartbeat_interval", _positive, "Seconds between WebSocket pings"),
    (
        "--metrics-interval",
        "metrics_interval",
        _positive,
        "Simulated seconds between MetricsReports",
    ),
    (
        "--request-timeout",
        "request_timeout",
        _timeout,
        "Cowboy's request_timeout: seconds a connection may go without a complete request, "
        "or 'never'",
    ),
    (
        "--idle-timeout",
        "idle_timeout",
        _timeout,
        "Cowboy's idle_timeout: seconds a busy connection or a WebSocket may go without data "
        "from the client, or 'never'",
    ),
    ("--webhook-timeout", "webhook_timeout", _positive, "Seconds per webhook request, no retries"),
    ("--peer-token-max-age", "peer_token_max_age", _positive, "Seconds a peer token stays valid"),
    (
        "--media-speed",
        "media_speed",
        _positive,
        "Simulated seconds per real second for timers, metrics and media, e.g. 20",
    ),
)

#: On/off options: flag, environment variable (None: none), default, sentence with its default.
_SWITCHES = (
    ("--sip", "JF_SIP_USED", False, "Allow sip components (default: $JF_SIP_USED or off)."),
    (
        "--no-webrtc",
        "JF_WEBRTC_USED",
        True,
        "Refuse WebRTC peers, as JF_WEBRTC_USED=false does (default: $JF_WEBRTC_USED or on).",
    ),
    (
        "--no-recording",
        "JF_RECORDING_USED",
        True,
        "Refuse recording components (default: $JF_RECORDING_USED or on).",
    ),
    ("--no-metrics-listener", None, False, "Do not open the Prometheus listener (default: open)."),
    (
        "--webhook-loopback-only",
        None,
        False,
        "Send webhooks only to loopback URLs (default: to any URL).",
    ),
    (
        "--fractional-timeouts",
        None,
        False,
        "Accept fractional peerlessPurgeTimeout/peerDisconnectedTimeout (default: integers only, "
        "like Jellyfish).",
    ),
    (
        "--manual-clock",
        None,
        False,
        "Time stands still until the control API's advance moves it (default: off).",
    ),
)


def _switch_default(flag: str, variable: str | None, default: bool) -> bool:
    if variable is None:
        return False
    enabled = _env_flag(variable, default)
    return not enabled if flag.startswith("--no-") else enabled


def _parser(prog: str) -> argparse.ArgumentParser:
    env = os.environ.get
    parser = argparse.ArgumentParser(
        prog=prog,
        description=(
            "Run the Jellyfish v0.5.0 emulator in the foreground until Ctrl-C (or SIGTERM). "
            f"Its control API answers under {CONTROL_PREFIX} (see docs/testing.md)."
        ),
    )
    add = parser.add_argument
    for flag, variable, default, sentence, shown in _FROM_ENVIRONMENT:
        add(
            flag,
            default=env(variable, default),
            help=f"{sentence} (default: ${variable} or {shown}).",
        )
    add(
        "--port",
        type=int,
        default=int(env("JF_PORT", str(DEFAULT_PORT))),
        help=f"Port to listen on; 0 picks a free one (default: $JF_PORT or {DEFAULT_PORT}).",
    )
    add(
        "--metrics-port",
        type=int,
        default=int(env("JF_METRICS_PORT", str(DEFAULT_METRICS_PORT))),
        help="Port of the Prometheus listener (GET /metrics); 0 picks a free one "
        f"(default: $JF_METRICS_PORT or {DEFAULT_METRICS_PORT}).",
    )
    for flag, switch_variable, enabled, sentence in _SWITCHES:
        add(
            flag,
            action="store_true",
            default=_switch_default(flag, switch_variable, enabled),
            help=sentence,
        )
    for flag, field_name, kind, sentence in _NUMBERS:
        number = getattr(_DEFAULTS, field_name)
        add(flag, type=kind, default=number, help=f"{sentence} (default: %(default)g).")
    add(
        "--webhook-format",
        choices=("protobuf", "json"),
        default=_DEFAULTS.webhook_format,
        help="Webhook bodies: v0.5 protobuf or v0.3 JSON (default: %(default)s).",
    )
    add(
        "--failing-s3-bucket",
        action="append",
        default=[],
        metavar="BUCKET",
        help="HLS uploads to this bucket end with HlsUploadCrashed; repeatable (default: none).",
    )
    add(
        "--log-level",
        default="info",
        choices=("debug", "info", "warning", "error"),
        help="Log level (default: %(default)s).",
    )
    return parser


def _s3_from_env() -> dict[str, str] | None:
    names = {
        "accessKeyId": "JF_S3_ACCESS_KEY_ID",
        "secretAccessKey": "JF_S3_SECRET_ACCESS_KEY",
        "region": "JF_S3_REGION",
        "bucket": "JF_S3_BUCKET",
    }
    values = {key: os.environ.get(name) for key, name in names.items()}
    present = {key: value for key, value in values.items() if value}
    if not present:
        return None
    if len(present) != len(names):
        raise SystemExit("JF_S3_* must be set all four or none")
    return present


def _server_options(args: argparse.Namespace) -> dict[str, Any]:
    return {
        "external_address": args.external_address,
        "resources_dir": args.resources_dir,
        "heartbeat_interval": args.heartbeat_interval,
        "metrics_interval": args.metrics_interval,
        "webhook_format": args.webhook_format,
        "webhook_timeout": args.webhook_timeout,
        "webhook_loopback_only": args.webhook_loopback_only,
        "webrtc_enabled": not args.no_webrtc,
        "sip_enabled": args.sip,
        "recording_enabled": not args.no_recording,
        "s3_credentials": _s3_from_env(),
        "s3_path_prefix": os.environ.get("JF_S3_PATH_PREFIX"),
        "secret_key_base": args.secret_key_base,
        "peer_token_max_age": args.peer_token_max_age,
        "git_commit": args.git_commit,
        "fractional_timeouts": args.fractional_timeouts,
        "media_speed": args.media_speed,
        "manual_clock": args.manual_clock,
        "failing_s3_buckets": frozenset(args.failing_s3_bucket),
        "metrics_host": args.metrics_host,
        "metrics_port": None if args.no_metrics_listener else args.metrics_port,
        "request_timeout": args.request_timeout,
        "idle_timeout": args.idle_timeout,
    }


def main(argv: list[str] | None = None, prog: str = "python -m jellyfish.testing") -> int:
    """Run the emulator until SIGINT/SIGTERM."""
    args = _parser(prog).parse_args(argv)
    logging.basicConfig(
        level=args.log_level.upper(),
        format="%(asctime)s [%(levelname)s] %(message)s",
        stream=sys.stderr,
    )
    logging.getLogger("uvicorn.error").setLevel(logging.WARNING)
    server = JellyfishServer(args.token, args.host, args.port, **_server_options(args))
    stop = threading.Event()

    def on_signal(signum: int, frame: FrameType | None) -> None:
        stop.set()

    signal.signal(signal.SIGINT, on_signal)
    signal.signal(signal.SIGTERM, on_signal)
    logger = logging.getLogger("jellyfish.testing")
    with server:
        # Never the token: logs end up in CI output and bug reports.
        logger.info(
            "Running Jellyfish emulator (v0.5.0) at %s (%s), media speed %gx",
            server.address,
            server.http_url,
            server.media_speed,
        )
        if server.metrics_url is not None:
            logger.info("Prometheus metrics at %s", server.metrics_url)
        while not stop.wait(0.5):
            pass
        logger.info("Shutting down")
    return 0


if __name__ == "__main__":
    sys.exit(main())
