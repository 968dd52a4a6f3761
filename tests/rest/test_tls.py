"""TLS: secure=True with each kind of ``verify=``, against a local https stub whose
certificate is made with the openssl CLI (skipped when openssl is missing)."""

from __future__ import annotations

import shutil
import ssl
import subprocess
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from jellyfish import AsyncRoomApi, RecordingApi, RoomApi
from jellyfish.errors import TLSError

from ._stubs import StubServer, json_reply, stub_server

HEALTH = {
    "data": {
        "status": "UP",
        "uptime": 1,
        "version": "0.5.0",
        "gitCommit": "dev",
        "distribution": {"enabled": False, "nodeStatus": "UP", "nodesInCluster": 1},
    }
}


@pytest.fixture(scope="module")
def certificate(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, Path]:
    if shutil.which("openssl") is None:
        pytest.skip("the openssl CLI is needed to make a test certificate")
    directory = tmp_path_factory.mktemp("tls")
    cert, key = directory / "cert.pem", directory / "key.pem"
    subprocess.run(
        [
            "openssl",
            "req",
            "-x509",
            "-newkey",
            "rsa:2048",
            "-nodes",
            "-days",
            "2",
            "-keyout",
            str(key),
            "-out",
            str(cert),
            "-subj",
            "/CN=127.0.0.1",
            "-addext",
            "subjectAltName=IP:127.0.0.1",
            "-addext",
            "basicConstraints=critical,CA:TRUE",
            "-addext",
            "keyUsage=critical,digitalSignature,keyCertSign",
        ],
        check=True,
        capture_output=True,
    )
    return cert, key


@pytest.fixture
def https_server(certificate: tuple[Path, Path]) -> Iterator[StubServer]:
    cert, key = certificate
    context = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
    context.load_cert_chain(cert, key)
    with stub_server(lambda *_: json_reply(200, HEALTH), tls=context) as server:
        yield server


def test_verify_with_a_ca_bundle_path(https_server: StubServer, certificate: Any) -> None:
    cert, _ = certificate
    with RoomApi(https_server.address, secure=True, verify=str(cert)) as api:
        assert api.get_health().version == "0.5.0"
    with RecordingApi(https_server.address, secure=True, verify=str(cert)) as recordings:
        assert recordings.get_health().uptime == 1


def test_verify_with_an_ssl_context_or_off(https_server: StubServer, certificate: Any) -> None:
    cert, _ = certificate
    context = ssl.create_default_context(cafile=str(cert))
    with RoomApi(https_server.address, secure=True, verify=context) as api:
        assert api.get_health().version == "0.5.0"
    with RoomApi(https_server.address, secure=True, verify=False) as api:
        assert api.get_health().version == "0.5.0"


def test_untrusted_certificate_is_a_tls_error(https_server: StubServer) -> None:
    with (
        RoomApi(https_server.address, secure=True, timeout=5) as api,
        pytest.raises(TLSError) as info,
    ):
        api.get_health()
    assert "certificate" in str(info.value).lower()
    assert info.value.url == f"https://{https_server.address}/health"


def test_plain_http_to_a_tls_server_fails_cleanly(https_server: StubServer) -> None:
    from jellyfish.errors import ConnectionFailedError

    with RoomApi(https_server.address, timeout=5) as api, pytest.raises(ConnectionFailedError):
        api.get_health()


@pytest.mark.anyio
async def test_async_tls(https_server: StubServer, certificate: Any) -> None:
    cert, _ = certificate
    async with AsyncRoomApi(https_server.address, secure=True, verify=str(cert)) as api:
        assert (await api.get_health()).version == "0.5.0"
    async with AsyncRoomApi(https_server.address, secure=True, timeout=5) as api:
        with pytest.raises(TLSError):
            await api.get_health()
