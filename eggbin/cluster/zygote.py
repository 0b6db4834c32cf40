"""A pre-imported template process ("zygote"): agents and workers forked in milliseconds, not spawned.

Most of a fresh worker's start-up is the interpreter plus uvicorn, starlette and `eggbin.web`
(≈ 90 ms of ≈ 120 ms here). The zygote pays that once. It imports the framework (never the app),
starts no thread and no event loop, and forks a child per request; the child then loads the app fresh.

The master forks the zygote first thing (`python -m eggbin.cluster`, before the master's own imports),
so the zygote's imports and the master's run side by side and no second interpreter starts. This
module is imported at that point: only cheap standard modules at its top, eggbin's own where used.

    master <────────────── packet {ready: "workers"} ── zygote, once the workers' modules are in
    master ──packet {module, blob} + fds [channel, listening socket?]──> zygote
                                    fork ─> A ── fork ─> B (the agent/worker); A exits at once
    master <────────────── packet {pid: B} ─────────── zygote, once A is reaped
                           (the workers' requests are sent back to back, the replies read after: in order)
    master ──packet {preload: "optional"}──> zygote, at egg-ready when it stays (what only some children use)

The master is a child subreaper (`PR_SET_CHILD_SUBREAPER`), so B is re-parented to it when A exits:
the master waits for, signals and reaps B like any child it spawned, and B dies with the master.
Used by `eggbin dev` / `debug` and `eggscripts start` (`ClusterOptions.zygote`); anything going wrong
falls back to a spawn.
"""

from __future__ import annotations

import contextlib
import ctypes
import gc
import importlib
import json
import os
import select
import signal
import socket
import sys
import time

from eggbin.cluster.start_trace import mark

TYPE_CHECKING = False  # not `typing.TYPE_CHECKING`: the master imports this module before it forks
if TYPE_CHECKING:
    from pathlib import Path
    from typing import Any

    from eggbin.cluster.channel import Channel
    from eggbin.cluster.process import ChildProcess

    Request = tuple[dict[str, Any], list[int]]  # a message from the master and the fds it carried
    SpawnRequest = tuple[str, Any, tuple[int, ...], int | None]  # module, blob_for, pass_fds, stdin
    ForkRequest = tuple[str, Any, tuple[int, ...]]  # module, blob_for, pass_fds

