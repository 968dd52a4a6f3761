"""The options of one emulated node, described once.

:class:`NodeOptions` is what :class:`~jellyfish.testing.JellyfishServer` takes as keyword
arguments, what :class:`~jellyfish.testing.JellyfishCluster` passes to every node and what the
command line builds from its flags and the ``JF_*`` environment variables.
"""

from __future__ import annotations

import math
from collections.abc import Mapping
from dataclasses import dataclass, field, fields
from typing import Any, Literal

from jellyfish.testing._reaping import IDLE_TIMEOUT, REQUEST_TIMEOUT
from jellyfish.testing._tokens import DEFAULT_MAX_AGE

WebhookFormat = Literal["protobuf", "json"]
S3_KEYS = ("accessKeyId", "secretAccessKey", "region", "bucket")


@dataclass(frozen=True)
class NodeOptions:
    """Everything that configures one node (the ``JF_*`` variables of §9 and test knobs).

    Frozen; :class:`~jellyfish.testing.JellyfishServer` takes these as keyword arguments.

    Attributes:
        token: the server API token (``JF_SERVER_API_TOKEN``).
        host: the IP to listen on (``JF_IP``).
        port: the port to listen on (``JF_PORT``); 0 picks a free one.
        external_address: ``JF_HOST``: the ``host:port`` reported as ``jellyfish_address``
            and in ``peer_websocket_url`` (default ``"<host>:<port>"``).
        resources_dir: ``JF_RESOURCES_BASE_PATH``; a temporary directory (removed on
            ``stop()``) by default.
        heartbeat_interval: seconds between WebSocket pings (30 in Jellyfish).
        metrics_interval: simulated seconds between MetricsReports (1 in Jellyfish).
        webhook_format: ``"protobuf"`` (v0.5: raw ``ServerMessage``, ``application/x-protobuf``)
            or ``"json"`` (v0.3: ``{"notification": "<bytes>"}``).
        webhook_timeout: seconds before a webhook request is abandoned (no retry).
        webrtc_enabled: ``JF_WEBRTC_USED``; when False, adding a peer crashes the room.
        sip_enabled: ``JF_SIP_USED``, off by default as in Jellyfish; when False, adding a
            sip component crashes the room.
        recording_enabled: ``JF_RECORDING_USED``; when False, adding a recording component
            crashes the room.
        s3_credentials: ``JF_S3_*`` as ``{"accessKeyId", "secretAccessKey", "region",
            "bucket"}``.
        s3_path_prefix: ``JF_S3_PATH_PREFIX``.
        secret_key_base: ``JF_SECRET_KEY_BASE``: peer tokens are ``Phoenix.Token``s signed
            with it (and salted with it, as Jellyfish does), so tools holding it verify them;
            random per boot by default, so tokens die with a ``restart()`` unless it is set.
        peer_token_max_age: seconds a peer token stays valid (86 400 in Jellyfish).
        git_commit: ``JF_GIT_COMMIT`` as reported by ``/health``.
        fractional_timeouts: accept positive fractional seconds for ``peerlessPurgeTimeout``
            and ``peerDisconnectedTimeout`` (e.g. ``0.2``) so timer tests run fast. Off by
            default: like Jellyfish, only positive integers are accepted (``10.0`` is a 400).
        webhook_loopback_only: send webhooks only to loopback URLs (``127.0.0.0/8``,
            ``::1``, ``localhost``); others are dropped with a warning and counted in
            ``webhooks.failed``, without a DNS lookup. Keeps test runs off the network
            whatever webhook URLs they create rooms with (the pytest plugin turns it on).
        media_speed: simulated seconds per real second for timers, metrics and the media
            simulation (20 plays a 30 s file in 1.5 s); 1 is real time.
        manual_clock: time stands still until ``advance(seconds)`` moves it.
        failing_s3_buckets: HLS uploads to these buckets fail (``HlsUploadCrashed``); every
            other upload succeeds (``HlsUploaded``). Nothing is sent to S3.
        metrics_host: ``JF_METRICS_IP``: the IP of the Prometheus listener (``/metrics``).
        metrics_port: ``JF_METRICS_PORT``: its port; 0 picks a free one (the default here,
            so servers never clash; the command line uses Jellyfish's 9568), None turns the
            listener off.
        request_timeout: Cowboy's ``request_timeout``: seconds a connection may go without
            a complete request before it is closed (5); None never closes it.
        idle_timeout: Cowboy's ``idle_timeout``: seconds a connection with a request in
            progress, or a WebSocket, may go without data from the client (60); None never.
    """

    token: str = "development"
    host: str = "127.0.0.1"
    port: int = 0
    external_address: str | None = None
    resources_dir: str | None = None
    heartbeat_interval: float = 30.0
    metrics_interval: float = 1.0
    webhook_format: WebhookFormat = "protobuf"
    webhook_timeout: float = 5.0
    webrtc_enabled: bool = True
    sip_enabled: bool = False
    recording_enabled: bool = True
    s3_credentials: Mapping[str, str] | None = field(default=None, repr=False)
    s3_path_prefix: str | None = None
    secret_key_base: str | bytes | None = field(default=None, repr=False)
    peer_token_max_age: float = DEFAULT_MAX_AGE
    git_commit: str = "dev"
    fractional_timeouts: bool = False
    webhook_loopback_only: bool = False
    media_speed: float = 1.0
    manual_clock: bool = False
    failing_s3_buckets: frozenset[str] = frozenset()
    metrics_host: str = "127.0.0.1"
    metrics_port: int | None = 0
    request_timeout: float | None = REQUEST_TIMEOUT
    idle_timeout: float | None = IDLE_TIMEOUT

    def __post_init__(self) -> None:
        if self.webhook_format not in ("protobuf", "json"):
            raise ValueError("webhook_format must be 'protobuf' or 'json'")
        if self.s3_credentials is not None and set(self.s3_credentials) != set(S3_KEYS):
            raise ValueError(f"s3_credentials needs exactly the keys {', '.join(S3_KEYS)}")
        speed = self.media_speed
        if isinstance(speed, bool) or not (
            isinstance(speed, int | float) and math.isfinite(speed) and speed > 0
        ):
            raise ValueError(f"media_speed must be a positive number, got {speed!r}")
        if not self.metrics_interval > 0:
            raise ValueError("metrics_interval must be positive")
        for name in ("request_timeout", "idle_timeout"):
            value = getattr(self, name)
            if value is not None and not (isinstance(value, int | float) and value > 0):
                raise ValueError(f"{name} must be a positive number of seconds or None")
        if self.metrics_port is not None and not 0 <= self.metrics_port <= 65535:
            raise ValueError("metrics_port must be 0..65535 or None")
        if self.s3_credentials is not None:
            object.__setattr__(self, "s3_credentials", dict(self.s3_credentials))
        object.__setattr__(self, "failing_s3_buckets", frozenset(self.failing_s3_buckets))

    def replace(self, **changes: Any) -> NodeOptions:
        """A copy with ``changes`` applied (validated again)."""
        values = {f.name: getattr(self, f.name) for f in fields(self)}
        unknown = set(changes) - set(values)
        if unknown:
            raise TypeError(f"unknown emulator option(s): {', '.join(sorted(unknown))}")
        values.update(changes)
        return NodeOptions(**values)


OPTION_NAMES = frozenset(f.name for f in fields(NodeOptions))
