"""`eggscripts start`: the cluster in the foreground (container-friendly) or detached (`--daemon`).

Foreground: this process becomes the master (in place on the CLI's fast path, else by `exec`), so
nothing of typer or rich stays resident: the master gets the signals itself, reaps orphans (a child
subreaper, or PID 1 in a container) and its exit code is the command's. Daemon: the master runs in a
new session (forked from this process when it is fit, `eggbin.cluster.become`, else spawned)
with its output in `~/logs/master-std{out,err}.log` (eggbin/daemon/outputs.py); we return once
`egg-ready` arrives, or stop everything and name the cause (the master's message and its own stderr
tail) when it does not. Ctrl-C or SIGTERM while waiting stops the cluster that was starting.

The env is `prod` unless `--env`, `config/env` or `EGG_SERVER_ENV` says otherwise; `NODE_ENV`
never decides (egg-scripts forces `NODE_ENV=production`, and so do we). One daemon start of an app
runs at a time (`run/start.lock`), and a title names one cluster on the host.
"""

from __future__ import annotations

import contextlib
import fcntl
import os
import signal
import subprocess
import sys
from collections.abc import Iterator, Mapping
from pathlib import Path
from types import FrameType
from typing import TYPE_CHECKING, NoReturn

from msgspec import Struct

from eggbin import console
from eggbin.cluster.options import WORKER_TIMEOUT, ClusterOptions, master_blob
from eggbin.cluster.pidfile import check_pid_file
from eggbin.cluster.tls import HTTPS_PORT, Https, choose_https
from eggbin.daemon.cpus import usable_cpus
from eggbin.daemon.locate import APP_DIR, all_clusters, check_title, default_title, maybe_running
from eggbin.errors import BootError, ClusterStartError, EggbinError, UsageError
from eggbin.listen import DEFAULT_PORT, Listen, resolve_listen
from eggbin.private_files import open_private, private_dir
from eggbin.web.appinfo import load_app_info, require_app_dir
from eggbin.web.env import ServerEnv, resolve_env
from eggbin.web.preview import AppPreview, preview

if TYPE_CHECKING:  # a daemon start's alone: the foreground execs into the master without them
    from eggbin.cluster.launch import ClusterProcess, Ready
    from eggbin.daemon.outputs import Output

DEFAULT_HOST = "0.0.0.0"  # egg listens on every interface; `config.cluster.listen.hostname` narrows it
STDERR_TAIL = 20
START_LOCK = "start.lock"


class StartOptions(Struct, frozen=True):
    base_dir: Path
    daemon: bool = False
    title: str | None = None
    workers: int | None = None
    port: int | None = None
    host: str | None = None
    path: str | None = None
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
    worker_timeout: float | None = None


class InterruptedStart(EggbinError):
    """Ctrl-C or SIGTERM while a daemon start waited for `egg-ready`."""

    exit_code = 130


def start_env(base_dir: Path, explicit: str | None, environ: Mapping[str, str] | None = None) -> ServerEnv:
    """`--env`, `config/env`, `EGG_SERVER_ENV`, else `prod` (DESIGN.md §5; NODE_ENV is not asked)."""
    environ = {k: v for k, v in (os.environ if environ is None else environ).items() if k != "NODE_ENV"}
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


def start_https(options: StartOptions, base: Path, app: AppPreview) -> Https | None:
    """`--https-key`/`--https-cert`, else `config.cluster.https` (its passphrase applies to both)."""
    return choose_https(base, options.https_key, options.https_cert, app.config)


def listen_of(options: StartOptions, base: Path, app: AppPreview, https: Https | None = None) -> Listen:
    """`--path` / `--host` / `--port`, then `config.cluster.listen`, then 0.0.0.0:7001 (8443 with HTTPS)."""
    flags = Listen(host=options.host or "", port=options.port, path=options.path)
    return resolve_listen(flags, app, base, DEFAULT_HOST, HTTPS_PORT if https else DEFAULT_PORT)


