"""The Prometheus endpoint: the server's metric names, labels and types (§8).

Server (fishjam-dev/fishjam at v0.5.0):

* ``lib/jellyfish_web/telemetry.ex``: ``TelemetryMetricsPrometheus`` on
  ``JF_METRICS_IP``:``JF_METRICS_PORT`` (127.0.0.1:9568, ``config/runtime.exs``) with the
  Jellyfish metrics: ``sum`` of ``jellyfish.traffic.{ingress,egress}.{webrtc,http}.total.bytes``,
  ``last_value`` of ``jellyfish.rooms`` and ``jellyfish.room.peers`` (tag ``room_id``),
  ``sum`` of ``jellyfish.room.peer_time.total.seconds``, ``jellyfish.room.duration.seconds``,
  ``jellyfish.room.peer_{connects,disconnects,crashes}.total`` (tag ``room_id``);
* telemetry_metrics_prometheus_core ``lib/core/exporter.ex``: a ``last_value`` is a
  ``gauge``, a ``sum`` a ``counter``; dots become underscores; ``# HELP`` / ``# TYPE``;
  a series exists from its first event on;
* ``lib/jellyfish/room_service.ex``: every ``room_metrics_scrape_interval`` (10 s) the
  rooms count, and per room ``peers`` (all peers), ``peer_time`` (peers x 10) and
  ``duration`` (10); a room that goes drops its ``peers`` to 0;
* ``lib/jellyfish/room/state.ex``: ``peer_connects`` when a peer connects,
  ``peer_disconnects`` when a connected peer disconnects or is deleted, ``peer_crashes``.
"""

from __future__ import annotations

import socket

import httpx
import pytest
from prometheus_client.parser import text_string_to_metric_families

from jellyfish.testing import FakePeer, JellyfishServer, NodeOptions

from .helpers import Rest

pytestmark = pytest.mark.emulator_only(in_process=True)

TYPES = {
    "jellyfish_traffic_ingress_webrtc_total_bytes": "counter",
    "jellyfish_traffic_egress_webrtc_total_bytes": "counter",
    "jellyfish_traffic_ingress_http_total_bytes": "counter",
    "jellyfish_traffic_egress_http_total_bytes": "counter",
    "jellyfish_rooms": "gauge",
    "jellyfish_room_peers": "gauge",
    "jellyfish_room_peer_time_total_seconds": "counter",
    "jellyfish_room_duration_seconds": "counter",
    "jellyfish_room_peer_connects_total": "counter",
    "jellyfish_room_peer_disconnects_total": "counter",
    "jellyfish_room_peer_crashes_total": "counter",
}


def scrape(server: JellyfishServer) -> dict[str, tuple[str, dict[tuple[str, ...], float]]]:
    """``{name as exported: (type, {label values: value})}``, read by Prometheus' parser."""
    assert server.metrics_url is not None
    response = httpx.get(server.metrics_url)
    assert response.status_code == 200
    assert response.headers["content-type"].startswith("text/plain")
    text = response.text
    exported = {
        line.split()[2]: line.split()[3] for line in text.splitlines() if line.startswith("# TYPE ")
    }
    families = {}
    for family in text_string_to_metric_families(text):
        # The parser names a counter's family without a final "_total"; match it by type.
        (name,) = [
            n for n, kind in exported.items() if family.name in (n, n.removesuffix("_total"))
        ]
        assert exported[name] == family.type
        samples = {tuple(sorted(s.labels.items())): s.value for s in family.samples}
        families[name] = (family.type, samples)
    return families  # type: ignore[return-value]


def value(families: dict, name: str, room_id: str | None = None) -> float:  # type: ignore[type-arg]
    labels = () if room_id is None else (("room_id", room_id),)
    return float(families[name][1][labels])


def test_metrics_listener_is_on_by_default_on_its_own_port() -> None:
    assert NodeOptions().metrics_port == 0  # a free port in Python (the CLI: 9568)
    assert NodeOptions().metrics_host == "127.0.0.1"
    with JellyfishServer() as server:
        assert server.metrics_url is not None
        assert server.metrics_url.startswith("http://127.0.0.1:")
        assert server.metrics_url.endswith("/metrics")
        assert f":{server.port}/" not in server.metrics_url
        other = server.metrics_url.replace("/metrics", "/room")
        assert httpx.get(other).status_code == 404  # only /metrics there, no REST API
        # and no /metrics on the API listener
        assert httpx.get(f"{server.http_url}/metrics").status_code == 404


