"""Spawning the roles, process titles and the parent-death rule."""

from __future__ import annotations

import contextlib
import ctypes
import functools
import os
import select
import signal
import socket
import subprocess
import sys
import time
from collections.abc import Callable
from typing import NoReturn, Protocol

from msgspec import Struct, field

from eggbin.cluster.channel import Channel, Message

PR_SET_PDEATHSIG = 1
ADOPTION_TIMEOUT = 2.0  # seconds a forked child waits to be re-parented to the master


class ChildProcess(Protocol):
    """What the master needs of a child's process: a `subprocess.Popen`, or a zygote's `ForkedChild`."""

    pid: int

    def poll(self) -> int | None: ...


class Child(Struct):
    """The master's view of one agent or worker."""

    role: str
    id: int
    popen: ChildProcess
    channel: Channel
    ready: bool = False
    boot_error: str | None = None
    phase: str | None = None  # the boot phase it reported last (`did_load /app/app.py`)
    phase_since: float = 0.0  # when it reported it (monotonic)
    phase_told: bool = False  # the master's parent heard of it (it lasted: `Master.tell_lasting_phases`)
    retiring: bool = False  # told to stop by the master: its exit is no crash
    killed: bool = False  # SIGKILLed by the master (a stop deadline, a missed heartbeat)
    paused: bool = False  # stopped in pdb (eggbin/cluster/breakpoints.py) until it speaks again
    kill_at: float | None = None  # retiring: SIGKILL if still alive then
    started_at: float = field(default_factory=time.monotonic)
    last_seen: float = field(default_factory=time.monotonic)
    restarts: int = 0

    @property
    def pid(self) -> int:
        return self.popen.pid

    @property
    def label(self) -> str:
        return "agent" if self.role == "agent" else f"worker#{self.id}:{self.pid}"

    def describe_exit(self, code: int) -> str:
        """`exited with code 3`, `killed by SIGSEGV`: see `describe_exit`."""
        return describe_exit(code, killed_by_master=self.killed)

    def send(self, message: Message) -> bool:
        return self.channel.send(message)

    def signal(self, signum: int) -> None:
        if self.popen.poll() is None:
            with contextlib.suppress(ProcessLookupError):
                os.kill(self.pid, signum)


def describe_exit(code: int, killed_by_master: bool = False) -> str:
    """How a child ended, for a log line: `exited with code 3`, `killed by SIGSEGV`.

    `Popen` and `ForkedChild` report death by a signal as minus its number; SIGKILL that the master did
    not send is most often the kernel's OOM killer, hence the hint.
    """
    if code >= 0:
        return f"exited with code {code}"
    try:
        name = signal.Signals(-code).name
    except ValueError:
        return f"killed by signal {-code}"
    oom = -code == signal.SIGKILL and not killed_by_master
    hint = " (out of memory? see `dmesg`)" if oom else ""
    return f"killed by {name}{hint}"


def spawn_module(
    module: str,
    blob_for: object,
    *,
    pass_fds: tuple[int, ...] = (),
    new_session: bool = False,
    stdin: int | None = subprocess.DEVNULL,
    stdout: int | None = None,
    stderr: int | None = None,
    python: str | None = None,
    flags: tuple[str, ...] = (),
    greeting: bytes = b"",
) -> tuple[subprocess.Popen[bytes], Channel]:
    """Start `python <flags> -m <module> <blob>` with a channel; `blob_for(child_fd)` renders the options;
    `greeting` (encoded messages) is in the channel before the child starts.

    `python` defaults to this interpreter; the master's children always run on the master's. stdin is
    /dev/null unless `stdin=None` (inherit: the terminal of `eggbin dev`, see eggbin/cluster/breakpoints.py).
    """
    parent_end, child_end = socket.socketpair(socket.AF_UNIX, socket.SOCK_STREAM)
    blob = blob_for(child_end.fileno())  # type: ignore[operator]
    try:
        parent_end.sendall(greeting)
        popen = subprocess.Popen(
            [python or sys.executable, *flags, "-m", module, blob],
            pass_fds=(child_end.fileno(), *pass_fds),
            start_new_session=new_session,
            stdin=stdin,
            stdout=stdout,
            stderr=stderr,
        )
    finally:
        child_end.close()
    return popen, Channel(parent_end)


