"""`eggbin dev` / `eggbin debug`: the app as a local cluster that reloads on save.

Everything here runs in the CLI process (the master never imports user code and starts no thread):

    read config (config files only) → port → start the cluster (zygote on) → start watching
        → egg-ready → loop: changes → rolling reload → one line → … → Ctrl-C / SIGTERM → stop

The watcher is armed right after the master is spawned, while the cluster boots, and queues what
changes meanwhile, so an edit made during start-up is reloaded right after `egg-ready`. A reload that
fails (a syntax error) leaves the old workers serving; the next good save reloads again.
"""

from __future__ import annotations

import contextlib
import errno
import os
import signal
import socket
import subprocess
import time
from collections.abc import Iterator
from pathlib import Path
from types import FrameType
from typing import TYPE_CHECKING, Any

from msgspec import Struct

from eggbin import console
from eggbin.listen import Listen, resolve_listen
from eggbin.web.appinfo import AppInfo, load_app_info, require_app_dir
from eggbin.web.env import ServerEnv
from eggbin.web.preview import AppPreview, preview

if TYPE_CHECKING:
    from eggbin.cluster.launch import ClusterProcess
    from eggbin.cluster.options import ClusterOptions
    from eggbin.debugproxy import DebugSession
    from eggbin.watcher import Batch, Watcher, WatchPlan

DEFAULT_PORT = 7001
DEFAULT_HOST = "127.0.0.1"
DEV_CLOSE_TIMEOUT = 1.0
TERMINAL_WORKER = 1  # whose `breakpoint()` opens pdb in the terminal (eggbin/cluster/breakpoints.py)
READY_TIMEOUT = 60.0
RELOAD_TIMEOUT = 60.0


class DebugOptions(Struct, frozen=True):
    """`eggbin debug`'s flags."""

    port: int = 9229
    host: str = "127.0.0.1"
    brk: bool = False


class DevOptions(Struct, frozen=True):
    base_dir: Path
    port: int | None = None
    workers: int = 1
    host: str | None = None  # --host, else `config.cluster.listen.hostname`, else 127.0.0.1
    env: str | None = None
    framework: str | None = None
    debug: DebugOptions | None = None


def port_is_free(host: str, port: int) -> bool:
    with socket.socket(socket.AF_INET6 if ":" in host else socket.AF_INET) as sock:
        sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        try:
            sock.bind((host, port))
        except OSError as exc:
            if exc.errno in (errno.EADDRINUSE, errno.EACCES):
                return False
            raise
    return True


def choose_port(host: str, wanted: int | None, configured: int | None = None) -> int:
    """`--port`, else `config.cluster.listen.port`, else the first free port from 7001 (announced)."""
    if wanted is not None:
        return wanted
    if configured:
        return configured
    port = DEFAULT_PORT
    while not port_is_free(host, port):
        port += 1
    if port != DEFAULT_PORT:
        console.info(f"[eggbin] port {DEFAULT_PORT} is in use, using {port}")
    return port


def plan_for(info: AppInfo, app: AppPreview) -> WatchPlan:
    """The app's watched dirs, `config.development` and local plugin source (an agent-side change)."""
    from eggbin.watcher import plan_watch

    development = app.config.get("development") or {}
    watch, ignore = development.get("watch_dirs") or (), development.get("ignore_dirs") or ()
    return plan_watch(info.base_dir, watch, ignore, agent_dirs=app.plugin_dirs)


def cluster_options(
    options: DevOptions, info: AppInfo, port: int, listen: Listen | None = None
) -> ClusterOptions:
    from eggbin.cluster.options import WORKER_TIMEOUT, ClusterOptions

    debug = options.debug
    return ClusterOptions(
        base_dir=str(info.base_dir),
        port=port,
        host=listen.host if listen else options.host or DEFAULT_HOST,
        path=listen.path if listen else None,
        workers=options.workers,
        env=info.env,
        framework=options.framework,
        title=f"egg-server-{info.name}",
        app_close_timeout=DEV_CLOSE_TIMEOUT,
        agent_close_timeout=DEV_CLOSE_TIMEOUT,
        zygote=True,
        worker_timeout=0 if debug else WORKER_TIMEOUT,  # a paused worker is not hung
        debug_host=debug.host if debug else "127.0.0.1",
        debug_port=debug.port if debug else 0,
        debug_brk=bool(debug and debug.brk),
        terminal_worker=TERMINAL_WORKER if on_terminal() and not debug else 0,
    )


def on_terminal() -> bool:
    """Whether stdin is a terminal: then worker 1 keeps it and `breakpoint()` opens pdb there."""
    try:
        return os.isatty(0)
    except OSError:
        return False


@contextlib.contextmanager
def terminal_restored() -> Iterator[None]:
    """Give the terminal back as it was: a worker stopped while in pdb may have left it in raw mode."""
    import termios

    try:
        saved = termios.tcgetattr(0)
    except (OSError, termios.error):
        yield
        return
    try:
        yield
    finally:
        with contextlib.suppress(OSError, termios.error):
            termios.tcsetattr(0, termios.TCSADRAIN, saved)


@contextlib.contextmanager
def stop_signals() -> Iterator[list[int]]:
    """Ctrl-C and SIGTERM only record themselves; the loop stops the cluster."""
    received: list[int] = []

    def record(signum: int, frame: FrameType | None) -> None:
        received.append(signum)

    previous = {s: signal.signal(s, record) for s in (signal.SIGINT, signal.SIGTERM)}
    try:
        yield received
    finally:
        for signum, handler in previous.items():
            signal.signal(signum, handler)


