"""A pre-imported template process ("zygote"): agents and workers forked in milliseconds, not spawned.

Most of a fresh worker's start-up is the interpreter plus uvicorn, starlette and `eggbin.web`
(≈ 90 ms of ≈ 120 ms here). The zygote pays that once. It imports the framework (never the app),
starts no thread and no event loop, and forks a child per request; the child then loads the app fresh.

    master ──packet {module, blob} + fds [channel, listening socket?]──> zygote
                                    fork ─> A ── fork ─> B (the agent/worker); A exits at once
    master <────────────── packet {pid: B} ─────────── zygote, once A is reaped

The master is a child subreaper (`PR_SET_CHILD_SUBREAPER`), so B is re-parented to it when A exits:
the master waits for, signals and reaps B like any child it spawned, and B dies with the master.
Used by `eggbin dev` / `debug` (`ClusterOptions.zygote`); anything going wrong falls back to a spawn.

    python -m eggbin.cluster.zygote '{"title": ..., "master_pid": N, "control_fd": N}'
"""

from __future__ import annotations

import contextlib
import ctypes
import importlib
import json
import os
import signal
import socket
import subprocess
import sys
import time
from dataclasses import replace
from typing import Any

from eggbin.cluster import masterlog
from eggbin.cluster.channel import Channel
from eggbin.cluster.options import ChildOptions, ClusterOptions
from eggbin.cluster.process import ChildProcess, spawn_module

PR_SET_CHILD_SUBREAPER = 36
REPLY_TIMEOUT = 15.0  # the first request waits for the zygote's imports
PRELOAD = ("eggbin.cluster.worker", "eggbin.cluster.agent", "eggbin.web.application", "starlette.responses")


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
    """The master's handle: start the zygote, ask it for children, fall back to spawning on trouble."""

    def __init__(self, popen: subprocess.Popen[bytes], control: socket.socket) -> None:
        self.popen = popen
        self.control = control

    @classmethod
    def start(cls, options: ClusterOptions) -> Zygote | None:
        """Spawn the zygote (imports run while the master carries on); None where fork is unsuitable."""
        if not sys.platform.startswith("linux") or not _become_subreaper():
            return None
        ours, theirs = socket.socketpair(socket.AF_UNIX, socket.SOCK_SEQPACKET)
        blob = json.dumps({"title": options.title, "master_pid": os.getpid(), "control_fd": theirs.fileno()})
        flags = ["-Xfrozen_modules=off"] if options.debug_port else []  # debugpy needs real module files
        with contextlib.closing(theirs):
            popen = subprocess.Popen(
                [sys.executable, *flags, "-m", __name__, blob],
                pass_fds=(theirs.fileno(),),
                stdin=subprocess.DEVNULL,
            )
        ours.settimeout(REPLY_TIMEOUT)
        return cls(popen, ours)

    def spawn(
        self, module: str, blob_for: Any, *, pass_fds: tuple[int, ...] = ()
    ) -> tuple[ChildProcess, Channel]:
        """`process.spawn_module`'s contract: a fork of the zygote, or a plain spawn if it is gone."""
        if self.popen.poll() is None:
            try:
                return self.fork(module, blob_for, pass_fds)
            except (OSError, ValueError) as exc:
                masterlog.error(f"zygote unavailable ({exc}); spawning children instead")
                self.popen.kill()
        return spawn_module(module, blob_for, pass_fds=pass_fds)

    def fork(self, module: str, blob_for: Any, pass_fds: tuple[int, ...]) -> tuple[ChildProcess, Channel]:
        """Ask the zygote for a child; raises OSError when it cannot serve."""
        parent_end, child_end = socket.socketpair(socket.AF_UNIX, socket.SOCK_STREAM)
        with contextlib.closing(child_end):
            request = json.dumps({"module": module, "blob": blob_for(child_end.fileno())}).encode()
            socket.send_fds(self.control, [request], [child_end.fileno(), *pass_fds])
            reply = self.control.recv(4096)
        if not reply:
            parent_end.close()
            raise OSError("the zygote exited")
        pid = int(json.loads(reply)["pid"])
        return ForkedChild(pid), Channel(parent_end)

    def stop(self) -> None:
        """Closing the control socket ends the zygote; its forked children are not affected."""
        self.control.close()
        with contextlib.suppress(subprocess.TimeoutExpired):
            self.popen.wait(1)
        if self.popen.poll() is None:
            self.popen.kill()
            self.popen.wait()


