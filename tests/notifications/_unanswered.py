"""A local address whose TCP connects hang: its listener's backlog is full, so the kernel
drops further SYNs (nothing leaves the machine)."""

from __future__ import annotations

import contextlib
import socket
from collections.abc import Iterator

import pytest


@contextlib.contextmanager
def unanswered() -> Iterator[str]:
    listener = socket.socket()
    listener.bind(("127.0.0.1", 0))
    listener.listen(0)
    host, port = listener.getsockname()
    fillers = []
    for _ in range(3):
        filler = socket.socket()
        filler.setblocking(False)
        filler.connect_ex((host, port))
        fillers.append(filler)
    probe = socket.socket()
    probe.settimeout(0.3)
    try:
        probe.connect((host, port))
    except TimeoutError:
        pass
    else:
        pytest.skip("this kernel accepts connections beyond the backlog")
    finally:
        probe.close()
    try:
        yield f"{host}:{port}"
    finally:
        for sock in (*fillers, listener):
            sock.close()
