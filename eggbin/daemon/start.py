"""`eggscripts start`: the cluster in the foreground (container-friendly) or detached (`--daemon`).

Foreground: this process stays the master's parent, forwards signals, reaps zombies (so it can be
PID 1 in a container) and exits with the master's code. Daemon: the master runs in a new session
with its output in `~/logs/master-std{out,err}.log`; we return once `egg-ready` arrives, or stop
everything and name the cause (the master's message and the stderr tail) when it does not.
"""

from __future__ import annotations

import contextlib
import os
import signal
import subprocess
import time
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path
from types import FrameType

from eggbin import console
from eggbin.cluster.launch import ClusterProcess, Ready
from eggbin.cluster.options import ClusterOptions
from eggbin.cluster.tls import HTTPS_PORT, Https, choose_https
from eggbin.daemon.cpus import usable_cpus
from eggbin.daemon.locate import default_title, find_cluster
from eggbin.errors import ClusterStartError, EggbinError, UsageError
from eggbin.web.appinfo import load_app_info, require_app_dir
from eggbin.web.env import ServerEnv, resolve_env
from eggbin.web.preview import preview

FORWARDED = (signal.SIGINT, signal.SIGTERM, signal.SIGQUIT, signal.SIGHUP)
DEFAULT_PORT = 7001
STDERR_TAIL = 20


@dataclass(frozen=True)
class StartOptions:
    base_dir: Path
    daemon: bool = False
    title: str | None = None
    workers: int | None = None
    port: int | None = None
    host: str = "0.0.0.0"
    env: str | None = None
    framework: str | None = None
    stdout: Path | None = None
    stderr: Path | None = None
    timeout: float = 300
    ignore_stderr: bool = False
    pid_file: Path | None = None
    python: str | None = None
    https_key: Path | None = None
    https_cert: Path | None = None


def start_env(base_dir: Path, explicit: str | None, environ: Mapping[str, str] | None = None) -> ServerEnv:
    """`--env`, `config/env`, `EGG_SERVER_ENV`, `NODE_ENV` as DESIGN.md §5; with none of them, `prod`."""
    env = resolve_env(base_dir, explicit, environ)
    return ServerEnv("prod", "eggscripts start") if env.source == "default" else env


def check_python(python: str | None) -> None:
    """`--python` must be an interpreter that has eggbin installed, or the master dies unexplained."""
    if python is None:
        return
    try:
        done = subprocess.run([python, "-c", "import eggbin.cluster.master"], capture_output=True, timeout=30)
    except (OSError, subprocess.TimeoutExpired) as exc:
        raise UsageError(f"--python `{python}` cannot be run: {exc}") from None
    if done.returncode != 0:
        raise UsageError(
            f"--python `{python}` cannot import eggbin",
            hint="install eggbin into that interpreter's environment",
        )


def listen_port(options: StartOptions, base: Path, env: ServerEnv, https: Https | None = None) -> int:
    """`--port`, else the app's `config.cluster.listen.port` in this env, else 7001 (8443 with HTTPS: egg's
    defaults)."""
    if options.port is not None:
        return options.port
    configured = preview(load_app_info(base, env), options.framework).configured_port()
    return configured or (HTTPS_PORT if https else DEFAULT_PORT)


def start_https(options: StartOptions, base: Path, env: ServerEnv) -> Https | None:
    """`--https-key`/`--https-cert`, else `config.cluster.https` (its passphrase applies to both)."""
    config = preview(load_app_info(base, env), options.framework).config
    return choose_https(base, options.https_key, options.https_cert, config)


def cluster_options(options: StartOptions, base: Path, env: ServerEnv) -> ClusterOptions:
    https = start_https(options, base, env)
    cluster = ClusterOptions(
        base_dir=str(base),
        port=listen_port(options, base, env, https),
        host=options.host,
        workers=options.workers or usable_cpus(),
        env=env.name,
        framework=options.framework,
        title=options.title or default_title(base),
        exit_with_parent=not options.daemon,
        pid_file=str(options.pid_file.resolve()) if options.pid_file else None,
        zygote=True,  # workers and respawns fork from a pre-imported process (bench/cluster.py)
    )
    return cluster.with_env_overrides().with_https(https)