def worker_timeout_of(options: StartOptions, app: AppPreview) -> float:
    """`--worker-timeout`, then `config.cluster.worker_timeout`, then 30 s (0: no heartbeat check)."""
    if options.worker_timeout is not None:
        return options.worker_timeout
    found = app.configured("cluster.worker_timeout")
    if found is None:
        return WORKER_TIMEOUT
    value, origin = found
    if isinstance(value, bool) or not isinstance(value, int | float) or value < 0:
        raise BootError(f"config `cluster.worker_timeout` is `{value}` (set in `{origin}`): not seconds >= 0")
    return float(value)


def cluster_options(options: StartOptions, base: Path, env: ServerEnv) -> tuple[ClusterOptions, Listen]:
    app = preview(load_app_info(base, env), options.framework)
    https = start_https(options, base, app)
    listen = listen_of(options, base, app, https)
    cluster = ClusterOptions(
        base_dir=str(base),
        port=listen.port or 0,
        host=listen.host,
        path=listen.path,
        workers=options.workers or usable_cpus(),
        env=env.name,
        framework=options.framework,
        title=options.title or default_title(base),
        exit_with_parent=False,  # foreground: the master is this process; daemon: it outlives us
        pid_file=str(options.pid_file.absolute()) if options.pid_file else None,
        zygote=True,  # the agent and workers fork from a pre-imported process (bench/cluster.py)
        keep_zygote=False,  # ... which leaves once they are up: respawns spawn (bench/memory.py)
        worker_timeout=worker_timeout_of(options, app),
    ).with_env_overrides()
    return cluster.with_https(https), listen


def refuse_if_running(base: Path, title: str) -> None:
    """This app's cluster, or another app's under the same title, is a reason not to start."""
    if not maybe_running(base, title):
        return
    for cluster in all_clusters():
        pid = cluster.master.pid if cluster.master else cluster.pids[0]
        if cluster.base_dir == base:
            raise EggbinError(
                f"`{cluster.title}` is already running (master pid {pid})",
                hint="stop it with `eggscripts stop` first",
            )
        if cluster.title == title:
            where = f"the app in `{cluster.base_dir}`" if cluster.base_dir else "processes without a master"
            raise EggbinError(
                f"the title `{title}` is taken by {where} (pid {pid})",
                hint="start this app with another --title",
            )


def start(options: StartOptions) -> int:
    """Start the cluster; on success this process ends (the foreground execs the master, the daemon exits
    the moment `egg-ready` is reported); returns or raises only when the start failed."""
    base = require_app_dir(options.base_dir, APP_DIR)
    if options.timeout <= 0:
        raise UsageError(f"--timeout must be more than 0 seconds, got `{options.timeout:g}`")
    check_title(options.title)
    check_python(options.python)
    env = start_env(base, options.env)
    cluster, listen = cluster_options(options, base, env)
    if options.pid_file:
        check_pid_file(options.pid_file.absolute())
    os.environ["NODE_ENV"] = "production"  # as egg-scripts: code that asks NODE_ENV sees production
    if not options.daemon:
        refuse_if_running(base, cluster.title)
        _announce(cluster, env, listen)
        return start_foreground(options, cluster)
    with start_lock(base):
        refuse_if_running(base, cluster.title)
        _announce(cluster, env, listen)
        code = start_daemon(options, cluster)
    _exit_now(code)
    return code  # pragma: no cover - _exit_now does not return


def _exit_now(code: int) -> NoReturn:
    """The cluster is up and reported: leave without tearing down the CLI's few hundred modules, which
    takes 150-250 ms (most of it the interpreter's final collection) after `egg-ready` was printed."""
    sys.stdout.flush()
    sys.stderr.flush()
    os._exit(code)


def _announce(cluster: ClusterOptions, env: ServerEnv, listen: Listen) -> None:
    console.info(
        f"[eggscripts] starting {cluster.title} ({env}) with {cluster.workers} workers on {listen.describe()}"
    )


