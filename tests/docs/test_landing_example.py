"""docs/index.md's example waits for a browser to join as the peer: here a fake peer joins.

The page marks the block as a fragment (tests/docs/test_code_blocks.py would wait for a
browser forever); this test runs the same code, with the fixture's server in place of
``localhost:5002`` and a ``print`` that connects a FakePeer with the token and URL the
example hands to the browser.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

from docs._run_blocks import python_blocks
from jellyfish.testing import FakePeer

INDEX = Path(__file__).resolve().parents[2] / "docs" / "index.md"


def test_the_landing_example_ends_once_the_browser_joins(jellyfish_server: Any) -> None:
    [code] = [block.code for block in python_blocks(INDEX.read_text(encoding="utf-8"))]
    code = code.replace('"localhost:5002", "development"', "ADDRESS, TOKEN")
    assert code.count("ADDRESS, TOKEN") == 2, "the example no longer uses the 0.4.0 defaults"
    browsers: list[FakePeer] = []
    printed: list[tuple[Any, ...]] = []

    def print_and_join(*args: Any) -> None:
        printed.append(args)
        if len(printed) == 1:  # print(peer.token, peer.peer_websocket_url): the browser joins
            token, url = args
            browsers.append(FakePeer(url, token))

    namespace = {
        "__name__": "__main__",
        "print": print_and_join,
        "ADDRESS": jellyfish_server.address,
        "TOKEN": jellyfish_server.token,
    }
    try:
        exec(compile(code, str(INDEX), "exec"), namespace)
    finally:
        for browser in browsers:
            browser.close()
    events = [type(args[0]).__name__ for args in printed[1:]]
    assert events[-1] == "ServerMessagePeerConnected"
    assert "ServerMessagePeerAdded" in events
    assert printed[-1][0].peer_id == namespace["peer"].peer.id
