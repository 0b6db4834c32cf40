"""Rolling replacement: a new worker listens before an old one is retired, so no request is refused.

    (agent?)  SIGTERM old agent ──reaped──> spawn agent ──agent-start──┐
                                                                         v
    for each old worker:  spawn new (same slot) ──app-start──> retire old (SIGTERM, graceful)
                                                                         │
    all old retired ──> `reload-done` {ms, workers} to the parent <──────┘

A new worker that dies before it listens aborts the reload: the old workers keep serving and the
parent gets `reload-failed` {message}. A reload asked for while one runs is coalesced into one more.
"""

from __future__ import annotations

import time
from dataclasses import dataclass, field

from eggbin.cluster.process import Child


@dataclass
class RollingReload:
    """The progress of one rolling replacement."""

    old_workers: list[Child]
    agent: bool
    started: float = field(default_factory=time.monotonic)
    waiting_agent: bool = False
    replacement: Child | None = None
    again: bool = False  # another reload was asked for meanwhile
    again_agent: bool = False

    def next_old(self) -> Child | None:
        """The next old worker still alive and not yet retiring."""
        while self.old_workers:
            worker = self.old_workers[0]
            if worker.popen.poll() is None and not worker.retiring:
                return worker
            self.old_workers.pop(0)
        return None

    @property
    def elapsed_ms(self) -> int:
        return round((time.monotonic() - self.started) * 1000)

    def coalesce(self, agent: bool) -> None:
        self.again = True
        self.again_agent = self.again_agent or agent