PR_SET_CHILD_SUBREAPER = 36
REPLY_TIMEOUT = 15.0  # the first request waits for the zygote's imports
PIPELINED = 8  # fork requests in flight at once: far below what the control socket's buffers hold
# What the agent needs: it is forked as soon as these are in and boots while the rest comes in.
AGENT = "eggbin.cluster.agent"
AGENT_PRELOAD = (AGENT, "eggbin.web.framework", "eggbin.web.application")
WORKER_PRELOAD = ("eggbin.cluster.worker", "starlette.responses", "starlette.staticfiles")
# What a worker's boot imports for the built-in plugins on by default (plus their `app/extend` and
# `app/middleware` files, found on disk): imported once here, shared by every worker, off their boot.
# tests/cluster/test_zygote_preload.py fails when a default boot imports an eggbin module not preloaded.
BOOT_PRELOAD = (
    "eggbin.web.body", "eggbin.web.cookies", "eggbin.web.i18n", "eggbin.web.jsonp", "eggbin.web.keygrip",
    "eggbin.web.multipart", "eggbin.web.openapi", "eggbin.web.redirect", "eggbin.web.security",
    "eggbin.web.service", "eggbin.web.session", "eggbin.web.session_store", "eggbin.web.ssrf",
    "eggbin.web.uploads", "eggbin.web.websocket",
)  # fmt: skip
OPTIONAL_PRELOAD = ("eggbin.web.view",)  # jinja2: imported by a worker's first render
BUILTIN_APP_DIRS = ("extend", "middleware")
OFF_BY_DEFAULT = "eggbin.web.builtin.plugins.metrics"  # imported by the workers of an app that turns it on


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
        control.settimeout(REPLY_TIMEOUT)

    def spawn(
        self, module: str, blob_for: Any, *, pass_fds: tuple[int, ...] = (), stdin: int | None = -3
    ) -> tuple[ChildProcess, Channel]:
        """`process.spawn_module`'s contract: a fork of the zygote, or a plain spawn if it is gone.

        A fork inherits the master's stdin whatever `stdin` says (the child keeps or drops it itself,
        eggbin/cluster/breakpoints.py); a spawn gets `stdin` (-3: `subprocess.DEVNULL`).
        """
        from eggbin.cluster import masterlog
        from eggbin.cluster.process import spawn_module

        if self.process.poll() is None:
            try:
                return self.fork(module, blob_for, pass_fds)
            except (OSError, ValueError) as exc:
                masterlog.error(f"zygote unavailable ({exc}); spawning children instead")
                self.kill()
        return spawn_module(module, blob_for, pass_fds=pass_fds, stdin=stdin)

    def spawn_many(self, requests: list[SpawnRequest]) -> list[tuple[ChildProcess, Channel]]:
        """`spawn` for several children: up to `PIPELINED` fork requests in flight, so the zygote forks
        them back to back instead of waiting for the master between two."""
        started: list[tuple[ChildProcess, Channel]] = []
        for first in range(0, len(requests), PIPELINED):
            batch = requests[first : first + PIPELINED]
            if self.process.poll() is None:
                try:
                    started.extend(self.fork_many([(module, blob, fds) for module, blob, fds, _ in batch]))
                    continue
                except (OSError, ValueError) as exc:
                    from eggbin.cluster import masterlog

                    masterlog.error(f"zygote unavailable ({exc}); spawning children instead")
                    self.kill()
            for module, blob, fds, stdin in batch:
                started.append(self.spawn(module, blob, pass_fds=fds, stdin=stdin))
        return started

    def fork(self, module: str, blob_for: Any, pass_fds: tuple[int, ...]) -> tuple[ChildProcess, Channel]:
        """Ask the zygote for a child; raises OSError when it cannot serve."""
        return self.fork_many([(module, blob_for, pass_fds)])[0]

    def fork_many(self, requests: list[ForkRequest]) -> list[tuple[ChildProcess, Channel]]:
        """Ask the zygote for children, every request sent before the first reply is read (the zygote
        answers in order); raises OSError when it cannot serve them all."""
        from eggbin.cluster.channel import Channel

        ends: list[socket.socket] = []
        pids: list[int] = []
        try:
            for module, blob_for, pass_fds in requests:
                parent_end, child_end = socket.socketpair(socket.AF_UNIX, socket.SOCK_STREAM)
                ends.append(parent_end)
                with child_end:
                    request = json.dumps({"module": module, "blob": blob_for(child_end.fileno())}).encode()
                    socket.send_fds(self.control, [request], [child_end.fileno(), *pass_fds])
            while len(pids) < len(requests):
                reply = self.read()
                if reply is None:
                    raise OSError("the zygote exited")
                if "pid" in reply:
                    pids.append(int(reply["pid"]))
        except BaseException:
            for end in ends:
                end.close()
            raise
        return [(ForkedChild(pid), Channel(end)) for pid, end in zip(pids, ends, strict=True)]

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
        run_zygote(theirs, master_pid, title)
    theirs.close()
    return Zygote(pid, ours)


def _become_subreaper() -> bool:
    libc = ctypes.CDLL(None, use_errno=True)
    return int(libc.prctl(PR_SET_CHILD_SUBREAPER, 1, 0, 0, 0)) == 0


# -- the zygote process ---------------------------------------------------------------------------
def preload(modules: tuple[str, ...]) -> None:
    for name in modules:
        importlib.import_module(name)


def preload_worker() -> None:
    """What workers need, what uvicorn would import at its first start, and eggbin's own load unit."""
    import pkgutil
    from pathlib import Path

    import eggbin.web.builtin

    preload(WORKER_PRELOAD)  # the worker's module first: it imports uvicorn without its CLI
    from eggbin.cluster.asgi_server import Config, LazyWebSocketsProtocol

    # as a worker configures it: the websockets protocol is imported at a worker's first upgrade
    config = Config(app=_asgi_placeholder, lifespan="off", log_level="warning", ws=LazyWebSocketsProtocol)
    config.load()
    config.get_loop_factory()  # uvloop, when installed
    prefix = f"{eggbin.web.builtin.__name__}."
    found = (m.name for m in pkgutil.walk_packages(eggbin.web.builtin.__path__, prefix))
    preload(tuple(name for name in found if not name.startswith(OFF_BY_DEFAULT)))
    preload(BOOT_PRELOAD)
    preload(builtin_app_modules(Path(eggbin.web.builtin.__file__).parent, eggbin.web.builtin.__name__))


def builtin_app_modules(root: Path, package: str) -> tuple[str, ...]:
    """The `app/extend/*.py` and `app/middleware/*.py` of eggbin's unit and its plugins, as module names
    (the loader imports them by these names), the metrics plugin's aside (off by default)."""
    names = []
    for directory in BUILTIN_APP_DIRS:
        for path in sorted(root.glob(f"**/app/{directory}/*.py")):
            parts = path.relative_to(root).with_suffix("").parts
            name = ".".join((package, *parts))
            if parts[-1] != "__init__" and not name.startswith(OFF_BY_DEFAULT):
                names.append(name)
    return tuple(names)


