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

from jellyfish.testing._control import CONTROL_PREFIX
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
    add(
        "--host",
        default=env("JF_IP", "127.0.0.1"),
        help="IP to listen on (default: $JF_IP or 127.0.0.1).",
    )
    add(
        "--port",
        type=int,
        default=int(env("JF_PORT", str(DEFAULT_PORT))),
        help=f"Port to listen on; 0 picks a free one (default: $JF_PORT or {DEFAULT_PORT}).",
    )
    add(
        "--token",
        default=env("JF_SERVER_API_TOKEN", "development"),
        help="Server API token for REST, the server WebSocket and the control API "
        "(default: $JF_SERVER_API_TOKEN or development).",
    )
    add(
        "--external-address",
        default=env("JF_HOST"),
        help="host:port reported as jellyfish_address and in peer_websocket_url "
        "(default: $JF_HOST or <host>:<port>).",
    )
    add(
        "--resources-dir",
        default=env("JF_RESOURCES_BASE_PATH"),
        help="Media root with file_component_sources/, recordings/, ... "
        "(default: $JF_RESOURCES_BASE_PATH or a temporary directory removed on exit).",
    )
    add(
        "--secret-key-base",
        default=env("JF_SECRET_KEY_BASE"),
        help="Key peer tokens are signed (Phoenix.Token) and salted with "
        "(default: $JF_SECRET_KEY_BASE or random per boot).",
    )
    add(
        "--sip",
        action="store_true",
        default=_env_flag("JF_SIP_USED", False),
        help="Allow sip components (default: $JF_SIP_USED or off).",
    )
    add(
        "--no-webrtc",
        action="store_true",
        default=not _env_flag("JF_WEBRTC_USED", True),
        help="Refuse WebRTC peers, as JF_WEBRTC_USED=false does (default: $JF_WEBRTC_USED or on).",
    )
    add(
        "--no-recording",
        action="store_true",
        default=not _env_flag("JF_RECORDING_USED", True),
        help="Refuse recording components (default: $JF_RECORDING_USED or on).",
    )
    add(
        "--git-commit",
        default=env("JF_GIT_COMMIT", _DEFAULTS.git_commit),
        help=f"gitCommit reported by /health (default: $JF_GIT_COMMIT or {_DEFAULTS.git_commit}).",
    )
    add(
        "--metrics-host",
        default=env("JF_METRICS_IP", _DEFAULTS.metrics_host),
        help="IP of the Prometheus listener "
        f"(default: $JF_METRICS_IP or {_DEFAULTS.metrics_host}).",
    )
    add(
        "--metrics-port",
        type=int,
        default=int(env("JF_METRICS_PORT", str(DEFAULT_METRICS_PORT))),
        help="Port of the Prometheus listener (GET /metrics); 0 picks a free one "
        f"(default: $JF_METRICS_PORT or {DEFAULT_METRICS_PORT}).",
    )
    add(
        "--no-metrics-listener",
        action="store_true",
        help="Do not open the Prometheus listener (default: it is open).",
    )
    add(
        "--heartbeat-interval",
        type=_positive,
        default=_DEFAULTS.heartbeat_interval,
        help="Seconds between WebSocket pings (default: %(default)g).",
    )
    add(
        "--metrics-interval",
        type=_positive,
        default=_DEFAULTS.metrics_interval,
        help="Simulated seconds between MetricsReports (default: %(default)g).",
    )
    add(
        "--request-timeout",
        type=_timeout,
        default=_DEFAULTS.request_timeout,
        help="Cowboy's request_timeout: seconds a connection may go without a complete "
        "request, or 'never' (default: %(default)g).",
    )
    add(
        "--idle-timeout",
        type=_timeout,
        default=_DEFAULTS.idle_timeout,
        help="Cowboy's idle_timeout: seconds a busy connection or a WebSocket may go without "
        "data from the client, or 'never' (default: %(default)g).",
    )
    add(
        "--webhook-format",
        choices=("protobuf", "json"),
        default=_DEFAULTS.webhook_format,
        help="Webhook bodies: v0.5 protobuf or v0.3 JSON (default: %(default)s).",
    )
    add(
        "--webhook-timeout",
        type=_positive,
        default=_DEFAULTS.webhook_timeout,
        help="Seconds per webhook request, no retries (default: %(default)g).",
    )
    add(
        "--webhook-loopback-only",
        action="store_true",
        help="Send webhooks only to loopback URLs (default: to any URL).",
    )
    add(
        "--fractional-timeouts",
        action="store_true",
        help="Accept fractional peerlessPurgeTimeout/peerDisconnectedTimeout "
        "(default: integers only, like Jellyfish).",
    )
    add(
        "--peer-token-max-age",
        type=_positive,
        default=_DEFAULTS.peer_token_max_age,
        help="Seconds a peer token stays valid (default: %(default)g).",
    )
    add(
        "--media-speed",
        type=_positive,
        default=_DEFAULTS.media_speed,
        help="Simulated seconds per real second for timers, metrics and media, e.g. 20 "
        "(default: %(default)g).",
    )
    add(
        "--manual-clock",
        action="store_true",
        help="Time stands still until the control API's advance moves it (default: off).",
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
