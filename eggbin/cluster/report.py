"""What the master says about the cluster: the `egg-ready` payload and `run/cluster.json`.

Mixed into `eggbin.cluster.master.Master` (beside its stop sequence); the state file is written on every
change of a child or of the master's state, atomically, under the lock the master holds while alive.
"""

from __future__ import annotations

import os
from typing import TYPE_CHECKING, Any

from eggbin.cluster.channel import Message, envelope
from eggbin.cluster.state import snapshot
from eggbin.cluster.stop_sequence import State, StopSequence

if TYPE_CHECKING:
    import socket

    from eggbin.cluster.reload import Reloader
    from eggbin.cluster.state import StateLock


class ClusterReport(StopSequence):
    """The readiness info every process and the parent get, and the state file `stop`/`status` read."""

    listener: socket.socket | None
    lock: StateLock
    started_wall: float
    reloader: Reloader

    def ready_info(self) -> dict[str, Any]:
        assert self.listener is not None
        agent = self.agent
        pids = {"master": os.getpid(), "agent": agent.pid if agent else None, "workers": self.worker_pids()}
        protocol = self.options.protocol
        if self.options.path:
            return {"port": 0, "address": f"unix:{self.options.path}", "protocol": protocol, "pids": pids}
        host, port = self.listener.getsockname()[:2]
        return {"port": port, "address": f"{protocol}://{host}:{port}", "protocol": protocol, "pids": pids}

    def worker_pids(self) -> list[int]:
        return [w.pid for w in self.workers if not w.retiring]

    def ready_message(self) -> Message:
        return envelope("egg-ready", self.ready_info(), sender="master")

    def write_state(self) -> None:
        if self.lock.fd < 0 or self.listener is None or self.state is State.DONE:
            return
        state = snapshot(
            self.options,
            self.ready_info(),
            self.agent,
            sorted(self.workers, key=lambda w: w.id),
            self.respawner.restarts,
            self.started_wall,
            self.state.value,
            self.reloader.describe(),
        )
        self.lock.write({**state, "drain_delay": self.drain_delay})  # `eggscripts stop` waits that longer
