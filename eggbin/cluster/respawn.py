"""When a dead child comes back: exponential backoff per worker slot, a cap for the whole cluster.

A worker that dies once is respawned at once (0.1 s); one that keeps dying waits 0.2, 0.4 … up to
30 s. Beyond `CAP` restarts in `WINDOW` seconds across the cluster the master stops respawning (egg's
60 a minute): it logs that, keeps serving with the workers it has, and halts only when none is
left, so a supervisor (systemd, Kubernetes) sees the failure instead of a master serving nothing.
The agent always comes back after `AGENT_DELAY` (egg's 1 s).
"""

from __future__ import annotations

from collections import deque
from dataclasses import dataclass, field

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
