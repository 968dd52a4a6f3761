"""The event-loop thread that hosts one node or a cluster of nodes, and cluster placement."""

from __future__ import annotations

import logging
from collections.abc import Callable
from concurrent.futures import Future
from contextlib import AbstractContextManager, suppress

import anyio.from_thread

from jellyfish.testing._core import NodeCore
from jellyfish.testing._hub import Hub
from jellyfish.testing._model import Room
from jellyfish.testing._node import NodeHost
from jellyfish.testing._params import RoomConfig

logger = logging.getLogger("jellyfish.testing")

#: Seconds a node may take to shut down before the runtime gives up on it.
STOP_SECONDS = 10


class Runtime:
    """An asyncio loop in its own thread (an anyio blocking portal) running every node.

    ``restart``, for a single node, is what its control API's ``restart`` calls.
    """

    def __init__(self, hosts: list[NodeHost], restart: Callable[[], None] | None = None) -> None:
        self.hosts = hosts
        self.hub = Hub()
        self._restart = restart
        self._portal_cm: AbstractContextManager[anyio.from_thread.BlockingPortal] | None = None
        self._futures: list[Future[None]] = []

    def create_room(self, receiving: NodeCore, config: RoomConfig) -> tuple[Room, str]:
        """§2.3 placement: fewest forwarded tracks, then fewest rooms; receiving node first."""
        cores = [host.core for host in self.hosts if host.core is not None]
        candidates = [receiving] + [core for core in cores if core is not receiving]
        chosen = (
            min(candidates, key=lambda core: core.rooms.load())
            if len(candidates) > 1
            else receiving
        )
        return chosen.rooms.create(config), chosen.settings.address

    def start(self) -> None:
        """Start the loop thread and every node (blocks until they accept connections)."""
        cluster_size = len(self.hosts) if len(self.hosts) > 1 else 0
        self._portal_cm = anyio.from_thread.start_blocking_portal("asyncio")
        portal = self._portal_cm.__enter__()
        try:
            for host in self.hosts:
                host.attach(portal, cluster_size, self._restart)
                future, _ = portal.start_task(host.run, self.hub, self.create_room)
                self._futures.append(future)
        except BaseException:
            self.stop()
            raise

    def stop(self) -> None:
        """Stop every node and join the loop thread."""
        if self._portal_cm is None:
            return
        for host in self.hosts:
            with suppress(RuntimeError):
                host.call_on_loop(host.request_stop)
        for future in self._futures:
            try:
                future.result(timeout=STOP_SECONDS)
            except Exception:
                logger.exception("Emulator node stopped with an error")
        self._futures.clear()
        for host in self.hosts:
            host.detach()
        portal_cm, self._portal_cm = self._portal_cm, None
        portal_cm.__exit__(None, None, None)
