"""When a dead child comes back: exponential backoff per worker slot, a cap for the whole cluster.

A worker that dies once is respawned at once (0.1 s); one that keeps dying waits 0.2, 0.4 … up to
30 s. Beyond `CAP` restarts in `WINDOW` seconds across the cluster the master stops respawning (egg's
60 a minute): it logs that, keeps serving with the workers it has, and halts only when none is
left, so a supervisor (systemd, Kubernetes) sees the failure instead of a master serving nothing.
The agent always comes back after `AGENT_DELAY` (egg's 1 s).
"""

from __future__ import annotations

import heapq
import signal
import time
from collections import deque
from dataclasses import dataclass, field
from typing import Protocol

from eggbin.cluster import masterlog
from eggbin.cluster.options import ClusterOptions
from eggbin.cluster.process import Child

WINDOW = 60.0
CAP = 60
FIRST_DELAY = 0.1
MAX_DELAY = 30.0
AGENT_DELAY = 1.0


@dataclass
class RestartPolicy:
    """Remembers recent restarts and says how long to wait before the next one."""

    cap: int = CAP
    recent: deque[float] = field(default_factory=deque)
    by_slot: dict[int, deque[float]] = field(default_factory=dict)

    def _forget_old(self, times: deque[float], now: float) -> None:
        while times and now - times[0] > WINDOW:
            times.popleft()

    def worker_delay(self, slot: int, now: float) -> float | None:
        """Seconds to wait before respawning worker `slot`, or None when over the cap."""
        self._forget_old(self.recent, now)
        if len(self.recent) >= self.cap:
            return None
        slot_times = self.by_slot.setdefault(slot, deque())
        self._forget_old(slot_times, now)
        delay: float = min(MAX_DELAY, FIRST_DELAY * 2 ** len(slot_times))
        self.recent.append(now)
        slot_times.append(now)
        return delay


@dataclass(order=True)
class PendingSpawn:
    """A child to start at `due` (monotonic seconds)."""

    due: float
    role: str
    slot: int


class RespawnHost(Protocol):
    """What respawning needs from the master."""

    options: ClusterOptions

    @property
    def workers(self) -> list[Child]: ...

    def spawn(self, role: str, child_id: int) -> Child: ...

    def fail(self, cause: str) -> None: ...

    def tell_agent_workers(self) -> None: ...


class Respawner:
    """Brings dead children back on schedule and kills workers whose heartbeat stopped."""

    def __init__(self, host: RespawnHost) -> None:
        self.host = host
        self.policy = RestartPolicy()
        self.pending: list[PendingSpawn] = []
        self.restarts: dict[int, int] = {}

    def worker_died(self, child: Child, code: int) -> None:
        delay = self.policy.worker_delay(child.id, time.monotonic())
        died = f"{child.label} died (code {code})" + (f": {child.boot_error}" if child.boot_error else "")
        if delay is None:
            masterlog.error(f"{died}; over {self.policy.cap} restarts a minute, not respawning")
            if not self.host.workers and not any(p.role == "worker" for p in self.pending):
                self.host.fail("no worker left to serve requests")
            return
        masterlog.error(f"{died}; respawning in {delay:g} s")
        self.restarts[child.id] = self.restarts.get(child.id, 0) + 1
        heapq.heappush(self.pending, PendingSpawn(time.monotonic() + delay, "worker", child.id))
        self.host.tell_agent_workers()

    def agent_died(self, code: int) -> None:
        masterlog.error(f"agent died (code {code}); respawning in {AGENT_DELAY:g} s")
        heapq.heappush(self.pending, PendingSpawn(time.monotonic() + AGENT_DELAY, "agent", 0))

    def spawn_due(self) -> None:
        now = time.monotonic()
        while self.pending and self.pending[0].due <= now:
            due = heapq.heappop(self.pending)
            self.host.spawn(due.role, due.slot)

    def check_heartbeats(self) -> None:
        """Kill a ready worker that went quiet for `worker_timeout` (its loop is stuck)."""
        timeout = self.host.options.worker_timeout
        if timeout <= 0:
            return
        now = time.monotonic()
        for worker in self.host.workers:
            if worker.ready and not worker.retiring and now - worker.last_seen > timeout:
                masterlog.error(f"{worker.label} sent no heartbeat for {timeout:g} s; killing it")
                worker.last_seen = now  # one kill per silence
                worker.signal(signal.SIGKILL)