async def _asgi_placeholder(scope: Any, receive: Any, send: Any) -> None:
    """Never called: lets uvicorn import its protocol classes in the zygote."""


def receive(control: socket.socket) -> Request | None:
    """The master's next request and the fds that came with it; None once the master is gone."""
    try:
        data, fds, _, _ = socket.recv_fds(control, 1 << 20, 8)
    except OSError:
        return None
    return (json.loads(data), fds) if data else None


def answer(control: socket.socket, master_pid: int, request: Request) -> None:
    message, fds = request
    try:
        pid = fork_child(control, master_pid, message["module"], message["blob"], fds)
        mark("zygote", f"forked {message['module'].rsplit('.', 1)[-1]} {pid}")
    finally:
        for fd in fds:
            os.close(fd)
    control.send(json.dumps({"pid": pid}).encode())


def serve_agent(control: socket.socket, master_pid: int) -> Request | None:
    """Fork the agent if the master already asked for it; a worker's request is held and returned."""
    while select.select([control], [], [], 0)[0]:
        request = receive(control)
        if request is None or request[0]["module"] != AGENT:
            return request
        answer(control, master_pid, request)
    return None


def announce_workers_ready(control: socket.socket) -> bool:
    """Tell the master it may request workers now; False when it is gone (stopped during the imports)."""
    try:
        control.send(json.dumps({"ready": "workers"}).encode())
    except OSError:
        return False
    return True


def serve(control: socket.socket, master_pid: int, held: Request | None = None) -> None:
    """Fork one child per request (`held` first) until the master closes the control socket."""
    request = held or receive(control)
    while request is not None:
        if request[0].get("preload") == "optional":
            preload_optional()
        else:
            answer(control, master_pid, request)
        request = receive(control)


def preload_optional() -> None:
    """What a child imports only on some paths (a WebSocket upgrade, a template render), for the children
    forked from now on (`eggbin dev`'s reloads, respawns): imported once here, not again in each of them."""
    from eggbin.cluster.asgi_server import LazyWebSocketsProtocol

    LazyWebSocketsProtocol.preload()
    preload(OPTIONAL_PRELOAD)
    mark("zygote", "optional preload done")


def fork_child(control: socket.socket, master_pid: int, module: str, blob: str, fds: list[int]) -> int:
    """Double-fork so the grandchild (the agent or worker) ends up the master's child; its pid."""
    read_end, write_end = os.pipe()
    gc.freeze()  # what the zygote holds is never collected in a child: its pages stay shared (see run_zygote)
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
    from dataclasses import replace

    from eggbin.cluster.options import ChildOptions

    options = ChildOptions.loads(blob)
    listen_fd = fds[1] if len(fds) > 1 else -1
    return replace(options, channel_fd=fds[0], listen_fd=listen_fd).dumps()


def run_child(master_pid: int, module: str, blob: str) -> None:
    """Become the child: wait to be re-parented, then run the role's `main()`; never returns."""
    deadline = time.monotonic() + 2
    while os.getppid() != master_pid and time.monotonic() < deadline:
        time.sleep(0.001)
    gc.enable()
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
        import contextlib
        import logging

        with contextlib.suppress(Exception):  # a child must reach its own `_exit`, never the zygote's loop
            logging.shutdown()
            sys.stdout.flush()
            sys.stderr.flush()
    os._exit(code)


def run_zygote(control: socket.socket, master_pid: int, title: str) -> None:
    """The zygote process, just forked from the master: import, then serve forks; never returns."""
    # No collection in the zygote (it only imports and forks: little garbage), and everything it holds
    # frozen before each fork: a child's collections then never write to the inherited objects' GC
    # headers, so those pages are not copied into every worker (gc docs, "fork() without exec()").
    gc.disable()
    code = 0
    try:
        from eggbin.cluster.process import die_with_parent, set_title

        mark("zygote", "forked")
        die_with_parent(master_pid)
        signal.signal(signal.SIGINT, signal.SIG_IGN)  # only the master decides when anything stops
        set_title(title, "zygote")
        preload(AGENT_PRELOAD)
        mark("zygote", "agent preload done")
        held = serve_agent(control, master_pid)
        preload_worker()
        mark("zygote", "worker preload done")
        if announce_workers_ready(control):
            serve(control, master_pid, held)
    except BaseException:
        import traceback

        traceback.print_exc()
        code = 1
    finally:
        sys.stdout.flush()
        sys.stderr.flush()
    os._exit(code)