def test_metrics_address_is_configurable_and_can_be_off() -> None:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    with JellyfishServer(metrics_host="127.0.0.1", metrics_port=port) as server:
        assert server.metrics_url == f"http://127.0.0.1:{port}/metrics"
        assert "jellyfish_traffic_ingress_webrtc_total_bytes" in scrape(server)
    with JellyfishServer(metrics_port=None) as server:
        assert server.metrics_url is None


def test_names_labels_types_and_values_follow_the_servers_telemetry() -> None:
    with JellyfishServer(manual_clock=True) as server, Rest(server) as rest:
        families = scrape(server)
        # at start: the WebRTC traffic counters (zero ICE events at boot), nothing else
        assert set(families) == {
            "jellyfish_traffic_ingress_webrtc_total_bytes",
            "jellyfish_traffic_egress_webrtc_total_bytes",
        }
        assert value(families, "jellyfish_traffic_ingress_webrtc_total_bytes") == 0

        room_id, _ = rest.create_room()
        peer_ids = []
        tokens = []
        for _ in range(3):
            peer_id, token, url = rest.add_peer(room_id)
            peer_ids.append(peer_id)
            tokens.append(token)
        with FakePeer(url, tokens[0]):
            pass  # connects, then disconnects
        fake = FakePeer(url, tokens[1])
        server.crash_peer(room_id, peer_ids[1])
        fake.wait_closed()
        fake.close()
        families = scrape(server)
        assert value(families, "jellyfish_room_peer_connects_total", room_id) == 2
        assert value(families, "jellyfish_room_peer_disconnects_total", room_id) == 1
        assert value(families, "jellyfish_room_peer_crashes_total", room_id) == 1
        assert value(families, "jellyfish_traffic_ingress_http_total_bytes") > 0
        assert value(families, "jellyfish_traffic_egress_http_total_bytes") > 0
        assert "jellyfish_rooms" not in families  # room gauges come every 10 s

        server.advance(10)
        families = scrape(server)
        assert {name: families[name][0] for name in families} == TYPES
        assert value(families, "jellyfish_rooms") == 1
        assert value(families, "jellyfish_room_peers", room_id) == 2  # disconnected ones too
        assert value(families, "jellyfish_room_peer_time_total_seconds", room_id) == 20
        assert value(families, "jellyfish_room_duration_seconds", room_id) == 10
        server.advance(10)
        families = scrape(server)
        assert value(families, "jellyfish_room_peer_time_total_seconds", room_id) == 40
        assert value(families, "jellyfish_room_duration_seconds", room_id) == 20

        rest.request("DELETE", f"/room/{room_id}")
        families = scrape(server)
        assert value(families, "jellyfish_room_peers", room_id) == 0  # the series stays
        server.advance(10)
        assert value(scrape(server), "jellyfish_rooms") == 0


def test_a_peer_deleted_while_connected_counts_as_a_disconnect() -> None:
    with JellyfishServer() as server, Rest(server) as rest:
        room_id, _ = rest.create_room()
        peer_id, token, url = rest.add_peer(room_id)
        with FakePeer(url, token) as fake:
            rest.request("DELETE", f"/room/{room_id}/peer/{peer_id}")
            assert fake.wait_closed() == (1000, "Peer removed")
        families = scrape(server)
        assert value(families, "jellyfish_room_peer_connects_total", room_id) == 1
        assert value(families, "jellyfish_room_peer_disconnects_total", room_id) == 1


def test_http_traffic_is_measured_like_traffic_metrics_plug() -> None:
    """``lib/jellyfish_web/traffic_metrics_plug.ex``: request = method + path + query +
    (name + value + 4) per header + 14; response = body + headers + 19 + 60."""
    with JellyfishServer() as server:
        before = scrape(server)
        assert "jellyfish_traffic_ingress_http_total_bytes" not in before
        headers = [("host", "x"), ("authorization", "Bearer development"), ("x-test", "abc")]
        request = "GET /room?a=1 HTTP/1.1\r\n" + "".join(f"{k}: {v}\r\n" for k, v in headers)
        with socket.create_connection(("127.0.0.1", server.port), timeout=5) as sock:
            sock.sendall((request + "connection: close\r\n\r\n").encode())
            response = b""
            while chunk := sock.recv(65536):
                response += chunk
        headers.append(("connection", "close"))
        expected = len("GET") + len("/room") + len("a=1")
        expected += sum(len(k) + len(v) + 4 for k, v in headers) + 14
        body = response.partition(b"\r\n\r\n")[2]
        families = scrape(server)
        assert value(families, "jellyfish_traffic_ingress_http_total_bytes") == expected
        assert value(families, "jellyfish_traffic_egress_http_total_bytes") > len(body) + 79