def set_title(title: str, role: str) -> None:
    """`<title> <role> --title=<title>`: unique and matched on the whole cmdline, never on comm."""
    import setproctitle

    setproctitle.setproctitle(f"{title} {role} --title={title}")


def die_with_parent(master_pid: int, forked_by: int = 0) -> None:
    """Be SIGKILLed the moment the master dies, even by SIGKILL: no orphan ever keeps the port.

    A child the zygote forked (`forked_by`: its middle process) first waits to be re-parented to the
    master, its subreaper: the middle exits once it forked the batch's last child, and the signal is
    bound to the parent at the time of the call.
    """
    if forked_by and os.getppid() == forked_by:
        wait_adopted(forked_by, time.monotonic() + ADOPTION_TIMEOUT)
    if sys.platform.startswith("linux"):
        _libc().prctl(PR_SET_PDEATHSIG, signal.SIGKILL, 0, 0, 0)
    if os.getppid() != master_pid:  # the master died before prctl took effect
        os._exit(1)


def wait_adopted(forked_by: int, deadline: float) -> None:
    """Until the middle process `forked_by` has exited (this process is then the master's) or `deadline`:
    woken by its pidfd the moment it exits (the kernel re-parents its children first), polled where
    there is none."""
    try:
        pidfd = os.pidfd_open(forked_by)
    except (AttributeError, OSError):  # no pidfd, or already gone (and reaped)
        pidfd = -1
    if pidfd >= 0:
        try:
            if os.getppid() == forked_by:  # opened while it was still the parent: the pidfd is its
                exited = select.poll()
                exited.register(pidfd, select.POLLIN)
                exited.poll(max(0, int((deadline - time.monotonic()) * 1000)))
        finally:
            os.close(pidfd)
    while os.getppid() == forked_by and time.monotonic() < deadline:
        time.sleep(0.001)  # no pidfd (before Linux 5.3)


@functools.cache
def _libc() -> ctypes.CDLL:
    """The C library's handle, opened once: the zygote's, inherited by every child it forks."""
    return ctypes.CDLL(None, use_errno=True)


def run_and_exit(body: Callable[[], object]) -> NoReturn:
    """A fork's whole life: run `body`, then leave by `os._exit` with its exit code (0, `SystemExit`'s,
    or 1 with the traceback printed), logging and stdio flushed first. Never back into the parent's
    frames (the zygote's loop, the CLI's) nor its exit handlers."""
    code = 0
    try:
        body()
    except SystemExit as exc:
        code = exc.code if isinstance(exc.code, int) else (0 if exc.code is None else 1)
    except BaseException:
        import traceback

        traceback.print_exc()
        code = 1
    finally:
        with contextlib.suppress(Exception):
            if "logging" in sys.modules:
                sys.modules["logging"].shutdown()
            sys.stdout.flush()
            sys.stderr.flush()
    os._exit(code)


def reap_orphans(known: set[int]) -> None:
    """Reap exited processes that are not in `known` (the master's own children and its zygote).

    A subreaper (the master with a zygote) or PID 1 (the master exec'd as a container's CMD) inherits
    every orphaned descendant: a worker's own subprocess when the worker dies first, debugpy's adapter,
    anything re-parented inside the namespace. Nobody else will wait for them. Peeking with WNOWAIT
    leaves a known child's exit status to its own `poll()`.
    """
    while True:
        try:
            info = os.waitid(os.P_ALL, 0, os.WEXITED | os.WNOHANG | os.WNOWAIT)
        except ChildProcessError:
            return
        if info is None or info.si_pid in known:
            return
        os.waitpid(info.si_pid, 0)
