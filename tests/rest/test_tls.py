"""TLS: secure=True with each kind of ``verify=``, against a local https stub whose
certificate is made with the openssl CLI (skipped when openssl is missing)."""

from __future__ import annotations

import ssl
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from support.tls import self_signed_certificate

from jellyfish import AsyncRoomApi, RecordingApi, RoomApi
from jellyfish.errors import TLSError

from ._stubs import StubServer, health, json_reply, stub_server

HEALTH = health(enabled=False)


@pytest.fixture(scope="module")
def certificate(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, Path]:
    return self_signed_certificate(tmp_path_factory.mktemp("tls"))


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
