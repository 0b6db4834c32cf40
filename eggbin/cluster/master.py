"""The master: binds the socket, starts the agent then the workers, routes messages, never imports app code.

    python -m eggbin.cluster.master '{"cluster": <ClusterOptions>, "channel_fd": N}'

One thread, one selector loop, an explicit state machine; signal handlers only record the signal:

    STARTING_AGENT --agent-start--> STARTING_WORKERS --all app-start--> READY (respawn, reload, heartbeats)
    (workers are spawned beside the agent but boot the app only after `agent-started`)
          |                               |                               |
          +------ child died / signal ----+------------- signal ----------+--> STOPPING_WORKERS
                                                                              --> STOPPING_AGENT --> DONE
"""

from __future__ import annotations

import contextlib
import enum
import heapq
import json
import os
import selectors
import signal
import socket
import sys
import time
from typing import Any

from eggbin.cluster.channel import Channel, Message, envelope
from eggbin.cluster.messenger import Router
from eggbin.cluster.options import ChildOptions, ClusterOptions
from eggbin.cluster.process import Child, set_title, spawn_module
from eggbin.cluster.reload import RollingReload
from eggbin.cluster.respawn import AGENT_DELAY, PendingSpawn, RestartPolicy
from eggbin.cluster.state import StateLock
from eggbin.cluster.zygote import Zygote
from eggbin.errors import EggbinError

AGENT_STARTED = "agent-started"
STOP_SIGNALS = (signal.SIGINT, signal.SIGTERM, signal.SIGQUIT)


class State(enum.Enum):
    STARTING_AGENT = "starting agent"
    STARTING_WORKERS = "starting workers"
    READY = "ready"
    STOPPING_WORKERS = "stopping workers"
    STOPPING_AGENT = "stopping agent"
    DONE = "done"


STARTING = (State.STARTING_AGENT, State.STARTING_WORKERS)
STOPPING = (State.STOPPING_WORKERS, State.STOPPING_AGENT, State.DONE)


def log(message: str) -> None:
    print(f"[master] {message}", file=sys.stderr, flush=True)


def bind(options: ClusterOptions) -> socket.socket:
    """The listening socket every worker shares: TCP host/port, or a unix socket path."""
    if options.path:
        with contextlib.suppress(FileNotFoundError):
            os.unlink(options.path)  # a socket file left by a killed master
        sock = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
        sock.bind(options.path)
    else:
        family = socket.AF_INET6 if ":" in options.host else socket.AF_INET
        sock = socket.socket(family, socket.SOCK_STREAM)
        sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        sock.bind((options.host, options.port))
    sock.listen(2048)
    sock.set_inheritable(True)
    return sock


