"""The master without a new interpreter: this process becomes it, or a fork of this process does.

`eggscripts start` in the foreground used to `exec` `python -m eggbin.cluster`, `--daemon` and `eggbin dev`
to spawn it: each start paid an interpreter's start-up and the master's imports again, though the CLI
process holds most of them already. When the CLI process is fit to be a master (`unfit` says why not),
`become_master` runs `eggbin.cluster.__main__.run` right here (same pid, so PID-1 duties, signals and the
exit code are the master's, as with `exec`) and `fork_master` runs it in a fork (its own session for
`--daemon`); the master then forks its zygote as it always does. Where it is not fit, the callers fall
back to the new interpreter.

Fit means: Linux (pidfds, `prctl`); no debugger (debugpy wants `-Xfrozen_modules=off`, a new
interpreter); this interpreter (no `--python`); none of typer, click or rich imported (the CLI's slow
path: the master would keep them resident, `bench/memory.py`); one thread (the master forks its
zygote, and forking a threaded process is unsafe); room for the process title (setproctitle writes it
over argv and environ; `eggscripts status/stop` find a cluster by it).

What the CLI imported of the app to preview its config (the `_egg_*` modules of `eggbin.web.modules`)
is forgotten first, so the agent and workers import the app's files afresh, as in a new interpreter.
"""

from __future__ import annotations

import os
import select
import signal
import socket
import subprocess
import sys
import time

from eggbin.cluster.channel import Channel
from eggbin.cluster.options import ClusterOptions, master_blob

TYPE_CHECKING = False  # not `typing.TYPE_CHECKING`: importing typing costs the fast path ~5 ms
if TYPE_CHECKING:
    from typing import NoReturn

HEAVY_MODULES = ("typer", "click", "rich")  # what only the CLI needs, and a master should not hold
UNIT_PREFIX = "_egg_"  # the private root of an app's (or `path:` plugin's) files, see eggbin/web/modules.py
MAX_WORKER_ID = 9999  # for the room a forked worker's title takes (`worker 9999`)
STOP_SIGNALS = (signal.SIGINT, signal.SIGTERM, signal.SIGHUP, signal.SIGQUIT, signal.SIGCHLD)


def unfit(options: ClusterOptions, python: str | None = None) -> str | None:
    """Why this process cannot become (or fork) the master of `options`; None when it can."""
    if not sys.platform.startswith("linux") or not hasattr(os, "pidfd_open"):
        return "not Linux"
    if options.debug_port:
        return "a debugger needs a new interpreter (-Xfrozen_modules=off)"
    if python is not None and os.path.realpath(python) != os.path.realpath(sys.executable):
        return f"--python `{python}`"
    heavy = [name for name in HEAVY_MODULES if name in sys.modules]
    if heavy:
        return f"{', '.join(heavy)} imported"
    if thread_count() != 1:
        return "threads are running"
    if not title_fits(options.title):
        return "no room for the process title"
    return None


def thread_count() -> int:
    """This process's threads as the kernel counts them (a C library's own threads too)."""
    try:
        return len(os.listdir("/proc/self/task"))
    except OSError:
        return 0  # unknown: unfit


def title_fits(title: str) -> bool:
    """Whether `<title> <role> --title=<title>` fits where setproctitle writes it: argv and environ as
    this process started (it cuts a longer title short, and then nothing finds the cluster)."""
    try:
        with open("/proc/self/cmdline", "rb") as cmdline, open("/proc/self/environ", "rb") as environ:
            room = len(cmdline.read()) + len(environ.read())
    except OSError:
        return False
    # the zygote and the children it forks write theirs over the same room: the longest is a worker's
    longest = f"{title} worker {MAX_WORKER_ID} --title={title}"
    return len(longest.encode()) + 1 < room


def become_master(options: ClusterOptions) -> NoReturn:
    """Run the master in this process, as `exec` of `python -m eggbin.cluster` would; exits."""
    from eggbin.cluster.__main__ import run
    from eggbin.cluster.start_trace import mark

    mark("cli", "becomes the master")
    blob = master_blob(options, -1)
    _as_new_interpreter(blob)
    run(blob)
    raise SystemExit(0)  # pragma: no cover - run exits


