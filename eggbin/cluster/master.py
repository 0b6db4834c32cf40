"""The master: binds the socket, starts the agent then the workers, routes messages, never imports app code.

    python -m eggbin.cluster '{"cluster": <ClusterOptions>, "channel_fd": N}'   (see __main__.py)

One thread, one selector loop, an explicit state machine; signal handlers only record the signal:

    STARTING_AGENT --agent-start--> STARTING_WORKERS --all app-start--> READY (respawn, reload, heartbeats)
    (workers are spawned or forked beside the agent but load the app only after `agent-started`, which
    keeps egg's order; without `keep_zygote` the zygote leaves at READY and later children are spawned)
          |                               |                               |
          +------ child died / signal ----+------------- signal ----------+--> (DRAINING) --> STOPPING_WORKERS
                                                                              --> STOPPING_AGENT --> DONE

A stop begins with `cluster-stopping` to every child (readiness probes answer 503 from then on). When
the workers reported a `config.health.drain_delay` (in `app-start`) and the cluster was ready, it first
keeps serving that long (DRAINING: a load balancer notices before the socket closes), then stops workers.
"""

from __future__ import annotations

import contextlib
import os
import selectors
import signal
import socket
import time
from typing import Any

from eggbin.cluster import masterlog, metrics_dir
from eggbin.cluster.breakpoints import DEBUGGER_PAUSED
from eggbin.cluster.channel import BOOT_PROGRESS, SETTINGS_CHECKED, Channel, Message, envelope
from eggbin.cluster.children import AGENT_STARTED, ChildStarts
from eggbin.cluster.listener import bind, release
from eggbin.cluster.messenger import Router
from eggbin.cluster.options import ClusterOptions
from eggbin.cluster.process import Child, reap_orphans
from eggbin.cluster.reload import Reloader
from eggbin.cluster.respawn import Respawner
from eggbin.cluster.start_trace import mark
from eggbin.cluster.state import StateLock, process_started_at
from eggbin.cluster.stop_sequence import (
    MAX_DRAIN_DELAY,
    STARTING,
    STOP_SIGNALS,
    STOPPING,
    State,
)
from eggbin.cluster.zygote import Zygote
from eggbin.errors import EggbinError

# a boot phase still running after this long is told to the parent (the master's loop wakes every 0.1 s)
PHASE_TOLD_AFTER = 0.2