class Master:
    def __init__(self, options: ClusterOptions, parent: Channel | None) -> None:
        self.options = options
        self.parent = parent
        self.state = State.STARTING_AGENT
        self.started_at = time.monotonic()
        self.started_wall = time.time()
        self.selector = selectors.DefaultSelector()
        self.children: dict[int, Child] = {}
        self.signals: list[int] = []
        self.deadline: float | None = None
        self.final_deadline: float | None = None
        self.exit_code = 0
        self.listener: socket.socket | None = None
        self.router = Router(lambda: list(self.children.values()), self.send_parent)
        self.policy = RestartPolicy()
        self.pending: list[PendingSpawn] = []
        self.restarts: dict[int, int] = {}
        self.reload: RollingReload | None = None
        self.lock = StateLock(options.base_dir)
        self.zygote: Zygote | None = None

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

    # -- children ---------------------------------------------------------------------------------
    def spawn(self, role: str, child_id: int) -> Child:
        listen_fd = self.listener.fileno() if self.listener and role == "worker" else -1

        def blob(channel_fd: int) -> str:
            return ChildOptions(self.options, role, child_id, channel_fd, listen_fd, os.getpid()).dumps()

        fds = (listen_fd,) if listen_fd >= 0 else ()
        spawner = self.zygote.spawn if self.zygote else spawn_module
        popen, channel = spawner(f"eggbin.cluster.{role}", blob, pass_fds=fds)
        child = Child(role, child_id, popen, channel, restarts=self.restarts.get(child_id, 0))
        if role == "worker" and self.state is not State.STARTING_AGENT:
            child.send(envelope(AGENT_STARTED, sender="master"))
        self.children[child.pid] = child
        self.selector.register(channel.sock, selectors.EVENT_READ, child)
        self.write_state()
        return child

    @property
    def workers(self) -> list[Child]:
        return [c for c in self.children.values() if c.role == "worker"]

    @property
    def agent(self) -> Child | None:
        return next((c for c in self.children.values() if c.role == "agent"), None)

    def reap_children(self) -> None:
        for child in list(self.children.values()):
            code = child.popen.poll()
            if code is not None:
                self._drain(child)
                del self.children[child.pid]
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
            cause = child.boot_error or f"exited with code {code} before it was ready"
            self.fail(f"{child.label} failed to start: {cause}")
        elif self.state is not State.READY:
            return
        elif child.retiring:
            self.after_retire(child)
        elif self.reload and child is self.reload.replacement:
            self.abort_reload(child, code)
        elif child.role == "agent":
            self.agent_died(code)
        else:
            self.worker_died(child, code)

    def worker_died(self, child: Child, code: int) -> None:
        delay = self.policy.worker_delay(child.id, time.monotonic())
        cause = f": {child.boot_error}" if child.boot_error else ""
        if delay is None:
            cap = self.policy.cap
            log(f"{child.label} died (code {code}){cause}; over {cap} restarts a minute, not respawning")
            if not self.workers and not any(p.role == "worker" for p in self.pending):
                self.fail("no worker left to serve requests")
            return
        log(f"{child.label} died (code {code}){cause}; respawning in {delay:g} s")
        self.restarts[child.id] = self.restarts.get(child.id, 0) + 1
        heapq.heappush(self.pending, PendingSpawn(time.monotonic() + delay, "worker", child.id))
        self.tell_agent_workers()

    def agent_died(self, code: int) -> None:
        log(f"agent died (code {code}); respawning in {AGENT_DELAY:g} s")
        heapq.heappush(self.pending, PendingSpawn(time.monotonic() + AGENT_DELAY, "agent", 0))

    def spawn_due(self) -> None:
        now = time.monotonic()
        while self.pending and self.pending[0].due <= now:
            due = heapq.heappop(self.pending)
            self.spawn(due.role, due.slot)

    def check_heartbeats(self) -> None:
        """Kill a ready worker that went quiet for `worker_timeout` (its loop is stuck)."""
        timeout = self.options.worker_timeout
        if timeout <= 0:
            return
        now = time.monotonic()
        for worker in self.workers:
            if worker.ready and not worker.retiring and now - worker.last_seen > timeout:
                log(f"{worker.label} sent no heartbeat for {timeout:g} s; killing it")
                worker.last_seen = now  # one kill per silence
                worker.signal(signal.SIGKILL)

    # -- messages ---------------------------------------------------------------------------------
    def handle_message(self, child: Child, message: Message) -> None:
        child.last_seen = time.monotonic()
        if self.router.is_routed(message):
            self.router.dispatch(message)
            return
        action = message.get("action")
        if action == "boot-error":
            child.boot_error = str((message.get("data") or {}).get("message"))
        elif action == "agent-start":
            self.agent_started(child)
        elif action == "app-start":
            self.worker_started(child)

    def agent_started(self, child: Child) -> None:
        child.ready = True
        if self.state is State.STARTING_AGENT:
            self.state = State.STARTING_WORKERS
            for worker in self.workers:
                worker.send(envelope(AGENT_STARTED, sender="master"))
        elif self.state is State.READY:
            child.send(self.ready_message())
            self.tell_agent_workers()
            if self.reload and self.reload.waiting_agent:
                self.reload.waiting_agent = False
                self.advance_reload()

    def worker_started(self, child: Child) -> None:
        child.ready = True
        if self.state is State.STARTING_WORKERS and all(w.ready for w in self.workers):
            self.become_ready()
        elif self.state is State.READY:
            child.send(self.ready_message())
            self.tell_agent_workers()
            if self.reload and child is self.reload.replacement:
                self.retire_next()
        self.write_state()

    def handle_parent(self, message: Message) -> None:
        if message.get("action") == "reload-workers":
            self.start_reload(bool((message.get("data") or {}).get("agent")))
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

    def ready_info(self) -> dict[str, Any]:
        assert self.listener is not None
        agent = self.agent
        pids = {"master": os.getpid(), "agent": agent.pid if agent else None, "workers": self.worker_pids()}
        if self.options.path:
            return {"port": 0, "address": f"unix:{self.options.path}", "protocol": "http", "pids": pids}
        host, port = self.listener.getsockname()[:2]
        return {"port": port, "address": f"http://{host}:{port}", "protocol": "http", "pids": pids}

    def worker_pids(self) -> list[int]:
        return [w.pid for w in self.workers if not w.retiring]

    def ready_message(self) -> Message:
        return envelope("egg-ready", self.ready_info(), sender="master")

    def become_ready(self) -> None:
        self.state = State.READY
        info = self.ready_info()
        elapsed = (time.monotonic() - self.started_at) * 1000
        log(f"egg started on {info['address']} ({elapsed:.0f} ms)")
        self.tell_agent_workers()  # before egg-ready: "immediate" schedules need the workers
        message = self.ready_message()
        for child in self.children.values():
            child.send(message)
        self.send_parent(message)
        self.router.become_ready()

    # -- rolling replacement ----------------------------------------------------------------------
    def start_reload(self, agent: bool) -> None:
        if self.state is not State.READY:
            self.send_parent(envelope("reload-failed", {"message": f"the cluster is {self.state.value}"}))
            return
        if self.reload:
            self.reload.coalesce(agent)
            return
        log("reloading " + ("agent and workers" if agent else "workers"))
        self.reload = RollingReload(sorted(self.workers, key=lambda w: w.id), agent)
        if agent and self.agent:
            self.reload.waiting_agent = True
            self.retire(self.agent, self.options.agent_close_timeout)
        else:
            self.advance_reload()

    def advance_reload(self) -> None:
        assert self.reload is not None
        old = self.reload.next_old()
        if old is not None:
            self.reload.replacement = self.spawn("worker", old.id)
            return
        elapsed, again, again_agent = self.reload.elapsed_ms, self.reload.again, self.reload.again_agent
        self.reload = None
        log(f"reloaded {len(self.worker_pids())} worker(s) in {elapsed} ms")
        self.send_parent(envelope("reload-done", {"ms": elapsed, "workers": self.worker_pids()}))
        self.write_state()
        if again:
            self.start_reload(again_agent)

    def retire_next(self) -> None:
        assert self.reload is not None
        old = self.reload.next_old()
        self.reload.replacement = None
        if old is not None:
            self.retire(old, self.options.app_close_timeout + 1)
            self.write_state()
            self.reload.old_workers.pop(0)
        self.tell_agent_workers()
        self.advance_reload()

    def retire(self, child: Child, grace: float) -> None:
        """SIGTERM now, SIGKILL if it is still there after `grace` seconds."""
        child.retiring = True
        child.kill_at = time.monotonic() + grace
        child.signal(signal.SIGTERM)

    def kill_overdue(self) -> None:
        now = time.monotonic()
        for child in self.children.values():
            if child.kill_at is not None and now >= child.kill_at and not child.killed:
                log(f"{child.label} did not stop within its close timeout; killing it")
                child.killed = True
                child.signal(signal.SIGKILL)

    def after_retire(self, child: Child) -> None:
        if child.role == "agent" and self.reload and self.reload.waiting_agent:
            self.spawn("agent", 0)

    def abort_reload(self, child: Child, code: int) -> None:
        cause = child.boot_error or f"exited with code {code} before it was ready"
        log(f"reload failed: {child.label} {cause}; the old workers keep serving")
        self.reload = None
        self.send_parent(envelope("reload-failed", {"message": f"{child.label}: {cause}"}))

    # -- state file -------------------------------------------------------------------------------
    def write_state(self) -> None:
        if self.lock.fd < 0 or self.listener is None or self.state is State.DONE:
            return
        info = self.ready_info()
        agent = self.agent
        workers = [
            {
                "id": w.id,
                "pid": w.pid,
                "restarts": self.restarts.get(w.id, 0),
                "ready": w.ready,
                "retiring": w.retiring,
            }
            for w in sorted(self.workers, key=lambda w: w.id)
        ]
        self.lock.write(
            {
                "master_pid": os.getpid(),
                "agent_pid": agent.pid if agent else None,
                "workers": workers,
                "port": info["port"],
                "address": info["address"],
                "env": self.options.env,
                "title": self.options.title,
                "base_dir": self.options.base_dir,
                "started_at": self.started_wall,
                "state": self.state.value,
            }
        )

    # -- stopping ---------------------------------------------------------------------------------
    def fail(self, cause: str) -> None:
        log(cause)
        self.send_parent(envelope("egg-start-failed", {"message": cause}, sender="master"))
        self.exit_code = 1
        self.begin_stop()

    def begin_stop(self) -> None:
        if self.state in STOPPING:
            return
        self.state = State.STOPPING_WORKERS
        self.pending.clear()
        now = time.monotonic()
        self.deadline = now + self.options.app_close_timeout + 1
        self.final_deadline = now + self.options.master_close_timeout
        for worker in self.workers:
            worker.signal(signal.SIGTERM)

    def advance_stop(self) -> None:
        now = time.monotonic()
        if self.final_deadline is not None and now >= self.final_deadline:
            self.kill_leftovers("the master close timeout passed")
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

    def kill_leftovers(self, why: str, roles: tuple[str, ...] = ("worker", "agent")) -> None:
        for child in self.children.values():
            if child.role in roles and not child.killed:
                log(f"{why}; killing {child.label}")
                child.killed = True
                child.signal(signal.SIGKILL)

    # -- the loop ---------------------------------------------------------------------------------
    def handle_signals(self) -> None:
        while self.signals:
            signum = self.signals.pop(0)
            if signum in STOP_SIGNALS:
                if self.state not in STOPPING:
                    log(f"received {signal.Signals(signum).name}, stopping")
                self.begin_stop()
            elif signum == signal.SIGHUP:
                self.start_reload(agent=False)

    def run(self) -> int:
        self.install_signals()
        try:
            self.lock.acquire()
            self.listener = bind(self.options)
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
            self.zygote = Zygote.start(self.options) if self.options.zygote else None
            self.spawn("agent", 0)
            # Workers start their interpreter and imports beside the agent; they boot the app only
            # once the agent has started (`agent-started`), as egg orders it.
            for worker_id in range(1, self.options.workers + 1):
                self.spawn("worker", worker_id)
            while self.state is not State.DONE:
                self.tick()
        finally:
            if self.zygote:
                self.zygote.stop()
            self.lock.release()
            self.listener.close()
            if self.options.path:
                with contextlib.suppress(FileNotFoundError):
                    os.unlink(self.options.path)
        return self.exit_code

    def tick(self) -> None:
        timeout = 0.05 if self.pending or self.state in STOPPING else 0.1
        for key, _ in self.selector.select(timeout=timeout):
            if key.data == "wakeup":
                with contextlib.suppress(BlockingIOError):
                    self._wake[0].recv(4096)
            elif key.data == "parent":
                self.read_parent()
            else:
                child: Child = key.data
                for message in child.channel.receive():
                    self.handle_message(child, message)
        self.handle_signals()
        self.reap_children()
        if self.state is State.READY:
            self.spawn_due()
            self.check_heartbeats()
            self.kill_overdue()
        if self.state in STOPPING:
            self.advance_stop()

    def read_parent(self) -> None:
        assert self.parent is not None
        for message in self.parent.receive():
            self.handle_parent(message)
        if self.parent.closed:
            self.selector.unregister(self.parent.sock)
            if self.options.exit_with_parent:
                log("parent process is gone, stopping")
                self.begin_stop()
            self.parent = None


def main() -> None:
    args = json.loads(sys.argv[1])
    options = ClusterOptions(**args["cluster"])
    set_title(options.title, "master")
    parent = Channel(socket.socket(fileno=args["channel_fd"])) if args.get("channel_fd", -1) >= 0 else None
    try:
        options = options.with_env_overrides()
    except EggbinError as exc:
        log(str(exc))
        if parent:
            parent.send(envelope("egg-start-failed", {"message": str(exc)}, sender="master"))
        sys.exit(1)
    sys.exit(Master(options, parent).run())


def master_blob(options: ClusterOptions, channel_fd: int) -> str:
    return json.dumps({"cluster": json.loads(options.dumps()), "channel_fd": channel_fd})


if __name__ == "__main__":
    main()
