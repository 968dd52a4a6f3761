"""``python -m jellyfish.testing``: run the emulator in the foreground until interrupted.

Options default to the Jellyfish environment variables (``JF_SERVER_API_TOKEN``, ``JF_IP``,
``JF_PORT``, ``JF_HOST``, ``JF_RESOURCES_BASE_PATH``, ``JF_SIP_USED``, ...), then to the
Jellyfish dev defaults (``127.0.0.1:5002``, token ``development``).
"""

from __future__ import annotations

import argparse
import logging
import os
import signal
import sys
import threading
from types import FrameType

from jellyfish.testing._server import JellyfishServer


def _env_flag(name: str, default: bool) -> bool:
    value = os.environ.get(name)
    if value is None:
        return default
    if value.lower() not in ("true", "false"):
        raise SystemExit(f"{name} must be 'true' or 'false', got {value!r}")
    return value.lower() == "true"


def _positive_float(text: str) -> float:
    try:
        value = float(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"not a number: {text!r}") from None
    if not (value > 0 and value != float("inf")):
        raise argparse.ArgumentTypeError(f"must be a positive number, got {text!r}")
    return value


def _parser() -> argparse.ArgumentParser:
    env = os.environ.get
    parser = argparse.ArgumentParser(
        prog="python -m jellyfish.testing",
        description="Run the in-process Jellyfish v0.5.0 emulator until Ctrl-C.",
    )
    parser.add_argument("--host", default=env("JF_IP", "127.0.0.1"), help="listen IP (JF_IP)")
    parser.add_argument(
        "--port", type=int, default=int(env("JF_PORT", "5002")), help="listen port (JF_PORT)"
    )
    parser.add_argument(
        "--token",
        default=env("JF_SERVER_API_TOKEN", "development"),
        help="server API token (JF_SERVER_API_TOKEN)",
    )
    parser.add_argument(
        "--external-address", default=env("JF_HOST"), help="host:port to report (JF_HOST)"
    )
    parser.add_argument(
        "--resources-dir",
        default=env("JF_RESOURCES_BASE_PATH"),
        help="media root (JF_RESOURCES_BASE_PATH); a temporary directory by default",
    )
    parser.add_argument("--heartbeat-interval", type=float, default=30.0)
    parser.add_argument("--metrics-interval", type=float, default=1.0)
    parser.add_argument("--webhook-format", choices=("protobuf", "json"), default="protobuf")
    parser.add_argument("--sip", action="store_true", default=_env_flag("JF_SIP_USED", False))
    parser.add_argument(
        "--no-webrtc", action="store_true", default=not _env_flag("JF_WEBRTC_USED", True)
    )
    parser.add_argument(
        "--no-recording", action="store_true", default=not _env_flag("JF_RECORDING_USED", True)
    )
    parser.add_argument("--secret-key-base", default=env("JF_SECRET_KEY_BASE"))
    parser.add_argument(
        "--media-speed",
        type=_positive_float,
        default=1.0,
        help="simulated seconds per real second for timers, metrics and media (e.g. 20)",
    )
    parser.add_argument("--log-level", default="info")
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


def main(argv: list[str] | None = None) -> int:
    """Run the emulator until SIGINT/SIGTERM."""
    args = _parser().parse_args(argv)
    logging.basicConfig(
        level=args.log_level.upper(),
        format="%(asctime)s [%(levelname)s] %(message)s",
        stream=sys.stderr,
    )
    logging.getLogger("uvicorn.error").setLevel(logging.WARNING)
    server = JellyfishServer(
        args.token,
        args.host,
        args.port,
        external_address=args.external_address,
        resources_dir=args.resources_dir,
        heartbeat_interval=args.heartbeat_interval,
        metrics_interval=args.metrics_interval,
        webhook_format=args.webhook_format,
        webrtc_enabled=not args.no_webrtc,
        sip_enabled=args.sip,
        recording_enabled=not args.no_recording,
        s3_credentials=_s3_from_env(),
        s3_path_prefix=os.environ.get("JF_S3_PATH_PREFIX"),
        secret_key_base=args.secret_key_base,
        media_speed=args.media_speed,
    )
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
        while not stop.wait(0.5):
            pass
        logger.info("Shutting down")
    return 0


if __name__ == "__main__":
    sys.exit(main())
