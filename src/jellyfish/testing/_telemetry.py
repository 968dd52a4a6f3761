"""The node's Prometheus metrics (§8): what Jellyfish's telemetry definitions export.

Jellyfish exports ``Telemetry.Metrics`` definitions through ``TelemetryMetricsPrometheus``
(``lib/jellyfish_web/telemetry.ex``): a ``last_value`` is a Prometheus gauge, a ``sum`` a
counter; ``jellyfish.room.peers`` becomes ``jellyfish_room_peers``; a series exists from
the first event that feeds it and is never dropped (a deleted room's gauges stay, at 0).
Room gauges are fed every 10 s (``room_metrics_scrape_interval``) by the room service, peer
connect/disconnect/crash counters by the room state, HTTP traffic by
``TrafficMetricsPlug``. Plain Python: counting and rendering, no I/O.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass

#: ``room_metrics_scrape_interval`` (fixed at compile time in Jellyfish): seconds between
#: room gauge updates, on the node's clock.
ROOM_METRICS_INTERVAL = 10

#: ``TrafficMetricsPlug``: bytes added to the measured request and response sizes for the
#: request/status line and the headers the plug cannot see, and per header line.
REQUEST_EXTRA_BYTES = 14
RESPONSE_EXTRA_BYTES = 19 + 60
HEADER_EXTRA_BYTES = 4


@dataclass(frozen=True)
class MetricDefinition:
    """One exported metric: its Prometheus name, type, help text and label."""

    name: str
    type: str  # "gauge" | "counter"
    help: str
    label: str | None = None


TRAFFIC_INGRESS_WEBRTC = MetricDefinition(
    "jellyfish_traffic_ingress_webrtc_total_bytes",
    "counter",
    "Total WebRTC traffic received (bytes)",
)
TRAFFIC_EGRESS_WEBRTC = MetricDefinition(
    "jellyfish_traffic_egress_webrtc_total_bytes", "counter", "Total WebRTC traffic sent (bytes)"
)
TRAFFIC_INGRESS_HTTP = MetricDefinition(
    "jellyfish_traffic_ingress_http_total_bytes", "counter", "Total HTTP traffic received (bytes)"
)
TRAFFIC_EGRESS_HTTP = MetricDefinition(
    "jellyfish_traffic_egress_http_total_bytes", "counter", "Total HTTP traffic sent (bytes)"
)
ROOMS = MetricDefinition(
    "jellyfish_rooms", "gauge", "Number of rooms currently present in Jellyfish"
)
ROOM_PEERS = MetricDefinition(
    "jellyfish_room_peers", "gauge", "Number of peers currently present in a given room", "room_id"
)
ROOM_PEER_TIME = MetricDefinition(
    "jellyfish_room_peer_time_total_seconds",
    "counter",
    "Total peer time accumulated for a given room (seconds)",
    "room_id",
)
ROOM_DURATION = MetricDefinition(
    "jellyfish_room_duration_seconds", "counter", "Duration of a given room (seconds)", "room_id"
)
ROOM_PEER_CONNECTS = MetricDefinition(
    "jellyfish_room_peer_connects_total",
    "counter",
    "Number of PeerConnected events emitted during the lifetime of a given room",
    "room_id",
)
ROOM_PEER_DISCONNECTS = MetricDefinition(
    "jellyfish_room_peer_disconnects_total",
    "counter",
    "Number of PeerDisconnected events emitted during the lifetime of a given room",
    "room_id",
)
ROOM_PEER_CRASHES = MetricDefinition(
    "jellyfish_room_peer_crashes_total",
    "counter",
    "Number of PeerCrashed events emitted during the lifetime of a given room",
    "room_id",
)

#: In the order of Jellyfish's ``metrics/0`` list (the exporter renders them in that order).
METRICS = (
    TRAFFIC_INGRESS_WEBRTC,
    TRAFFIC_EGRESS_WEBRTC,
    TRAFFIC_INGRESS_HTTP,
    TRAFFIC_EGRESS_HTTP,
    ROOMS,
    ROOM_PEERS,
    ROOM_PEER_TIME,
    ROOM_DURATION,
    ROOM_PEER_CONNECTS,
    ROOM_PEER_DISCONNECTS,
    ROOM_PEER_CRASHES,
)

CONTENT_TYPE = "text/plain; version=0.0.4; charset=utf-8"


class Telemetry:
    """The node's time series: ``{metric: {label value or "": number}}``."""

    def __init__(self) -> None:
        self._series: dict[MetricDefinition, dict[str, int]] = {}
        # Jellyfish emits zero-byte ICE events at start-up, so the WebRTC series exist at once.
        self._add(TRAFFIC_INGRESS_WEBRTC, "", 0)
        self._add(TRAFFIC_EGRESS_WEBRTC, "", 0)

    def _add(self, metric: MetricDefinition, label: str, amount: int) -> None:
        series = self._series.setdefault(metric, {})
        series[label] = series.get(label, 0) + amount

    def _set(self, metric: MetricDefinition, label: str, value: int) -> None:
        self._series.setdefault(metric, {})[label] = value

    def value(self, metric: MetricDefinition, label: str = "") -> int | None:
        """The current value of one series, None if it does not exist (yet)."""
        return self._series.get(metric, {}).get(label)

    # --- events ----------------------------------------------------------------------------

    def peer_connected(self, room_id: str) -> None:
        """``Room.State.connect_peer``."""
        self._add(ROOM_PEER_CONNECTS, room_id, 1)

    def peer_disconnected(self, room_id: str) -> None:
        """A connected peer's socket went away, or the peer was deleted while connected."""
        self._add(ROOM_PEER_DISCONNECTS, room_id, 1)

    def peer_crashed(self, room_id: str) -> None:
        """``Room.State.remove_peer`` with ``{:peer_crashed, _}``."""
        self._add(ROOM_PEER_CRASHES, room_id, 1)

    def room_gone(self, room_id: str) -> None:
        """The room service's ``clear_room_metrics``: the room's peer gauge drops to 0."""
        self._set(ROOM_PEERS, room_id, 0)

    def scrape_rooms(self, rooms: Iterable[tuple[str, int]]) -> None:
        """The room service's periodic ``:rooms_metrics`` with ``(room id, peer count)``."""
        listed = list(rooms)
        self._set(ROOMS, "", len(listed))
        for room_id, peers in listed:
            self._set(ROOM_PEERS, room_id, peers)
            self._add(ROOM_PEER_TIME, room_id, peers * ROOM_METRICS_INTERVAL)
            self._add(ROOM_DURATION, room_id, ROOM_METRICS_INTERVAL)

    def http_exchange(
        self,
        method: str,
        path: bytes,
        query: bytes,
        request_headers: Iterable[tuple[bytes, bytes]],
        response_body_size: int,
        response_headers: Iterable[tuple[bytes, bytes]],
    ) -> None:
        """One request and its response, measured as ``TrafficMetricsPlug`` measures them."""
        request = len(method) + len(path) + len(query)
        request += _headers_size(request_headers) + REQUEST_EXTRA_BYTES
        response = response_body_size + _headers_size(response_headers) + RESPONSE_EXTRA_BYTES
        self._add(TRAFFIC_INGRESS_HTTP, "", request)
        self._add(TRAFFIC_EGRESS_HTTP, "", response)

    # --- exposition ------------------------------------------------------------------------

    def render(self) -> str:
        """The Prometheus text exposition, as ``TelemetryMetricsPrometheus.Core`` writes it."""
        blocks = []
        for metric in METRICS:
            series = self._series.get(metric)
            if not series:
                continue
            lines = [f"# HELP {metric.name} {metric.help}", f"# TYPE {metric.name} {metric.type}"]
            for label, value in series.items():
                if metric.label is None:
                    lines.append(f"{metric.name} {value}")
                else:
                    lines.append(f'{metric.name}{{{metric.label}="{_escape(label)}"}} {value}')
            blocks.append("\n".join(lines) + "\n")
        return "".join(blocks)


def _headers_size(headers: Iterable[tuple[bytes, bytes]]) -> int:
    return sum(len(name) + len(value) + HEADER_EXTRA_BYTES for name, value in headers)


def _escape(value: str) -> str:
    return value.replace("\\", "\\\\").replace('"', '\\"').replace("\n", "\\n")
