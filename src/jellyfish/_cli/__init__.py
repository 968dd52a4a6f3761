"""The ``jellyfish`` command: operate and debug a Jellyfish deployment from a shell.

A thin layer over the public API (``RoomApi``, ``RecordingApi``, ``BlockingNotifier``,
``receive_webhook`` and ``python -m jellyfish.testing``). Built on click; every SDK module is
imported inside the command that needs it, so ``jellyfish --help`` stays fast. See
``docs/cli.md``.
"""

# the command modules register their commands on ``cli`` when imported
from jellyfish._cli import _bridge, _emulator, _events, _rest  # noqa: F401
from jellyfish._cli._app import cli, main

__all__ = ["cli", "main"]
