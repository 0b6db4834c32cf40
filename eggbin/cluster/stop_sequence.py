"""The master's states and its stop sequence: drain, workers, then the agent, each with a deadline.

    (READY) --stop signal--> DRAINING (`config.health.drain_delay`) --> STOPPING_WORKERS (SIGTERM, then
    SIGKILL after the app close timeout) --> STOPPING_AGENT (SIGTERM, then SIGKILL after the agent close
    timeout) --> DONE

Kept apart from `eggbin.cluster.master` (the start, messages and the loop), which mixes it in.
"""

from __future__ import annotations

import enum
import signal
import time
from typing import TYPE_CHECKING

from eggbin.cluster import masterlog
from eggbin.cluster.channel import envelope

if TYPE_CHECKING:
    from eggbin.cluster.channel import Message
    from eggbin.cluster.options import ClusterOptions
    from eggbin.cluster.process import Child
    from eggbin.cluster.respawn import Respawner

STOPPING_ACTION = "cluster-stopping"
MAX_DRAIN_DELAY = 3600.0
STOP_SIGNALS = (signal.SIGINT, signal.SIGTERM, signal.SIGQUIT)


class State(enum.Enum):
    STARTING_AGENT = "starting agent"
    STARTING_WORKERS = "starting workers"
    READY = "ready"
    DRAINING = "draining"
    STOPPING_WORKERS = "stopping workers"
    STOPPING_AGENT = "stopping agent"
    DONE = "done"


STARTING = (State.STARTING_AGENT, State.STARTING_WORKERS)
STOPPING = (State.DRAINING, State.STOPPING_WORKERS, State.STOPPING_AGENT, State.DONE)


class StopSequence:
    """The master's stop: `fail` or `begin_stop` start it, the loop calls `advance_stop` each tick."""

    options: ClusterOptions
    state: State
    children: dict[int, Child]
    deadline: float | None
    exit_code: int
    drain_delay: float
    respawner: Respawner

    @property
    def workers(self) -> list[Child]:
        return [c for c in self.children.values() if c.role == "worker"]

    @property
    def agent(self) -> Child | None:
        return next((c for c in self.children.values() if c.role == "agent"), None)

    def send_parent(self, message: Message) -> bool:
        raise NotImplementedError

    def write_state(self) -> None:
        raise NotImplementedError

    def fail(self, cause: str) -> None:
        masterlog.error(cause)
        self.send_parent(envelope("egg-start-failed", {"message": cause}, sender="master"))
        self.exit_code = 1
        self.begin_stop()

    def begin_stop(self) -> None:
        if self.state in STOPPING:
            return
        draining = self.state is State.READY and self.drain_delay > 0
        self.respawner.pending.clear()
        for child in self.children.values():
            child.send(envelope(STOPPING_ACTION, {"drain_delay": self.drain_delay}, sender="master"))
        if draining:
            self.state = State.DRAINING
            self.deadline = time.monotonic() + self.drain_delay
            masterlog.info(f"draining for {self.drain_delay:g} s (config.health.drain_delay) before closing")
            self.write_state()
            return
        self.stop_workers()

    def stop_workers(self) -> None:
        """Stop accepting and let workers finish in-flight requests (graceful, with a deadline)."""
        self.state = State.STOPPING_WORKERS
        # the master close timeout bounds the workers' phase only: the agent's turn always follows
        grace = min(self.options.app_close_timeout + 1, self.options.master_close_timeout)
        self.deadline = time.monotonic() + grace
        for worker in self.workers:
            worker.signal(signal.SIGTERM)

    def advance_stop(self) -> None:
        """Workers first, then the agent: whatever the workers did, the agent gets its SIGTERM and its
        own close timeout (`before_close` runs)."""
        now = time.monotonic()
        if self.state is State.DRAINING and (self.deadline is None or now >= self.deadline):
            self.stop_workers()
        if self.state is State.STOPPING_WORKERS:
            if self.workers and self.deadline is not None and now >= self.deadline:
                self.kill_leftovers("workers did not stop in time", roles=("worker",))
            if not self.workers:
                self.state = State.STOPPING_AGENT
                self.deadline = now + self.options.agent_close_timeout
                if self.agent:
                    self.agent.signal(signal.SIGTERM)
        if self.state is State.STOPPING_AGENT:
            if self.agent and self.deadline is not None and now >= self.deadline:
                self.kill_leftovers("the agent did not stop in time", roles=("agent",))
            if not self.children:
                self.state = State.DONE

    def kill_leftovers(self, why: str, roles: tuple[str, ...]) -> None:
        for child in self.children.values():
            if child.role in roles and not child.killed:
                masterlog.error(f"{why}; killing {child.label}")
                child.killed = True
                child.signal(signal.SIGKILL)