def fork_master(
    options: ClusterOptions,
    *,
    new_session: bool = False,
    stdin: int | None = subprocess.DEVNULL,
    stdout: int | None = None,
    stderr: int | None = None,
) -> tuple[ForkedMaster, Channel]:
    """`process.spawn_module("eggbin.cluster", …)`'s contract, by a fork of this process."""
    parent_end, child_end = socket.socketpair(socket.AF_UNIX, socket.SOCK_STREAM)
    blob = master_blob(options, child_end.fileno())
    sys.stdout.flush()  # what is buffered is the parent's to write, not the child's too
    sys.stderr.flush()
    pid = os.fork()
    if pid == 0:  # pragma: no cover - the fork's side (covered by the tests' real starts, in the fork)
        _run_forked(blob, child_end.fileno(), new_session, stdin, stdout, stderr)
    child_end.close()
    from eggbin.cluster.start_trace import mark

    mark("cli", "forked the master")
    return ForkedMaster(pid), Channel(parent_end)


def _run_forked(
    blob: str, channel_fd: int, new_session: bool, stdin: int | None, stdout: int | None, stderr: int | None
) -> NoReturn:
    """The fork's side: the stdio and session asked for, nothing else of the parent's, then the master."""
    from eggbin.cluster.process import run_and_exit

    def master() -> None:
        if new_session:
            os.setsid()
        _redirect(stdin, stdout, stderr)
        _drop_inherited_fds(keep=(0, 1, 2, channel_fd))
        from eggbin.cluster.__main__ import run

        _as_new_interpreter(blob)
        run(blob)

    run_and_exit(master)


def _redirect(stdin: int | None, stdout: int | None, stderr: int | None) -> None:
    """`Popen`'s stdin/stdout/stderr: None inherits, `subprocess.DEVNULL` is /dev/null, else an fd."""
    for target, source in ((0, stdin), (1, stdout), (2, stderr)):
        if source is None:
            continue
        if source == subprocess.DEVNULL:
            null = os.open(os.devnull, os.O_RDWR)
            os.dup2(null, target)
            os.close(null)
        elif source != target:
            os.dup2(source, target)


def _drop_inherited_fds(keep: tuple[int, ...]) -> None:
    """Every other fd of the parent's (a start lock, a log file, its end of the channel) points at
    /dev/null from now on: its file is released, and the number stays taken, so that an object of the
    parent's closing it later cannot close a file of the master's that reused it."""
    null = os.open(os.devnull, os.O_RDWR | os.O_CLOEXEC)
    for name in os.listdir("/proc/self/fd"):
        fd = int(name)
        if fd in keep or fd == null:
            continue
        try:
            os.dup2(null, fd, inheritable=False)
        except OSError:  # the fd of the listing itself, closed by now
            continue
    os.close(null)


def _as_new_interpreter(blob: str) -> None:
    """What `python -m eggbin.cluster` would start with that this process may differ in."""
    for signum in STOP_SIGNALS:  # the CLI's own handlers (dev's Ctrl-C recorder) are not the master's
        signal.signal(signum, signal.default_int_handler if signum == signal.SIGINT else signal.SIG_DFL)
    for name in [n for n in sys.modules if n.startswith(UNIT_PREFIX)]:
        del sys.modules[name]  # the app's config files, imported by the CLI's preview
    sys.path[0] = os.getcwd()  # `-m` puts the working directory first, not the console script's
    from eggbin.cluster import __main__ as entry

    sys.argv = [entry.__file__, blob]


class ForkedMaster:
    """`subprocess.Popen`'s pid/poll/wait/returncode for a forked master (waited for on a pidfd)."""

    def __init__(self, pid: int) -> None:
        self.pid = pid
        self.returncode: int | None = None
        self.args = ["eggbin.cluster"]

    def poll(self) -> int | None:
        if self.returncode is None:
            try:
                pid, status = os.waitpid(self.pid, os.WNOHANG)
            except ChildProcessError:  # reaped by someone else: its code is lost
                self.returncode = 255
                return self.returncode
            if pid:
                self.returncode = os.waitstatus_to_exitcode(status)
        return self.returncode

    def wait(self, timeout: float | None = None) -> int:
        if self.poll() is not None:
            return self.returncode  # type: ignore[return-value]
        deadline = None if timeout is None else time.monotonic() + timeout
        pidfd = os.pidfd_open(self.pid)
        try:
            while self.poll() is None:
                left = None if deadline is None else deadline - time.monotonic()
                if left is not None and left <= 0:
                    raise subprocess.TimeoutExpired(self.args, timeout or 0)
                select.select([pidfd], [], [], left)
        finally:
            os.close(pidfd)
        return self.returncode  # type: ignore[return-value]
