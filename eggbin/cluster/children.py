"""The master's side of starting children: what each one is told, and forking or spawning them.

Mixed into `eggbin.cluster.master.Master`. Workers are forked from the zygote as one batch when it is
there (eggbin/cluster/zygote.py), spawned one by one otherwise; each new worker's channel already holds
what the master knows of the start (`greeting`), so none waits for the master to hear its pid.
"""

from __future__ import annotations

import os
import selectors
import subprocess
from typing import TYPE_CHECKING

from eggbin.cluster.channel import SETTINGS_CHECKED, Channel, encode, envelope
from eggbin.cluster.options import ChildOptions
from eggbin.cluster.process import Child, ChildProcess, spawn_module
from eggbin.cluster.report import ClusterReport
from eggbin.cluster.start_trace import mark
from eggbin.cluster.stop_sequence import State

if TYPE_CHECKING:
    from eggbin.cluster.zygote import SpawnRequest, Zygote

AGENT_STARTED = "agent-started"


class ChildStarts(ClusterReport):
    """Starting the agent and the workers: their requests, their greetings, the zygote's batches."""

    selector: selectors.BaseSelector
    settings_checked: bool
    zygote: Zygote | None

    def spawn_request(self, role: str, child_id: int) -> SpawnRequest:
        """What starting this child takes: its module, its options blob, the fds it gets, its stdin, and
        what its channel holds before it starts (`greeting`)."""
        listen_fd = self.listener.fileno() if self.listener and role == "worker" else -1
        restarts = self.respawner.restarts.get(child_id, 0)

        def blob(channel_fd: int) -> str:
            options = ChildOptions(self.options, role, child_id, channel_fd, listen_fd, os.getpid(), restarts)
            return options.dumps()

        fds = (listen_fd,) if listen_fd >= 0 else ()
        terminal = role == "worker" and child_id == self.options.terminal_worker
        stdin = None if terminal else subprocess.DEVNULL  # eggbin/cluster/breakpoints.py
        return f"eggbin.cluster.{role}", blob, fds, stdin, self.greeting(role)

    def greeting(self, role: str) -> bytes:
        """What a new worker is told of the start so far, written into its channel before it exists: it
        reads `agent-started` (and `settings-checked`) at once, not after the master heard its pid (a
        batch of forks returns every pid at once)."""
        if role != "worker":
            return b""
        told = [AGENT_STARTED] if self.state is not State.STARTING_AGENT else []
        told += [SETTINGS_CHECKED] if self.settings_checked else []
        return b"".join(encode(envelope(action, sender="master")) for action in told)

    def spawn(
        self,
        role: str,
        child_id: int,
        started: tuple[ChildProcess, Channel] | None = None,
        *,
        record: bool = True,
    ) -> Child:
        """Start the child (unless `started` already holds its process and channel) and track it; the state
        file says so at once unless `record` is off (a batch is recorded once, by its caller)."""
        if started is None:
            module, blob, fds, stdin, greeting = self.spawn_request(role, child_id)
            spawner = self.zygote.spawn if self.zygote else spawn_module
            started = spawner(module, blob, pass_fds=fds, stdin=stdin, greeting=greeting)
        popen, channel = started
        child = Child(role, child_id, popen, channel, restarts=self.respawner.restarts.get(child_id, 0))
        self.children[child.pid] = child
        self.selector.register(channel.sock, selectors.EVENT_READ, child)
        if record:
            self.write_state()
        return child

    def spawn_workers(self) -> None:
        ids = range(1, self.options.workers + 1)
        if self.zygote:  # forked back to back (eggbin/cluster/zygote.py)
            forked = self.zygote.spawn_many([self.spawn_request("worker", worker_id) for worker_id in ids])
            for worker_id, started in zip(ids, forked, strict=True):
                self.spawn("worker", worker_id, started, record=False)
        else:
            for worker_id in ids:
                self.spawn("worker", worker_id, record=False)
        self.write_state()  # once for the batch: the workers boot meanwhile, on the same cores
        mark("master", "workers spawned")

    def spawn_first(self) -> None:
        """The agent, then every worker. With the zygote, both batches are asked at once: it forks the
        agent as soon as it holds the agent's modules and the workers as soon as it holds theirs, with
        no round trip through this loop in between. The workers exist while the agent boots and load the
        app only after `agent-started` (egg's order); the agent's `agent-start` waits in its channel
        meanwhile (this loop waits for the zygote's replies)."""
        if self.zygote is None:
            self.spawn("agent", 0)
            mark("master", "agent spawned")
            self.spawn_workers()
            return
        ids = range(1, self.options.workers + 1)
        agent_batch = [self.spawn_request("agent", 0)]
        workers_batch = [self.spawn_request("worker", worker_id) for worker_id in ids]
        [agent], workers = self.zygote.spawn_batches([agent_batch, workers_batch])
        self.spawn("agent", 0, agent, record=False)
        mark("master", "agent spawned")
        for worker_id, started in zip(ids, workers, strict=True):
            self.spawn("worker", worker_id, started, record=False)
        self.write_state()
        mark("master", "workers spawned")