class Master(ChildStarts):
    def __init__(self, options: ClusterOptions, parent: Channel | None, zygote: Zygote | None = None) -> None:
        self.options = options
        self.parent = parent
        self.state = State.STARTING_AGENT
        self.started_at = time.monotonic()
        self.started_wall = process_started_at()
        self.selector = selectors.DefaultSelector()
        self.children: dict[int, Child] = {}
        self.signals: list[int] = []
        self.deadline: float | None = None
        self.exit_code = 0
        self.drain_delay = 0.0  # the longest `config.health.drain_delay` a worker reported
        # the agent's settings check (eggbin/web/settings/forked.py) passed: workers may serve
        self.settings_checked = False
        self.held_failure: str | None = None  # a worker's failed start, reported once the check spoke
        self.listener: socket.socket | None = None
        self.router = Router(lambda: list(self.children.values()), self.send_parent)
        self.respawner = Respawner(self)
        self.reloader = Reloader(self)
        self.lock = StateLock(options.base_dir, options.pid_file)
        self.zygote = zygote
        # a subreaper (set by fork_zygote) or PID 1 (`eggscripts start` as a container's CMD) inherits
        # orphans; the flag outlives a zygote retired at ready
        self.reaps_orphans = zygote is not None or os.getpid() == 1

    # -- set-up -----------------------------------------------------------------------------------
    def install_signals(self) -> None:
        wake_read, wake_write = socket.socketpair()
        wake_read.setblocking(False)
        wake_write.setblocking(False)
        signal.set_wakeup_fd(wake_write.fileno())
        self.selector.register(wake_read, selectors.EVENT_READ, "wakeup")
        self._wake = (wake_read, wake_write)
        for signum in (*STOP_SIGNALS, signal.SIGCHLD, signal.SIGHUP):
            signal.signal(signum, self._record_signal)

    def _record_signal(self, signum: int, frame: object) -> None:
        self.signals.append(signum)

    @property
    def ready(self) -> bool:
        return self.state is State.READY

    @property
    def state_name(self) -> str:
        return self.state.value

    def reap_children(self) -> None:
        for child in list(self.children.values()):
            code = child.popen.poll()
            if code is not None:
                self._drain(child)
                del self.children[child.pid]
                if child.role == "worker":
                    metrics_dir.mark_dead(self.lock.dir, child.pid)
                self.selector.unregister(child.channel.sock)
                child.channel.close()
                self.handle_exit(child, code)
                self.write_state()

    def _drain(self, child: Child) -> None:
        """Read what a dead child said last (its boot error arrives just before it exits)."""
        child.channel.sock.setblocking(False)
        while not child.channel.closed:
            messages = child.channel.receive()
            if not messages:
                break
            for message in messages:
                self.handle_message(child, message)

    def handle_exit(self, child: Child, code: int) -> None:
        if self.state in STARTING:
            cause = child.boot_error or f"{child.describe_exit(code)} before it was ready"
            if child.role == "worker" and self.state is State.STARTING_WORKERS and not self.settings_checked:
                # bad settings make a worker fail too: the check's one line is the cause to report
                self.held_failure = self.held_failure or f"{child.label} failed to start: {cause}"
                return
            self.fail(f"{child.label} failed to start: {cause}")
        elif self.state is not State.READY:
            return
        elif child.retiring:
            self.reloader.retired(child)
        elif self.reloader.is_replacement(child):
            self.reloader.replacement_died(child, code)
        elif child.role == "agent":
            self.respawner.agent_died(child, code)
        else:
            self.respawner.worker_died(child, code)

    # -- messages ---------------------------------------------------------------------------------
    def handle_message(self, child: Child, message: Message) -> None:
        child.last_seen = time.monotonic()
        child.paused = message.get("action") == DEBUGGER_PAUSED  # any later message: running again
        if self.router.is_routed(message):
            self.router.dispatch(message)
            return
        action = message.get("action")
        if action == "boot-error":
            child.boot_error = str((message.get("data") or {}).get("message"))
        elif action == BOOT_PROGRESS:
            self.report_progress(child, str((message.get("data") or {}).get("phase")))
        elif action == "agent-start":
            data = message.get("data") or {}
            masterlog.configure_from_agent(data.get("logger"))
            # a respawned agent counts as started once its settings check passed; the first lets the
            # workers load meanwhile (they serve only after `settings-checked`)
            if self.state is State.STARTING_AGENT or not data.get("settings_pending"):
                self.agent_started(child, settings_pending=bool(data.get("settings_pending")))
        elif action == SETTINGS_CHECKED:
            if not child.ready:
                self.agent_started(child, settings_pending=False)
            self.pass_settings()
        elif action == "app-start":
            self.note_drain_delay(message.get("data"))
            self.worker_started(child)

    def report_progress(self, child: Child, phase: str) -> None:
        """Note what the child is doing now; the parent hears of it if it lasts (`tell_lasting_phases`)."""
        child.phase, child.phase_since, child.phase_told = phase, time.monotonic(), False

    def tell_lasting_phases(self) -> None:
        """While starting, the parent learns each phase a child is still in after `PHASE_TOLD_AFTER` (a
        timed-out start names them, and for how long), not each of the ~13 of every boot as it begins:
        those would wake the parent and this loop on the cores the boots need."""
        now = time.monotonic()
        for child in self.children.values():
            lasted = now - child.phase_since
            if child.phase is not None and not child.phase_told and lasted >= PHASE_TOLD_AFTER:
                child.phase_told = True
                data = {"who": child.label, "phase": child.phase, "for": round(lasted, 3)}
                self.send_parent(envelope(BOOT_PROGRESS, data, sender="master"))

    def agent_started(self, child: Child, settings_pending: bool) -> None:
        mark("master", "agent-start received")
        child.ready = True
        self.report_progress(child, "ready")
        self.respawner.booted(child)
        if self.state is State.STARTING_AGENT:
            self.state = State.STARTING_WORKERS
            self.tell_workers(envelope(AGENT_STARTED, sender="master"))
            if not settings_pending:
                self.pass_settings()
        elif self.state is State.READY:
            child.send(self.ready_message())
            self.tell_agent_workers()
            self.reloader.agent_started()

    def pass_settings(self) -> None:
        """The settings check passed (or there was none): workers serve once booted."""
        if self.settings_checked:
            return
        mark("master", "settings checked")
        self.settings_checked = True
        self.tell_workers(envelope(SETTINGS_CHECKED, sender="master"))
        if self.held_failure and self.state in STARTING:
            self.fail(self.held_failure)

    def worker_started(self, child: Child) -> None:
        mark("master", f"app-start from {child.label}")
        child.ready = True
        self.report_progress(child, "ready")
        self.respawner.booted(child)
        if self.state is State.STARTING_WORKERS and all(w.ready for w in self.workers):
            self.become_ready()
            return
        if self.state is State.READY:
            child.send(self.ready_message())
            self.tell_agent_workers()
            self.reloader.worker_started(child)
        if self.state not in STARTING:  # while starting, `become_ready` records every worker at once
            self.write_state()

    def note_drain_delay(self, data: Any) -> None:
        delay = data.get("drain_delay") if isinstance(data, dict) else None
        if isinstance(delay, int | float) and not isinstance(delay, bool) and delay > 0:
            self.drain_delay = max(self.drain_delay, min(float(delay), MAX_DRAIN_DELAY))

    def handle_parent(self, message: Message) -> None:
        if message.get("action") == "reload-workers":
            self.reloader.start(bool((message.get("data") or {}).get("agent")))
        elif self.router.is_routed(message):
            self.router.dispatch(message)

    def send_parent(self, message: Message) -> bool:
        return self.parent.send(message) if self.parent else False

    def tell_agent_workers(self) -> None:
        """The agent picks the worker of a "worker" schedule: keep its list of ready workers current."""
        agent = self.agent
        if agent:
            pids = [w.pid for w in self.workers if w.ready and not w.retiring]
            agent.send(envelope("cluster-workers", {"pids": pids}, sender="master"))

    def become_ready(self) -> None:
        self.state = State.READY
        info = self.ready_info()
        elapsed = (time.monotonic() - self.started_at) * 1000
        masterlog.info(f"egg started on {info['address']} ({elapsed:.0f} ms)")
        message = self.ready_message()
        # the state file is final before `eggscripts start` returns: nothing rewrites it after the parent
        # hears egg-ready (a `stop`/`reload` right after the start reads what the master wrote)
        self.write_state()
        mark("master", "egg-ready")  # written before the parent hears it
        # the parent first, then the workers, then the agent, as egg-cluster's master sends it: the
        # children's `server_did_ready` hooks wake on the same cores and would hold the parent's back
        self.send_parent(message)
        for worker in self.workers:
            worker.send(message)
        # the agent's list of workers just before its egg-ready ("immediate" schedules need it), not
        # before the parent's: the agent, woken by it, took the master's core for ~2 ms of the start
        self.tell_agent_workers()
        if self.agent:
            self.agent.send(message)
        self.router.become_ready()
        if self.zygote and not self.options.keep_zygote:
            self.zygote.stop()
            self.zygote = None
        elif self.zygote:
            self.zygote.preload_optional()

    def begin_stop(self) -> None:
        """The stop sequence; workers the zygote is forking are waited for first, to be stopped with
        the others (none beyond them is started)."""
        self.spawn_pending_workers(rest=False)
        super().begin_stop()

    # -- the loop ---------------------------------------------------------------------------------
    def handle_signals(self) -> None:
        while self.signals:
            signum = self.signals.pop(0)
            if signum in STOP_SIGNALS:
                if self.state not in STOPPING:
                    masterlog.info(f"received {signal.Signals(signum).name}, stopping")
                self.begin_stop()
            elif signum == signal.SIGHUP:
                self.reloader.start(agent=False)

    def run(self) -> int:
        try:
            return self._run()
        finally:
            if self.zygote:
                self.zygote.stop()

    def _run(self) -> int:
        self.install_signals()
        try:
            self.lock.acquire()
            metrics_dir.wipe(self.lock.dir)  # a previous cluster's counts (ours hold the lock now)
            self.listener = bind(self.options)
            mark("master", "listening")
        except EggbinError as exc:
            self.fail(str(exc))
            return 1
        except OSError as exc:
            where = self.options.path or f"{self.options.host}:{self.options.port}"
            self.fail(f"cannot listen on {where}: {exc.strerror}")
            self.lock.release()
            return 1
        if self.parent:
            self.selector.register(self.parent.sock, selectors.EVENT_READ, "parent")
        try:
            # workers exist while the agent boots (interpreter or fork, event loop, channel) and load the
            # app only after `agent-started`: egg's order, without their start-up on its critical path
            self.spawn_first()
            while self.state is not State.DONE:
                self.tick()
        finally:
            metrics_dir.wipe(self.lock.dir)
            self.lock.release()
            release(self.listener, self.options)
        return self.exit_code

    def tick(self) -> None:
        timeout = 0.05 if self.respawner.pending or self.state in STOPPING else 0.1
        # the zygote's packet last: the pids of its last batch are taken once it has exited (a few ms,
        # `Zygote.wait_retired`), and the agent's `agent-start` beside them is what the workers wait for
        events = sorted(self.selector.select(timeout=timeout), key=lambda event: event[0].data == "zygote")
        for key, _ in events:
            if key.data == "wakeup":
                with contextlib.suppress(BlockingIOError):
                    self._wake[0].recv(4096)
            elif key.data == "parent":
                self.read_parent()
            elif key.data == "zygote":
                self.read_zygote()
            else:
                child: Child = key.data
                for message in child.channel.receive():
                    self.handle_message(child, message)
        self.handle_signals()
        if self.state in STARTING:
            self.tell_lasting_phases()
        self.reap_children()
        if self.reaps_orphans:
            reap_orphans({*self.children, *([self.zygote.process.pid] if self.zygote else [])})
        if self.state is State.READY:
            self.respawner.spawn_due()
            self.respawner.check_heartbeats()
            self.reloader.kill_overdue()
        if self.state in STOPPING:
            self.advance_stop()

    def read_parent(self) -> None:
        assert self.parent is not None
        for message in self.parent.receive():
            self.handle_parent(message)
        if self.parent.closed:
            self.selector.unregister(self.parent.sock)
            if self.options.exit_with_parent:
                masterlog.info("parent process is gone, stopping")
                self.begin_stop()
            self.parent = None
