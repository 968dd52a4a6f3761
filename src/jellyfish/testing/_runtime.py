"""The event-loop thread that hosts one node or a cluster of nodes, and cluster placement."""

from __future__ import annotations

import logging
import shutil
from concurrent.futures import Future
from contextlib import AbstractContextManager, suppress
from types import TracebackType

import anyio.from_thread

from jellyfish.testing._core import NodeCore, Room
from jellyfish.testing._hub import Hub
from jellyfish.testing._node import EmulatorNode
from jellyfish.testing._params import RoomConfig

logger = logging.getLogger("jellyfish.testing")


class Runtime(AbstractContextManager["Runtime"]):
    """An asyncio loop in its own thread (an anyio blocking portal) running every node."""

    def __init__(self, nodes: list[EmulatorNode], owned_dir: str | None) -> None:
        self.nodes = nodes
        self.hub = Hub()
        self._portal_cm: AbstractContextManager[anyio.from_thread.BlockingPortal] | None = None
        self._futures: list[Future[None]] = []
        self._owned_dir = owned_dir

    def create_room(self, receiving: NodeCore, config: RoomConfig) -> tuple[Room, str]:
        """§2.3 placement: fewest forwarded tracks, then fewest rooms; receiving node first."""
        cores = [node.core for node in self.nodes if node.core is not None]
        candidates = [receiving] + [core for core in cores if core is not receiving]
        chosen = min(candidates, key=lambda core: core.load()) if len(candidates) > 1 else receiving
        room = chosen.create_room(config)
        return room, chosen.settings.address

    def start(self) -> None:
        """Start the loop thread and every node (blocks until they accept connections)."""
        cluster = len(self.nodes) > 1
        self._portal_cm = anyio.from_thread.start_blocking_portal("asyncio")
        portal = self._portal_cm.__enter__()
        try:
            for node in self.nodes:
                node._portal = portal
                node._cluster_size = len(self.nodes) if cluster else 0
                future, _ = portal.start_task(node._run, self.hub, self.create_room)
                self._futures.append(future)
        except BaseException:
            self.stop()
            raise

    def stop(self) -> None:
        """Stop every node and join the loop thread."""
        if self._portal_cm is None:
            return
        for node in self.nodes:
            if node._portal is not None:
                with suppress(RuntimeError):
                    node._portal.call(node._request_stop)
        for future in self._futures:
            try:
                future.result(timeout=10)
            except Exception:
                logger.exception("Emulator node stopped with an error")
        self._futures.clear()
        for node in self.nodes:
            node._portal = None
        portal_cm, self._portal_cm = self._portal_cm, None
        portal_cm.__exit__(None, None, None)

    def close(self) -> None:
        """Stop, then remove the temporary directory this runtime owns."""
        self.stop()
        if self._owned_dir is not None:
            shutil.rmtree(self._owned_dir, ignore_errors=True)
            self._owned_dir = None

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        self.close()
