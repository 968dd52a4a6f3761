"""secure=True: wss:// with a custom SSL context, both notifiers (self-signed certificate)."""

from __future__ import annotations

import shutil
import ssl
from collections.abc import Iterator
from pathlib import Path

import anyio
import pytest

from jellyfish import BlockingNotifier, Notifier
from jellyfish.errors import TLSError
from jellyfish.events import ServerMessage as S

from ._wsserver import FakeServerSocket

pytestmark = pytest.mark.skipif(shutil.which("openssl") is None, reason="needs openssl")

CREATED = S(room_created=S.RoomCreated(room_id="tls")).SerializeToString()


@pytest.fixture
def tls_server(certificate: tuple[Path, Path]) -> Iterator[FakeServerSocket]:
    cert, key = certificate
    context = ssl.create_default_context(ssl.Purpose.CLIENT_AUTH)
    context.load_cert_chain(cert, key)
    with FakeServerSocket(ssl_context=context) as server:
        yield server


def client_context(certificate: tuple[Path, Path]) -> ssl.SSLContext:
    return ssl.create_default_context(cafile=str(certificate[0]))


@pytest.mark.anyio
async def test_anyio_notifier_over_tls(
    tls_server: FakeServerSocket, certificate: tuple[Path, Path]
) -> None:
    address = f"localhost:{tls_server.port}"
    notifier = Notifier(
        address, "development", secure=True, ssl_context=client_context(certificate)
    )
    assert notifier.url.startswith("wss://")
    async with notifier:
        await anyio.to_thread.run_sync(tls_server.send, [CREATED])
        with anyio.fail_after(5):
            event = await notifier.__anext__()
    assert event == S.RoomCreated(room_id="tls")


def test_blocking_notifier_over_tls(
    tls_server: FakeServerSocket, certificate: tuple[Path, Path]
) -> None:
    address = f"localhost:{tls_server.port}"
    notifier = BlockingNotifier(
        address, "development", secure=True, ssl_context=client_context(certificate)
    )
    with notifier:
        tls_server.send([CREATED])
        event = next(notifier)
    assert event == S.RoomCreated(room_id="tls")


@pytest.mark.anyio
async def test_untrusted_certificate_fails(tls_server: FakeServerSocket) -> None:
    notifier = Notifier(f"localhost:{tls_server.port}", "development", secure=True)
    with anyio.fail_after(10), pytest.raises(TLSError, match="CERTIFICATE_VERIFY"):
        async with notifier:
            pass
