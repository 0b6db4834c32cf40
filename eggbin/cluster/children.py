"""The master's side of starting children: what each one is told, and forking or spawning them.

Mixed into `eggbin.cluster.master.Master`. Workers are forked from the zygote as one batch when it is
there (eggbin/cluster/zygote.py), spawned one by one otherwise; each new worker's channel already holds
what the master knows of the start (`greeting`), so none waits for the master to hear its pid.
"""

from __future__ import annotations

import contextlib
import os
import selectors
import subprocess
from typing import TYPE_CHECKING

from eggbin.cluster.channel import SETTINGS_CHECKED, Channel, Message, encode, envelope
from eggbin.cluster.options import ChildOptions
from eggbin.cluster.process import Child, ChildProcess, spawn_module
from eggbin.cluster.report import ClusterReport
from eggbin.cluster.start_trace import mark
from eggbin.cluster.stop_sequence import State
from eggbin.cluster.zygote import PIPELINED

if TYPE_CHECKING:
    import socket

    from eggbin.cluster.zygote import SpawnRequest, Zygote

AGENT_STARTED = "agent-started"


class ChildStarts(ClusterReport):
    """Starting the agent and the workers: their requests, their greetings, the zygote's batches."""

    selector: selectors.BaseSelector
    settings_checked: bool
    zygote: Zygote | None
    # the first workers asked of the zygote with the agent, their pids not read yet: their ids and the
    # master's ends of their channels (None: the zygote could not be asked, they are spawned)
    pending_workers: tuple[list[int], list[socket.socket] | None] | None = None

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
        """The agent, then every worker. With the zygote, the agent's batch and the first workers' are
        asked at once: it forks the agent as soon as it holds the agent's modules and the workers as soon
        as it holds theirs, with no round trip through this loop in between. The workers' pids arrive
        through the loop (`read_zygote`): meanwhile the agent's `agent-start` is handled, and what the
        workers are told lands in their channels (`tell_workers`). They exist while the agent boots and
        load the app only after `agent-started` (egg's order)."""
        if self.zygote is None:
            self.spawn("agent", 0)
            mark("master", "agent spawned")
            self.spawn_workers()
            return
        ahead = list(range(1, min(self.options.workers, PIPELINED - 1) + 1))  # with the agent: one of 8
        agent_request = [self.spawn_request("agent", 0)]
        agent_ends = self.zygote.ask_ahead(agent_request)
        requests = [self.spawn_request("worker", worker_id) for worker_id in ahead]
        # without `keep_zygote`, a batch of every worker is the zygote's last: it forks them itself
        last = not self.options.keep_zygote and len(ahead) == self.options.workers
        worker_ends = self.zygote.ask_ahead(requests, last) if agent_ends is not None and ahead else None
        [agent] = self.zygote.collect_or_spawn(agent_ends, agent_request)
        self.spawn("agent", 0, agent)
        mark("master", "agent spawned")
        self.pending_workers = (ahead, worker_ends)
        if worker_ends is None:
            self.spawn_pending_workers()
        else:
            self.selector.register(self.zygote.control, selectors.EVENT_READ, "zygote")

    def read_zygote(self) -> None:
        """The zygote's next packet while the first workers are forked: its `ready` notice (read), or
        their pids (all sent at once, once the batch is forked)."""
        assert self.zygote is not None
        if not self.zygote.notice_read():
            self.spawn_pending_workers()

    def spawn_pending_workers(self, rest: bool = True) -> None:
        """The workers asked with the agent (their pids came, or the zygote failed them: spawned now),
        then those beyond that batch; waits for the zygote's answer if it has not come. Without `rest`
        (a stop began), only those the zygote forks: none is started to be stopped."""
        if self.pending_workers is None:
            return
        (ahead, ends), self.pending_workers = self.pending_workers, None
        requests = [self.spawn_request("worker", worker_id) for worker_id in ahead]
        started: list[tuple[ChildProcess, Channel] | None] = []
        if ends is not None and self.zygote is not None:
            self.selector.unregister(self.zygote.control)
            started += self.zygote.collect_or_spawn(ends, requests, spawn=rest)
        elif rest:
            started += [spawn_module(m, b, pass_fds=f, stdin=i, greeting=g) for m, b, f, i, g in requests]
        more = range(len(ahead) + 1, self.options.workers + 1) if rest else range(0)
        if more and self.zygote is not None:
            started += self.zygote.spawn_many([self.spawn_request("worker", worker_id) for worker_id in more])
        else:
            started += [None] * len(more)  # spawned by `spawn`
        for worker_id, child in zip([*ahead, *more], started, strict=False):
            self.spawn("worker", worker_id, child, record=False)
        self.write_state()  # once for the batch: the workers boot meanwhile, on the same cores
        mark("master", "workers spawned")

    def tell_workers(self, message: Message) -> None:
        """Every worker, those still being forked too (in their channel: read as soon as they run)."""
        for worker in self.workers:
            worker.send(message)
        if self.pending_workers is not None:
            for end in self.pending_workers[1] or []:
                with contextlib.suppress(OSError):
                    end.sendall(encode(message))
