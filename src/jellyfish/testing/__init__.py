"""``jellyfish.testing``: an in-process Jellyfish v0.5.0 emulator.

Needs the ``testing`` extra (docs/install.md: ``pip install ".[testing]"`` in a checkout)::

    from jellyfish.testing import JellyfishServer, FakePeer

    with JellyfishServer() as server:        # free port, token "development"
        ...                                  # point the SDK at server.address / server.token

See ``docs/testing.md`` for the media simulation, the control API (in-process, or over HTTP
with :class:`RemoteEmulator`), the pytest plugin and the CLI.
"""

from jellyfish.testing._control import ControlledFakePeer, EmulatorControl
from jellyfish.testing._fake_peer import FakePeer
from jellyfish.testing._model import ControlError
from jellyfish.testing._node import EmulatorNode
from jellyfish.testing._options import NodeOptions
from jellyfish.testing._remote import RemoteEmulator
from jellyfish.testing._server import JellyfishCluster, JellyfishServer

__all__ = [
    "ControlError",
    "ControlledFakePeer",
    "EmulatorControl",
    "EmulatorNode",
    "FakePeer",
    "JellyfishCluster",
    "JellyfishServer",
    "NodeOptions",
    "RemoteEmulator",
]