def run_dev(options: DevOptions) -> int:
    """Serve the app until Ctrl-C or SIGTERM, reloading on every save; the exit code of the session."""
    from eggbin.cluster.launch import ClusterProcess
    from eggbin.cluster.tls import choose_https

    base = require_app_dir(options.base_dir)
    env = (
        ServerEnv(options.env, "--env") if options.env else ServerEnv("local", f"eggbin {_command(options)}")
    )
    info = load_app_info(base, env)
    app = preview(info, options.framework)
    listen = resolve_listen(Listen(host=options.host or "", port=options.port), app, base, DEFAULT_HOST, None)
    port = 0 if listen.path else choose_port(listen.host, listen.port)
    debug_session = _open_debug(options, info)
    with stop_signals() as stop_requested, terminal_restored():
        https = choose_https(info.base_dir, None, None, app.config)  # config.cluster.https, as egg
        settings = cluster_options(options, info, port, listen).with_https(https)
        stdin = None if settings.terminal_worker else subprocess.DEVNULL
        cluster = ClusterProcess.start(settings, stdin=stdin, fork=True)  # no thread exists yet
        watcher: Watcher | None = None
        try:
            # Armed while the master, agent and workers boot (~100 ms before a worker reads the app):
            # an edit made from then on is queued, not lost; watchfiles' import is off the path to
            # the launch, and no thread exists when the CLI spawns the master.
            watcher = _start_watcher(info, app)
            watcher.wait_armed()
            timeout = None if options.debug and options.debug.brk else READY_TIMEOUT
            ready = cluster.wait_ready(timeout=timeout or 24 * 3600)
            console.info(f"[eggbin] {info.name} in {env} serving on {ready.address}, Ctrl-C to stop")
            if debug_session:
                debug_session.announce()
            if settings.terminal_worker and options.workers > 1:
                console.info(
                    f"[eggbin] breakpoint() opens pdb here in worker#{settings.terminal_worker} only; "
                    "the other workers print where they skipped it"
                )
            return DevLoop(cluster, watcher, stop_requested).run()
        finally:
            if watcher is not None:
                watcher.stop()
            if debug_session:
                debug_session.close()
            if cluster.popen.poll() is None:
                cluster.stop(timeout=10)


def _start_watcher(info: AppInfo, app: AppPreview) -> Watcher:
    from eggbin.watcher import Watcher

    watcher = Watcher(plan_for(info, app))
    watcher.start()
    return watcher


def _command(options: DevOptions) -> str:
    return "debug" if options.debug else "dev"


def _open_debug(options: DevOptions, info: AppInfo) -> DebugSession | None:
    if options.debug is None:
        return None
    from eggbin.debugproxy import DebugSession

    return DebugSession.open(info.base_dir, options.debug.host, options.debug.port, options.workers)


class DevLoop:
    """Changes in, rolling reloads out, one line each; returns when asked to stop or the master dies."""

    def __init__(self, cluster: ClusterProcess, watcher: Any, stop_requested: list[int]) -> None:
        self.cluster = cluster
        self.watcher = watcher
        self.stop_requested = stop_requested

    def run(self) -> int:
        while not self.stop_requested:
            batch = self.watcher.take(timeout=0.1)
            if self.stop_requested:  # Ctrl-C reaches the master too: its exit is then no surprise
                break
            if (code := self.cluster.popen.poll()) is not None:
                from eggbin.cluster.process import describe_exit

                console.error(f"the master {describe_exit(code)} unexpectedly")
                return 1
            if batch is not None:
                self.reload(batch)
            else:
                self.cluster.messages(0)  # nobody else reads the parent channel between reloads
        self.cluster.stop(timeout=10)
        return 0

    def reload(self, batch: Batch) -> None:
        from eggbin.watcher import restarts_agent

        plan = self.watcher.plan
        forget_bytecode(batch.paths)
        agent = any(restarts_agent(plan, path) for path in batch.paths)
        trigger = describe(batch.paths, plan.base_dir)
        self.cluster.request_reload(agent=agent)
        outcome = self.wait_outcome()
        elapsed = (time.monotonic() - batch.seen_at) * 1000
        if outcome is None:
            return
        action, data = outcome
        what = "agent and workers" if agent else "workers"
        if action == "reload-done":
            console.info(f"[eggbin] {trigger} changed: reloaded {what} in {elapsed:.0f} ms")
        else:
            console.error(
                f"{trigger} changed: reload failed: {data.get('message')}; the previous code keeps serving"
            )

    def wait_outcome(self) -> tuple[str, dict[str, Any]] | None:
        """`reload-done` / `reload-failed` and its data; None if stopped or the master went away."""
        deadline = time.monotonic() + RELOAD_TIMEOUT
        while not self.stop_requested and time.monotonic() < deadline:
            for message in self.cluster.messages(0.05):
                if message["action"] in ("reload-done", "reload-failed"):
                    return message["action"], message.get("data") or {}
            if self.cluster.popen.poll() is not None:
                return None
        if not self.stop_requested:
            console.error(f"the reload did not finish within {RELOAD_TIMEOUT:g} s")
        return None


def forget_bytecode(paths: list[Path]) -> None:
    """Drop the cached bytecode of changed files: a same-size save within one second would reuse it."""
    import importlib.util

    for path in paths:
        if path.suffix == ".py":
            with contextlib.suppress(OSError, ValueError):
                Path(importlib.util.cache_from_source(str(path))).unlink()


def describe(paths: list[Path], base_dir: Path) -> str:
    """`app/controller/home.py` (+2 more)."""
    first = paths[0]
    with contextlib.suppress(ValueError):
        first = first.relative_to(base_dir)
    return f"{first}" + (f" (+{len(paths) - 1} more)" if len(paths) > 1 else "")
