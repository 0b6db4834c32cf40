"""Rolling replacement: a new worker listens before an old one is retired, so no request is refused.

    (agent?)  SIGTERM old agent ──reaped──> spawn agent ──agent-start──┐
                                                                         v
    for each old worker:  spawn new (same slot) ──app-start──> retire old (SIGTERM, graceful)
                                                                         │
    all old retired ──> `reload-done` {ms, workers} to the parent <──────┘

A new worker that dies before it listens aborts the reload: the old workers keep serving and the
parent gets `reload-failed` {message}. A reload asked for while one runs is coalesced into one more.

Requests are counted; `run/cluster.json` holds the count (`reload_requests`) and the outcome of the
last reload with the count it answered (`last_reload`: {request, ok, message, ms, workers}), so `eggscripts
reload`, which has no channel to the master, waits for the reload that covers its SIGHUP and names
the cause when it fails.
"""

from __future__ import annotations

import signal
import time
from typing import Any, Protocol

from msgspec import Struct, field

from eggbin.cluster import masterlog
from eggbin.cluster.channel import Message, envelope
from eggbin.cluster.options import ClusterOptions
from eggbin.cluster.process import Child


class RollingReload(Struct):
    """The progress of one rolling replacement."""

    old_workers: list[Child]
    agent: bool
    request: int  # how many reloads had been asked for when this one started
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


class ReloadHost(Protocol):
    """What a reload needs from the master."""

    options: ClusterOptions

    @property
    def ready(self) -> bool: ...

    @property
    def state_name(self) -> str: ...

    @property
    def workers(self) -> list[Child]: ...

    @property
    def agent(self) -> Child | None: ...

    def spawn(self, role: str, child_id: int) -> Child: ...

    def send_parent(self, message: Message) -> bool: ...

    def write_state(self) -> None: ...

    def worker_pids(self) -> list[int]: ...

    def tell_agent_workers(self) -> None: ...


class Reloader:
    """Drives the rolling replacements of one master, one at a time (the diagram above)."""

    def __init__(self, host: ReloadHost) -> None:
        self.host = host
        self.current: RollingReload | None = None
        self.requests = 0
        self.last: dict[str, Any] | None = None  # the outcome of the last reload (run/cluster.json)

    def describe(self) -> dict[str, Any]:
        """What run/cluster.json says about reloads."""
        return {"reload_requests": self.requests, "last_reload": self.last}

    def start(self, agent: bool) -> None:
        self.requests += 1
        if self.current:
            self.current.coalesce(agent)
            return
        self._begin(agent)

    def _begin(self, agent: bool) -> None:
        host = self.host
        if not host.ready:
            self._finish(f"the cluster is {host.state_name}", self.requests, 0)
            return
        masterlog.info("reloading " + ("agent and workers" if agent else "workers"))
        self.current = RollingReload(sorted(host.workers, key=lambda w: w.id), agent, self.requests)
        if agent and host.agent:
            self.current.waiting_agent = True
            self.retire(host.agent, host.options.agent_close_timeout)
        else:
            self._advance()

    def agent_started(self) -> None:
        if self.current and self.current.waiting_agent:
            self.current.waiting_agent = False
            self._advance()

    def worker_started(self, child: Child) -> None:
        if self.current and child is self.current.replacement:
            self._retire_next()

    def retired(self, child: Child) -> None:
        """A child the master retired has exited: a reloaded agent comes back now."""
        if child.role == "agent" and self.current and self.current.waiting_agent:
            self.host.spawn("agent", 0)

    def is_replacement(self, child: Child) -> bool:
        return self.current is not None and child is self.current.replacement

    def replacement_died(self, child: Child, code: int) -> None:
        assert self.current is not None
        cause = child.boot_error or f"{child.describe_exit(code)} before it was ready"
        masterlog.error(f"reload failed: {child.label} {cause}; the old workers keep serving")
        done, self.current = self.current, None
        self._finish(f"{child.label}: {cause}", done.request, done.elapsed_ms)
        if done.again:
            self._begin(done.again_agent)

    def _finish(self, failure: str | None, request: int, ms: int) -> None:
        """Record the outcome (the state file) and tell the parent."""
        host = self.host
        workers = host.worker_pids()
        self.last = {
            "request": request,
            "ok": failure is None,
            "message": failure,
            "ms": ms,
            "workers": workers,
        }
        if failure is None:
            host.send_parent(envelope("reload-done", {"ms": ms, "workers": workers}))
        else:
            host.send_parent(envelope("reload-failed", {"message": failure}))
        host.write_state()

    def _advance(self) -> None:
        assert self.current is not None
        host = self.host
        old = self.current.next_old()
        if old is not None:
            self.current.replacement = host.spawn("worker", old.id)
            return
        done, self.current = self.current, None
        masterlog.info(f"reloaded {len(host.worker_pids())} worker(s) in {done.elapsed_ms} ms")
        self._finish(None, done.request, done.elapsed_ms)
        if done.again:
            self._begin(done.again_agent)

    def retire(self, child: Child, grace: float) -> None:
        """SIGTERM now, SIGKILL if it is still there after `grace` seconds (see `kill_overdue`)."""
        child.retiring = True
        child.kill_at = time.monotonic() + grace
        child.signal(signal.SIGTERM)

    def kill_overdue(self) -> None:
        now, host = time.monotonic(), self.host
        for child in [*host.workers, *([host.agent] if host.agent else [])]:
            if child.kill_at is not None and now >= child.kill_at and not child.killed:
                masterlog.error(f"{child.label} did not stop within its close timeout; killing it")
                child.killed = True
                child.signal(signal.SIGKILL)

    def _retire_next(self) -> None:
        assert self.current is not None
        old = self.current.next_old()
        self.current.replacement = None
        if old is not None:
            self.retire(old, self.host.options.app_close_timeout + 1)
            self.host.write_state()
            self.current.old_workers.pop(0)
        self.host.tell_agent_workers()
        self._advance()
