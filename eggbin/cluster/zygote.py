"""A pre-imported template process ("zygote"): agents and workers forked in milliseconds, not spawned.

Most of a fresh worker's start-up is the interpreter plus uvicorn, starlette and `eggbin.web`
(≈ 90 ms of ≈ 120 ms here). The zygote pays that once. It imports the framework (never the app),
starts no thread and no event loop, and forks a child per request; the child then loads the app fresh.

The master forks the zygote first thing (`python -m eggbin.cluster`, before the master's own imports),
so the zygote's imports and the master's run side by side and no second interpreter starts. This
module is imported at that point: only cheap standard modules at its top, eggbin's own where used.

    master ──packet {module, blob, more?} + fds [channel, listening socket?]──> zygote
                          (`more`: the next request belongs to the same batch; a batch ends without it)
                                    fork ─> A ── fork ─> B1 … Bn (the batch's agent/workers); A exits
    master <────────────── packet {pid: Bi} per request ── zygote, once A is reaped, in order
    master <────────────── packet {ready: "workers"} ── zygote, once the workers' modules are in
    master ──packet {preload: "optional"}──> zygote, at egg-ready when it stays (what only some children use)

The zygote's own side is `eggbin.cluster.zygote_process` (its loop, the double fork) and
`eggbin.cluster.zygote_preload` (its imports);
this module is the master's: forking the zygote and asking it for children. At the start the master
asks for the agent's batch and the workers' at once (`ask_ahead`): the zygote forks the agent once it
holds the agent's modules, holds the workers' batch while it imports theirs, then forks it at once.

The master is a child subreaper (`PR_SET_CHILD_SUBREAPER`), so each B is re-parented to it when A exits:
the master waits for, signals and reaps B like any child it spawned, and B dies with the master. One
middle process A per batch: n children cost n + 1 forks, not 2n. Without `keep_zygote` (`eggscripts
start`), a first workers' batch that holds every worker is the zygote's last (`last` on its final request):
the zygote forks them itself, no A before the first of them runs, tells their pids and exits, which makes
them the master's (it reads their pids, then waits for that exit); later children are spawned. A worker's
channel holds what the master already knows of the start (`agent-started`...) before its request is sent:
nothing waits on a pid.
Used by `eggbin dev` / `debug` and `eggscripts start` (`ClusterOptions.zygote`); anything going wrong
falls back to a spawn.
"""

from __future__ import annotations

import contextlib
import ctypes
import json
import os
import select
import signal
import socket
import sys
import time

TYPE_CHECKING = False  # not `typing.TYPE_CHECKING`: the master imports this module before it forks
if TYPE_CHECKING:
    from typing import Any

    from eggbin.cluster.channel import Channel
    from eggbin.cluster.process import ChildProcess

    # module, blob_for, pass_fds, stdin, greeting (encoded messages in the channel before the child starts)
    SpawnRequest = tuple[str, Any, tuple[int, ...], int | None, bytes]
    ForkRequest = tuple[str, Any, tuple[int, ...], bytes]  # module, blob_for, pass_fds, greeting

PR_SET_CHILD_SUBREAPER = 36
REPLY_TIMEOUT = 15.0  # the first request waits for the zygote's imports
RETIRE_TIMEOUT = 2  # seconds the zygote may take to exit once it told the pids of its last batch
PIPELINED = 8  # fork requests in flight at once: far below what the control socket's buffers hold


class ForkedChild:
    """A child the zygote forked and the kernel re-parented to the master (its subreaper): reaped by pid."""

    def __init__(self, pid: int) -> None:
        self.pid = pid
        self.returncode: int | None = None

    def poll(self) -> int | None:
        """Like `Popen.poll`: the exit code once exited (negative: killed by that signal), else None."""
        if self.returncode is None:
            try:
                pid, status = os.waitpid(self.pid, os.WNOHANG)
            except ChildProcessError:  # already reaped elsewhere: gone, its code unknown
                self.returncode = 0
            else:
                if pid == self.pid:
                    self.returncode = os.waitstatus_to_exitcode(status)
        return self.returncode