def start(options: StartOptions) -> int:
    base = require_app_dir(options.base_dir)
    check_python(options.python)
    env = start_env(base, options.env)
    cluster = cluster_options(options, base, env)
    running = find_cluster(base, cluster.title)
    if running is not None and running.master is not None:
        raise EggbinError(
            f"`{cluster.title}` is already running (master pid {running.master.pid})",
            hint="stop it with `eggscripts stop` or start with another --title",
        )
    console.info(f"[eggscripts] starting {cluster.title} ({env}) with {cluster.workers} workers")
    if options.daemon:
        return start_daemon(options, cluster)
    return start_foreground(options, cluster)


def start_foreground(options: StartOptions, cluster: ClusterOptions) -> int:
    master = ClusterProcess.start(cluster, python=options.python)
    signals: list[int] = []

    def record(signum: int, frame: FrameType | None) -> None:
        signals.append(signum)

    previous = {s: signal.signal(s, record) for s in FORWARDED}
    try:
        return _supervise(master, signals)
    finally:
        for signum, handler in previous.items():
            signal.signal(signum, handler)


def _supervise(master: ClusterProcess, signals: list[int]) -> int:
    """Forward signals to the master and reap every child (we may be PID 1) until the master exits."""
    while True:
        while signals:
            master.signal(signals.pop(0))
        try:
            pid, status = os.waitpid(-1, os.WNOHANG)
        except ChildProcessError:
            return 1
        if pid == master.pid:
            master.popen.returncode = os.waitstatus_to_exitcode(status)
            return master.popen.returncode
        if pid == 0:
            time.sleep(0.05)


def start_daemon(options: StartOptions, cluster: ClusterOptions) -> int:
    logs = Path.home() / "logs"
    stdout_path = options.stdout or logs / "master-stdout.log"
    stderr_path = options.stderr or logs / "master-stderr.log"
    stdout_fd, stderr_fd = _open_log(stdout_path), _open_log(stderr_path)
    try:
        master = ClusterProcess.start(
            cluster, new_session=True, stdout=stdout_fd, stderr=stderr_fd, python=options.python
        )
    finally:
        os.close(stdout_fd)
        os.close(stderr_fd)
    try:
        ready = _wait_with_progress(master, options.timeout, cluster.title)
    except ClusterStartError as exc:
        _stop_group(master)
        raise ClusterStartError(
            f"{exc}{_tail(stderr_path)}", hint=f"full output in `{stderr_path}`"
        ) from None
    _report_ready(ready, cluster, stdout_path, stderr_path)
    if not options.ignore_stderr and stderr_path.stat().st_size > 0:
        console.warn(f"the app wrote to stderr while starting:{_tail(stderr_path)}")
    return 0


def _wait_with_progress(master: ClusterProcess, timeout: float, title: str) -> Ready:
    if not console.stderr().is_terminal:
        return master.wait_ready(timeout)
    with console.stderr().status(f"waiting for {title} to be ready (timeout {timeout:g} s)"):
        return master.wait_ready(timeout)


def _report_ready(ready: Ready, cluster: ClusterOptions, stdout: Path, stderr: Path) -> None:
    pids = ready.pids
    out = console.stdout()
    out.print(f"{cluster.title} is ready on {ready.address} (env {cluster.env})")
    out.print(f"  master {pids.get('master')}, agent {pids.get('agent')}, workers {pids.get('workers')}")
    out.print(f"  logs: {stdout} {stderr}")


def _open_log(path: Path) -> int:
    """Open a fresh log, keeping the previous run's file under a timestamp suffix."""
    path.parent.mkdir(parents=True, exist_ok=True)
    if path.exists() and path.stat().st_size > 0:
        path.rename(path.with_name(f"{path.name}.{time.strftime('%Y%m%d-%H%M%S')}"))
    return os.open(path, os.O_WRONLY | os.O_CREAT | os.O_APPEND, 0o644)


def _tail(path: Path, lines: int = STDERR_TAIL) -> str:
    try:
        text = path.read_text(errors="replace").rstrip()
    except OSError:
        return ""
    return "\n" + "\n".join(text.splitlines()[-lines:]) if text else ""


def _stop_group(master: ClusterProcess) -> None:
    """Nothing of a failed start may be left running: the master's whole session goes."""
    with contextlib.suppress(ProcessLookupError, PermissionError):
        os.killpg(master.pid, signal.SIGKILL)
    master.wait(5)