def _become_subreaper() -> bool:
    libc = ctypes.CDLL(None, use_errno=True)
    return int(libc.prctl(PR_SET_CHILD_SUBREAPER, 1, 0, 0, 0)) == 0


# -- the zygote process ---------------------------------------------------------------------------
def preload() -> None:
    """Import what every child needs, and what uvicorn would import lazily at its first start."""
    for name in PRELOAD:
        importlib.import_module(name)
    import uvicorn

    uvicorn.Config(app=_asgi_placeholder, lifespan="off", log_level="warning").load()


async def _asgi_placeholder(scope: Any, receive: Any, send: Any) -> None:
    """Never called: lets uvicorn import its protocol classes in the zygote."""


def serve(control: socket.socket, master_pid: int) -> None:
    """Fork one child per request until the master closes the control socket."""
    while True:
        try:
            data, fds, _, _ = socket.recv_fds(control, 1 << 20, 8)
        except OSError:
            return
        if not data:
            return
        request = json.loads(data)
        try:
            pid = fork_child(control, master_pid, request["module"], request["blob"], fds)
        finally:
            for fd in fds:
                os.close(fd)
        control.send(json.dumps({"pid": pid}).encode())


def fork_child(control: socket.socket, master_pid: int, module: str, blob: str, fds: list[int]) -> int:
    """Double-fork so the grandchild (the agent or worker) ends up the master's child; its pid."""
    read_end, write_end = os.pipe()
    middle = os.fork()
    if middle == 0:
        os.close(read_end)
        child = os.fork()
        if child == 0:
            os.close(write_end)
            control.close()
            run_child(master_pid, module, _rewrite_fds(blob, fds))
        os.write(write_end, str(child).encode())
        os._exit(0)
    os.close(write_end)
    os.waitpid(middle, 0)  # once it is reaped, the grandchild belongs to the master
    with os.fdopen(read_end, "rb") as pipe:
        return int(pipe.read())


def _rewrite_fds(blob: str, fds: list[int]) -> str:
    """The fd numbers the master wrote are its own; here they arrived as `fds`."""
    options = ChildOptions.loads(blob)
    listen_fd = fds[1] if len(fds) > 1 else -1
    return replace(options, channel_fd=fds[0], listen_fd=listen_fd).dumps()


def run_child(master_pid: int, module: str, blob: str) -> None:
    """Become the child: wait to be re-parented, then run the role's `main()`; never returns."""
    deadline = time.monotonic() + 2
    while os.getppid() != master_pid and time.monotonic() < deadline:
        time.sleep(0.001)
    code = 0
    try:
        sys.argv = [module, blob]
        importlib.import_module(module).main()
    except SystemExit as exc:
        code = exc.code if isinstance(exc.code, int) else (0 if exc.code is None else 1)
    except BaseException:
        import traceback

        traceback.print_exc()
        code = 1
    finally:
        import logging

        logging.shutdown()
        sys.stdout.flush()
        sys.stderr.flush()
    os._exit(code)


def main() -> None:
    from eggbin.cluster.process import die_with_parent, set_title

    args = json.loads(sys.argv[1])
    die_with_parent(args["master_pid"])
    signal.signal(signal.SIGINT, signal.SIG_IGN)  # only the master decides when anything stops
    set_title(args["title"], "zygote")
    control = socket.socket(fileno=args["control_fd"])
    preload()
    serve(control, args["master_pid"])


if __name__ == "__main__":
    main()
