"""When a dead child comes back: at once if it had served, later only if it cannot boot or loops.

    worker that served (sent `app-start`) dies ──> respawned at once
        … its slot's 3rd crash within 10 s (a tight crash loop) ──> 0.1 s, 0.2 s … up to 10 s
    worker dies before it was ready (a boot failure) ──> 0.1 s, 0.2 s … up to 30 s, per slot

Whatever a slot's backoff, the cluster is never left without a serving worker for more than
`LAST_WORKER_DELAY` plus a boot: when none serves, the next respawn is brought forward, unless the
app itself cannot boot (the last death was a boot failure), and then the master says so in its log
and keeps retrying with backoff. There is no cap that stops respawning: a request that crashes its
worker every half second must not leave the cluster empty (egg's 60-a-minute refork limit did).
The agent comes back after `AGENT_DELAY` (egg's 1 s), with backoff only if it fails to boot.
"""

from __future__ import annotations

import heapq
import signal
import time
from collections import deque
from typing import Protocol

from msgspec import Struct, field

from eggbin.cluster import masterlog
from eggbin.cluster.options import ClusterOptions
from eggbin.cluster.process import Child

FIRST_DELAY = 0.1
MAX_BOOT_DELAY = 30.0
MAX_LOOP_DELAY = 10.0
LOOP_WINDOW = 10.0
LOOP_CRASHES = 3
LAST_WORKER_DELAY = 0.5
AGENT_DELAY = 1.0


def backoff(failures: int, first: float, cap: float) -> float:
    """`first` after the 1st failure, doubling after each further one, at most `cap`."""
    return float(min(cap, first * 2 ** max(0, failures - 1)))


class RestartPolicy(Struct):
    """Remembers each slot's recent crashes and failed boots; says how long to wait before a respawn."""

    crashes: dict[int, deque[float]] = field(default_factory=dict)
    boot_failures: dict[int, int] = field(default_factory=dict)

    def worker_delay(self, slot: int, served: bool, now: float) -> float:
        """Seconds before worker `slot` comes back (0: at once)."""
        if not served:
            failures = self.boot_failures[slot] = self.boot_failures.get(slot, 0) + 1
            return backoff(failures, FIRST_DELAY, MAX_BOOT_DELAY)
        times = self.crashes.setdefault(slot, deque())
        while times and now - times[0] > LOOP_WINDOW:
            times.popleft()
        times.append(now)
        if len(times) < LOOP_CRASHES:
            return 0.0
        return backoff(len(times) - LOOP_CRASHES + 1, FIRST_DELAY, MAX_LOOP_DELAY)

    def agent_delay(self, served: bool) -> float:
        if served:
            self.boot_failures.pop(0, None)
            return AGENT_DELAY
        failures = self.boot_failures[0] = self.boot_failures.get(0, 0) + 1
        return backoff(failures, AGENT_DELAY, MAX_BOOT_DELAY)

    def booted(self, slot: int) -> None:
        """Worker `slot` (0: the agent) is ready again: its boot failures are forgiven."""
        self.boot_failures.pop(slot, None)


class PendingSpawn(Struct, order=True):
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

    def tell_agent_workers(self) -> None: ...


class Respawner:
    """Brings dead children back on schedule and kills workers whose heartbeat stopped."""

    def __init__(self, host: RespawnHost) -> None:
        self.host = host
        self.policy = RestartPolicy()
        self.pending: list[PendingSpawn] = []
        self.restarts: dict[int, int] = {}

    def worker_died(self, child: Child, code: int) -> None:
        now, served = time.monotonic(), child.ready
        delay = self.policy.worker_delay(child.id, served, now)
        if served:
            died = f"{child.label} died: {child.describe_exit(code)}"
        else:
            died = f"{child.label} failed to boot: {child.boot_error or child.describe_exit(code)}"
        serving = [w for w in self.host.workers if w.ready and not w.retiring]
        if not serving and served:
            delay = min(delay, LAST_WORKER_DELAY)
        when = "now" if delay == 0 else f"in {delay:g} s"
        if served and len(self.policy.crashes.get(child.id, ())) >= LOOP_CRASHES:
            when += f" (crash loop: {len(self.policy.crashes[child.id])} crashes within {LOOP_WINDOW:g} s)"
        masterlog.error(f"{died}; respawning {when}")
        if not serving and not served and not self._worker_booting():
            masterlog.error(f"no worker is serving: the app cannot boot; retrying in {delay:g} s")
        self.restarts[child.id] = self.restarts.get(child.id, 0) + 1
        heapq.heappush(self.pending, PendingSpawn(now + delay, "worker", child.id))
        self.host.tell_agent_workers()

    def _worker_booting(self) -> bool:
        return any(not w.ready and not w.retiring for w in self.host.workers)

    def agent_died(self, child: Child, code: int) -> None:
        delay = self.policy.agent_delay(child.ready)
        cause = "" if child.ready else f" before it was ready: {child.boot_error or 'no boot error reported'}"
        masterlog.error(f"agent died: {child.describe_exit(code)}{cause}; respawning in {delay:g} s")
        heapq.heappush(self.pending, PendingSpawn(time.monotonic() + delay, "agent", 0))

    def booted(self, child: Child) -> None:
        self.policy.booted(0 if child.role == "agent" else child.id)

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
            if worker.paused:
                continue  # stopped in pdb on purpose
            if worker.ready and not worker.retiring and now - worker.last_seen > timeout:
                masterlog.error(f"{worker.label} sent no heartbeat for {timeout:g} s; killing it")
                worker.last_seen = now  # one kill per silence
                worker.killed = True
                worker.signal(signal.SIGKILL)