class Zygote:
    """The master's handle: ask the zygote for children, fall back to spawning on trouble."""

    def __init__(self, pid: int, control: socket.socket) -> None:
        self.process = ForkedChild(pid)
        self.control = control
        self.workers_ready = False  # the zygote said it holds the workers' modules (a fork is prompt)
        self.failed = False
        self.last_batch: list[socket.socket] | None = None  # the master's ends of its last batch's channels
        control.settimeout(REPLY_TIMEOUT)

    @property
    def retired(self) -> bool:
        """Asked its last batch: it exits once it told their pids (later children are spawned)."""
        return self.last_batch is not None

    def spawn(
        self,
        module: str,
        blob_for: Any,
        *,
        pass_fds: tuple[int, ...] = (),
        stdin: int | None = -3,
        greeting: bytes = b"",
    ) -> tuple[ChildProcess, Channel]:
        """`process.spawn_module`'s contract: a fork of the zygote, or a plain spawn if it is gone.

        A fork inherits the master's stdin whatever `stdin` says (the child keeps or drops it itself,
        eggbin/cluster/breakpoints.py); a spawn gets `stdin` (-3: `subprocess.DEVNULL`).
        """
        from eggbin.cluster import masterlog
        from eggbin.cluster.process import spawn_module

        if not self.retired and self.process.poll() is None:
            try:
                return self.fork_many([(module, blob_for, pass_fds, greeting)])[0]
            except (OSError, ValueError) as exc:
                masterlog.error(f"zygote unavailable ({exc}); spawning children instead")
                self.kill()
        return spawn_module(module, blob_for, pass_fds=pass_fds, stdin=stdin, greeting=greeting)

    def spawn_many(self, requests: list[SpawnRequest]) -> list[tuple[ChildProcess, Channel]]:
        """`spawn` for several children: batches of up to `PIPELINED`, each forked from one middle process."""
        started: list[tuple[ChildProcess, Channel]] = []
        for first in range(0, len(requests), PIPELINED):
            batch = requests[first : first + PIPELINED]
            started += self.collect_or_spawn(self.ask_ahead(batch), batch)
        return started

    def ask_ahead(self, requests: list[SpawnRequest], last: bool = False) -> list[socket.socket] | None:
        """Send one batch (up to `PIPELINED`) that the zygote forks as soon as it can, its children got
        later (`collect_or_spawn`): the master's ends of their channels; None when the zygote cannot be
        asked (then it is killed, and `collect_or_spawn` spawns them)."""
        if not self.failed and not self.retired and self.process.poll() is None:
            try:
                return self.ask(
                    [(module, blob, fds, greeting) for module, blob, fds, _, greeting in requests], last
                )
            except (OSError, ValueError) as exc:
                self.unavailable(exc)
        return None

    def collect_or_spawn(
        self, ends: list[socket.socket] | None, requests: list[SpawnRequest], *, spawn: bool = True
    ) -> list[tuple[ChildProcess, Channel]]:
        """The children of a batch `ask_ahead` sent, or, when the zygote could not serve it, `requests`
        spawned instead (with their greetings as they are now: what their channels held is lost), or
        none without `spawn` (the cluster is stopping)."""
        if ends is not None and not self.failed:
            try:
                return self.collect(ends)
            except (OSError, ValueError) as exc:
                self.unavailable(exc)
        for end in ends or []:  # the zygote failed before it forked them: a spawn is told afresh
            end.close()
        if not spawn:
            return []
        from eggbin.cluster.process import spawn_module

        return [
            spawn_module(module, blob, pass_fds=fds, stdin=stdin, greeting=greeting)
            for module, blob, fds, stdin, greeting in requests
        ]

    def unavailable(self, exc: Exception) -> None:
        from eggbin.cluster import masterlog

        masterlog.error(f"zygote unavailable ({exc}); spawning children instead of forking them")
        self.failed = True  # not asked again, even before its exit is seen
        self.kill()

    def fork_many(self, requests: list[ForkRequest]) -> list[tuple[ChildProcess, Channel]]:
        """Ask the zygote for children forked as one batch and wait for them; raises OSError when it
        cannot serve them all."""
        return self.collect(self.ask(requests))

    def ask(self, requests: list[ForkRequest], last: bool = False) -> list[socket.socket]:
        """Send one batch of fork requests; the master's ends of the children's channels, for `collect`.
        `last`: the zygote forks them itself and exits (the master keeps no zygote after the start)."""
        ends: list[socket.socket] = []
        try:
            for number, (module, blob_for, pass_fds, greeting) in enumerate(requests, 1):
                parent_end, child_end = socket.socketpair(socket.AF_UNIX, socket.SOCK_STREAM)
                ends.append(parent_end)
                parent_end.sendall(greeting)  # read by the child as soon as it runs
                with child_end:
                    request = {"module": module, "blob": blob_for(child_end.fileno())}
                    if number < len(requests):
                        request["more"] = True
                    elif last:
                        request["last"] = True
                    packet = json.dumps(request).encode()
                    socket.send_fds(self.control, [packet], [child_end.fileno(), *pass_fds])
        except BaseException:
            for end in ends:
                end.close()
            raise
        if last:
            self.last_batch = ends
        return ends

    def collect(self, ends: list[socket.socket]) -> list[tuple[ChildProcess, Channel]]:
        """The children of the batch `ask` sent (the zygote answers batches in order, a pid per request);
        raises OSError when the zygote is gone first."""
        from eggbin.cluster.channel import Channel

        pids: list[int] = []
        try:
            while len(pids) < len(ends):
                reply = self.read()
                if reply is None:
                    raise OSError("the zygote exited")
                if "pid" in reply:
                    pids.append(int(reply["pid"]))
        except BaseException:
            for end in ends:
                end.close()
            raise
        if ends is self.last_batch:
            self.wait_retired()
        return [(ForkedChild(pid), Channel(end)) for pid, end in zip(pids, ends, strict=True)]

    def wait_retired(self) -> None:
        """Its last batch's children are the master's only once the zygote, their pids told, has exited
        (polled before, one would look gone): wait for it, SIGKILLed after `RETIRE_TIMEOUT`."""
        if self.process.poll() is not None:
            return  # reaped already (its pid may be another process's by now)
        with contextlib.suppress(OSError):
            pidfd = os.pidfd_open(self.process.pid)
            try:
                exited = select.poll()
                exited.register(pidfd, select.POLLIN)
                exited.poll(RETIRE_TIMEOUT * 1000)
            finally:
                os.close(pidfd)
        if self.process.poll() is None:
            self.kill()
        while self.process.poll() is None:
            time.sleep(0.001)

    def notice_read(self) -> bool:
        """Whether the zygote's next packet was its `ready` notice (read now), not a pid left unread."""
        try:
            packet = self.control.recv(4096, socket.MSG_PEEK | socket.MSG_DONTWAIT)
            if packet and json.loads(packet).get("ready"):
                self.read()
                return True
        except (OSError, ValueError):  # gone or garbled: the pids' reader finds out and spawns instead
            pass
        return False

    def read(self) -> dict[str, Any] | None:
        """The zygote's next packet (a fork's pid, or its `ready` notice); None once it is gone."""
        packet = self.control.recv(4096)
        if not packet:
            return None
        message: dict[str, Any] = json.loads(packet)
        if message.get("ready") == "workers":
            self.workers_ready = True
        return message

    def preload_optional(self) -> None:
        """The first children are up: the zygote may import what only some of the later ones need."""
        with contextlib.suppress(OSError):  # gone: later children are spawned anyway
            self.control.send(json.dumps({"preload": "optional"}).encode())

    def kill(self) -> None:
        if self.process.poll() is None:
            os.kill(self.process.pid, signal.SIGKILL)

    def stop(self) -> None:
        """Closing the control socket ends the zygote; its forked children are not affected."""
        self.control.close()
        deadline = time.monotonic() + 1
        while self.process.poll() is None and time.monotonic() < deadline:
            time.sleep(0.005)
        self.kill()
        while self.process.poll() is None:
            time.sleep(0.001)


def fork_zygote(title: str, inherited_fds: tuple[int, ...]) -> Zygote | None:
    """Fork the zygote from this (the master) process; None where fork is unsuitable.

    `inherited_fds` (the master's channel to its parent) are closed in the zygote, so that the
    parent sees the master's end as soon as the master is gone.
    """
    if not sys.platform.startswith("linux") or not _become_subreaper():
        return None
    ours, theirs = socket.socketpair(socket.AF_UNIX, socket.SOCK_SEQPACKET)
    master_pid = os.getpid()
    pid = os.fork()
    if pid == 0:
        ours.close()
        for fd in inherited_fds:
            os.close(fd)
        from eggbin.cluster.zygote_process import run_zygote

        run_zygote(theirs, master_pid, title)
    theirs.close()
    return Zygote(pid, ours)


def _become_subreaper() -> bool:
    libc = ctypes.CDLL(None, use_errno=True)
    return int(libc.prctl(PR_SET_CHILD_SUBREAPER, 1, 0, 0, 0)) == 0
