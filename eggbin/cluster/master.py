"""The master: binds the socket, starts the agent then the workers, routes messages, never imports app code.

    python -m eggbin.cluster.master '{"cluster": <ClusterOptions>, "channel_fd": N}'

One thread, one selector loop, an explicit state machine; signal handlers only record the signal:

    STARTING_AGENT --agent-start--> STARTING_WORKERS --all app-start--> READY
          |                               |                               |
          +------ child died / signal ----+------------- signal ----------+--> STOPPING --> exit
"""

from __future__ import annotations

import contextlib
import enum
import json
import os
import selectors
import signal
import socket
import sys
import time
from functools import partial

from eggbin.cluster.channel import Channel, Message, envelope
from eggbin.cluster.options import ChildOptions, ClusterOptions
from eggbin.cluster.process import Child, set_title, spawn_module

STOP_SIGNALS = (signal.SIGINT, signal.SIGTERM, signal.SIGQUIT)


class State(enum.Enum):
    STARTING_AGENT = "starting agent"
    STARTING_WORKERS = "starting workers"
    READY = "ready"
    STOPPING_WORKERS = "stopping workers"
    STOPPING_AGENT = "stopping agent"
    DONE = "done"


def log(message: str) -> None:
    print(f"[master] {message}", file=sys.stderr, flush=True)


def bind(host: str, port: int) -> socket.socket:
    family = socket.AF_INET6 if ":" in host else socket.AF_INET
    sock = socket.socket(family, socket.SOCK_STREAM)
    sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    sock.bind((host, port))
    sock.listen(2048)
    sock.set_inheritable(True)
    return sock