@contextlib.contextmanager
def start_lock(base: Path) -> Iterator[None]:
    """One daemon start of an app at a time, from its checks to `egg-ready` (racing starts fail fast)."""
    fd = open_private(private_dir(base / "run", tighten=True) / START_LOCK, os.O_RDWR)
    try:
        try:
            fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except BlockingIOError:
            raise EggbinError(
                "another `eggscripts start` of this app is in progress",
                hint="wait for it, then see `eggscripts status`",
            ) from None
        yield
    finally:
        os.close(fd)


def start_foreground(options: StartOptions, cluster: ClusterOptions) -> int:
    """Become the master (same pid, signals and exit code); returns only on failure.

    On the CLI's fast path (the parse cache: no typer, click or rich) this process runs the master
    itself (`eggbin.cluster.become`), with nothing to start or import again. Otherwise it `exec`s a new
    interpreter into the master: the CLI's imports (typer, rich) would stay resident for the cluster's
    whole life. Either way the master handles SIGINT/SIGTERM/SIGQUIT/SIGHUP itself.
    """
    from eggbin.cluster.become import become_master, unfit

    if unfit(cluster, options.python) is None:
        become_master(cluster)
    python = options.python or sys.executable
    sys.stdout.flush()
    sys.stderr.flush()
    os.execv(python, [python, "-m", "eggbin.cluster", master_blob(cluster, -1)])
    return 1  # pragma: no cover - execv only returns by raising


def start_daemon(options: StartOptions, cluster: ClusterOptions) -> int:
    from eggbin.cluster.launch import ClusterProcess
    from eggbin.daemon.outputs import open_output

    logs = Path.home() / "logs"
    stdout_path = (options.stdout or logs / "master-stdout.log").absolute()
    stderr_path = (options.stderr or logs / "master-stderr.log").absolute()
    stdout = open_output(stdout_path)
    stderr = stdout if stderr_path == stdout_path else open_output(stderr_path)
    try:
        master = ClusterProcess.start(
            cluster, new_session=True, stdout=stdout.fd, stderr=stderr.fd, python=options.python, fork=True
        )
        ready = _wait_ready(master, options.timeout, cluster.title, stderr)
        _report_ready(ready, cluster, stdout.path, stderr.path)
        if not options.ignore_stderr and stderr.size() > 0:
            console.warn(f"the app wrote to stderr while starting:{stderr.tail(STDERR_TAIL)}")
        return 0
    finally:
        stdout.close()
        if stderr is not stdout:
            stderr.close()


class _Terminated(Exception):
    """SIGTERM arrived while waiting for `egg-ready`."""


def _wait_ready(master: ClusterProcess, timeout: float, title: str, stderr: Output) -> Ready:
    """`egg-ready`, or the cluster stopped and the cause raised (a failure, a timeout, an interrupt)."""

    def terminated(signum: int, frame: FrameType | None) -> None:
        raise _Terminated

    previous = signal.signal(signal.SIGTERM, terminated)
    try:
        return _wait_with_progress(master, timeout, title)
    except ClusterStartError as exc:
        _stop_group(master)
        raise ClusterStartError(
            f"{exc}{stderr.tail(STDERR_TAIL)}", hint=f"full output in `{stderr.path}`"
        ) from None
    except (KeyboardInterrupt, _Terminated):
        master.stop(10)
        _stop_group(master)
        raise InterruptedStart(f"interrupted: stopped `{title}`, which was still starting") from None
    finally:
        signal.signal(signal.SIGTERM, previous)


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
    out.print(f"  logs: {stdout} {stderr}" if stdout != stderr else f"  logs: {stdout}")


def _stop_group(master: ClusterProcess) -> None:
    """Nothing of a failed start may be left running: the master's whole session goes."""
    with contextlib.suppress(ProcessLookupError, PermissionError):
        os.killpg(master.pid, signal.SIGKILL)
    master.wait(5)
