"""Every ``TLSError`` names its cause, on the blocking client and on both async backends.

(On trio, httpx's own message for a TLS failure is empty: the cause is found behind it.)
"""

from __future__ import annotations

import re

import pytest

from jellyfish import AsyncRecordingApi, AsyncRoomApi, RecordingApi, RoomApi
from jellyfish.errors import TLSError

from ._stubs import StubServer, answering_server, not_tls
from .test_tls import certificate, https_server  # noqa: F401  (fixtures)

# OpenSSL spells it "self-signed" (3.x) or "self signed" (1.1)
UNTRUSTED = re.compile(r"^TLS failure: certificate verify failed: self[- ]signed certificate$")
NOT_TLS = re.compile(r"^TLS failure: (wrong version number|record layer failure|http request)$")


def test_an_untrusted_certificate_is_named(https_server: StubServer) -> None:  # noqa: F811
    for api_class in (RoomApi, RecordingApi):
        with api_class(https_server.address, secure=True, timeout=5) as api:
            with pytest.raises(TLSError) as info:
                api.get_health()
            assert UNTRUSTED.match(info.value.message), info.value.message


@pytest.mark.anyio
async def test_an_untrusted_certificate_is_named_async(https_server: StubServer) -> None:  # noqa: F811
    for api_class in (AsyncRoomApi, AsyncRecordingApi):
        async with api_class(https_server.address, secure=True, timeout=5) as api:
            with pytest.raises(TLSError) as info:
                await api.get_health()
            assert UNTRUSTED.match(info.value.message), info.value.message
            assert info.value.url == f"https://{https_server.address}/health"


def test_a_server_that_does_not_speak_tls_is_named() -> None:
    with answering_server(not_tls) as address, RoomApi(address, secure=True, timeout=5) as api:  # noqa: SIM117
        with pytest.raises(TLSError) as info:
            api.get_health()
    assert NOT_TLS.match(info.value.message), info.value.message


@pytest.mark.anyio
async def test_a_server_that_does_not_speak_tls_is_named_async() -> None:
    with answering_server(not_tls) as address:
        async with AsyncRoomApi(address, secure=True, timeout=5) as api:
            with pytest.raises(TLSError) as info:
                await api.get_health()
    assert NOT_TLS.match(info.value.message), info.value.message