class Master:
    def __init__(self, options: ClusterOptions, parent: Channel | None) -> None:
        self.options = options
        self.parent = parent
        self.state = State.STARTING_AGENT
        self.started_at = time.monotonic()
        self.selector = selectors.DefaultSelector()
        self.children: dict[int, Child] = {}
        self.signals: list[int] = []
        self.deadline: float | None = None
        self.exit_code = 0
        self.listener: socket.socket | None = None
        self.next_worker_id = 1

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
        popen, channel = spawn_module(f"eggbin.cluster.{role}", blob, pass_fds=fds)
        child = Child(role, child_id, popen, channel)
        self.children[child.pid] = child
        self.selector.register(channel.sock, selectors.EVENT_READ, child)
        return child

    def spawn_worker(self) -> Child:
        child = self.spawn("worker", self.next_worker_id)
        self.next_worker_id += 1
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
        if self.state in (State.STARTING_AGENT, State.STARTING_WORKERS):
            cause = child.boot_error or f"exited with code {code} before it was ready"
            self.fail(f"{child.label} failed to start: {cause}")
        elif self.state is State.READY:
            log(f"{child.label} died (code {code}); respawning")
            if child.role == "agent":
                self.spawn("agent", 0)
            else:
                self.spawn("worker", child.id)

    # -- messages ---------------------------------------------------------------------------------
    def handle_message(self, child: Child, message: Message) -> None:
        action = message.get("action")
        if action == "boot-error":
            child.boot_error = str((message.get("data") or {}).get("message"))
        elif action == "agent-start" and self.state is State.STARTING_AGENT:
            child.ready = True
            self.state = State.STARTING_WORKERS
            for _ in range(self.options.workers):
                self.spawn_worker()
        elif action == "app-start":
            child.ready = True
            if self.state is State.STARTING_WORKERS and all(w.ready for w in self.workers):
                self.become_ready()
            elif self.state is State.READY:
                child.channel.send(envelope("egg-ready", self.ready_info(), sender="master"))

    def ready_info(self) -> dict[str, object]:
        assert self.listener is not None
        host, port = self.listener.getsockname()[:2]
        agent = self.agent
        return {
            "port": port,
            "address": f"http://{host}:{port}",
            "protocol": "http",
            "pids": {
                "master": os.getpid(),
                "agent": agent.pid if agent else None,
                "workers": [w.pid for w in self.workers],
            },
        }

    def become_ready(self) -> None:
        self.state = State.READY
        info = self.ready_info()
        elapsed = (time.monotonic() - self.started_at) * 1000
        log(f"egg started on {info['address']} ({elapsed:.0f} ms)")
        message = envelope("egg-ready", info, sender="master")
        for target in [*self.children.values(), self.parent]:
            if target is not None:
                (target.channel if isinstance(target, Child) else target).send(message)

    # -- stopping ---------------------------------------------------------------------------------
    def fail(self, cause: str) -> None:
        log(cause)
        if self.parent:
            self.parent.send(envelope("egg-start-failed", {"message": cause}, sender="master"))
        self.exit_code = 1
        self.begin_stop()

    def begin_stop(self) -> None:
        if self.state in (State.STOPPING_WORKERS, State.STOPPING_AGENT, State.DONE):
            return
        self.state = State.STOPPING_WORKERS
        self.deadline = time.monotonic() + self.options.app_close_timeout + 1
        for worker in self.workers:
            worker.signal(signal.SIGTERM)

    def advance_stop(self) -> None:
        now = time.monotonic()
        if self.state is State.STOPPING_WORKERS:
            if self.workers and self.deadline is not None and now >= self.deadline:
                for worker in self.workers:
                    log(f"{worker.label} did not stop in time; killing it")
                    worker.signal(signal.SIGKILL)
            if not self.workers:
                self.state = State.STOPPING_AGENT
                self.deadline = now + self.options.agent_close_timeout
                if self.agent:
                    self.agent.signal(signal.SIGTERM)
        if self.state is State.STOPPING_AGENT:
            agent = self.agent
            if agent and self.deadline is not None and now >= self.deadline:
                log("agent did not stop in time; killing it")
                agent.signal(signal.SIGKILL)
            if not self.children:
                self.state = State.DONE

    # -- the loop ---------------------------------------------------------------------------------
    def handle_signals(self) -> None:
        while self.signals:
            signum = self.signals.pop(0)
            if signum in STOP_SIGNALS:
                if self.state not in (State.STOPPING_WORKERS, State.STOPPING_AGENT):
                    log(f"received {signal.Signals(signum).name}, stopping")
                self.begin_stop()

    def run(self) -> int:
        self.install_signals()
        try:
            self.listener = bind(self.options.host, self.options.port)
        except OSError as exc:
            self.fail(f"cannot listen on {self.options.host}:{self.options.port}: {exc.strerror}")
            return 1
        if self.parent:
            self.selector.register(self.parent.sock, selectors.EVENT_READ, "parent")
        self.spawn("agent", 0)
        while self.state is not State.DONE:
            self.tick()
        self.listener.close()
        return self.exit_code

    def tick(self) -> None:
        for key, _ in self.selector.select(timeout=0.1):
            if key.data == "wakeup":
                with contextlib.suppress(BlockingIOError):
                    self._wake[0].recv(4096)
            elif key.data == "parent":
                assert self.parent is not None
                self.parent.receive()
                if self.parent.closed:
                    self.selector.unregister(self.parent.sock)
                    if self.options.exit_with_parent:
                        log("parent process is gone, stopping")
                        self.begin_stop()
            else:
                child: Child = key.data
                for message in child.channel.receive():
                    self.handle_message(child, message)
        self.handle_signals()
        self.reap_children()
        if self.state in (State.STOPPING_WORKERS, State.STOPPING_AGENT):
            self.advance_stop()


def main() -> None:
    args = json.loads(sys.argv[1])
    options = ClusterOptions(**args["cluster"])
    set_title(options.title, "master")
    parent = Channel(socket.socket(fileno=args["channel_fd"])) if args.get("channel_fd", -1) >= 0 else None
    sys.exit(Master(options, parent).run())


def master_blob(options: ClusterOptions, channel_fd: int) -> str:
    return json.dumps({"cluster": json.loads(options.dumps()), "channel_fd": channel_fd})


spawn_master = partial(spawn_module, "eggbin.cluster.master")

if __name__ == "__main__":
    main()
