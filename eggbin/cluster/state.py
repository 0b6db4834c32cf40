"""`run/cluster.json`: what a running master tells `eggscripts stop/status` about itself.

The master holds an exclusive `flock` on `run/cluster.lock` for its whole life, and rewrites
`run/cluster.json` atomically (write a temp file, then rename) whenever a pid changes. A reader
trusts the JSON only while the lock is held: a file left by a master killed with -9 reads as stale.
Both files are removed when the master exits. `run/` is 0700 and both files 0600.

Even a live file is a claim, not a proof: before signalling the pid it names, `eggscripts` checks
that the process is this app's master (title, start time, holding this lock; eggbin/daemon/locate.py).
`started_at` is the master's process start time as psutil computes it (boot time + start ticks).
"""

from __future__ import annotations

import errno
import fcntl
import json
import os
import stat
import time
from pathlib import Path
from typing import Any

from eggbin.cluster.pidfile import PidFile
from eggbin.errors import EggbinError
from eggbin.private_files import open_private, private_dir, write_private

STATE_FILE = "cluster.json"
LOCK_FILE = "cluster.lock"
FIX = "delete it if no cluster runs"
REQUIRED = {
    "master_pid": int,
    "port": int,
    "title": str,
    "base_dir": str,
    "started_at": float,
    "workers": list,
}


def snapshot(
    options: Any,
    info: dict[str, Any],
    agent: Any,
    workers: list[Any],
    restarts: dict[int, int],
    started_at: float,
    state: str,
    reloads: dict[str, Any] | None = None,
) -> dict[str, Any]:
    """What the master writes: its pids, where it listens, and each worker with its restarts."""
    return {
        "master_pid": os.getpid(),
        "agent_pid": agent.pid if agent else None,
        "workers": [
            {
                "id": w.id,
                "pid": w.pid,
                "restarts": restarts.get(w.id, 0),
                "ready": w.ready,
                "retiring": w.retiring,
            }
            for w in workers
        ],
        "port": info["port"],
        "address": info["address"],
        "env": options.env,
        "title": options.title,
        "base_dir": options.base_dir,
        "started_at": started_at,
        "state": state,
        "agent_close_timeout": options.agent_close_timeout,
        **(reloads or {}),
    }


def process_started_at(pid: int | str = "self") -> float:
    """When process `pid` started, in epoch seconds, exactly as psutil's `create_time()` says it."""
    try:
        with open(f"/proc/{pid}/stat", "rb") as stat_file:
            fields = stat_file.read().rpartition(b")")[2].split()
        with open("/proc/stat", "rb") as system:
            boot = next(int(line.split()[1]) for line in system if line.startswith(b"btime"))
    except (OSError, StopIteration, IndexError, ValueError):
        return time.time()  # no procfs: the master's own clock, close enough for a human
    return boot + int(fields[19]) / os.sysconf("SC_CLK_TCK")  # field 22: start time in ticks


NOT_OURS = "no eggbin master made it: remove it, then start again"


class ClusterRunningError(EggbinError):
    """Another master already holds this app's state lock."""


def run_dir(base_dir: str | Path) -> Path:
    return Path(base_dir) / "run"


class StateLock:
    """The master's side: hold the lock, write the state, clean up at exit."""

    def __init__(self, base_dir: str | Path, pid_file: str | None = None) -> None:
        self.dir = run_dir(base_dir)
        self.fd = -1
        self.pid_file = PidFile(Path(pid_file)) if pid_file else None

    def acquire(self) -> None:
        """Take the lock (and the pid file), or raise naming the master that holds it."""
        private_dir(self.dir, tighten=True)
        lock = self.dir / LOCK_FILE
        try:  # without blocking: a FIFO planted there is refused below, not waited on
            self.fd = open_private(lock, os.O_RDWR | os.O_NONBLOCK)
        except OSError as exc:  # a symlink (never followed), a directory, another user's file...
            planted = exc.errno in (errno.ELOOP, errno.EISDIR)
            message = f"cannot take the app's lock `{lock}`: {exc.strerror}"
            raise EggbinError(message, hint=NOT_OURS if planted else None) from None
        if not stat.S_ISREG(os.fstat(self.fd).st_mode):  # a lock on it would hide this master from `stop`
            os.close(self.fd)
            self.fd = -1
            raise EggbinError(f"the app's lock `{lock}` is not a regular file", hint=NOT_OURS)
        try:
            fcntl.flock(self.fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except BlockingIOError:
            os.close(self.fd)
            self.fd = -1
            holder = read_state(self.dir.parent)
            pid = holder["master_pid"] if holder else "?"
            raise ClusterRunningError(
                f"a cluster of this app is already running (master pid {pid}, `{self.dir / STATE_FILE}`)",
                hint="stop it first with `eggscripts stop`",
            ) from None
        if self.pid_file is not None:  # written once we own the app, removed when we let go of it
            try:
                self.pid_file.claim()
            except (EggbinError, OSError):
                self.release()
                raise

    def write(self, state: dict[str, Any]) -> None:
        """Replace the state file atomically: readers see the old or the new file, never half of one."""
        write_private(self.dir / STATE_FILE, json.dumps(state, indent=2))

    def release(self) -> None:
        if self.fd < 0:
            return
        for path in (self.dir / STATE_FILE, self.dir / LOCK_FILE):
            path.unlink(missing_ok=True)
        if self.pid_file is not None:
            self.pid_file.release()
        os.close(self.fd)
        self.fd = -1


def is_locked(base_dir: str | Path) -> bool:
    """True while a live master holds the lock of the app in `base_dir`."""
    lock = run_dir(base_dir) / LOCK_FILE
    try:  # not a FIFO planted there (an open would wait for a writer), nor a symlink
        fd = os.open(lock, os.O_RDONLY | os.O_CLOEXEC | os.O_NONBLOCK | os.O_NOFOLLOW)
    except OSError:
        return False  # none, or nothing a master made: its start replaces it, or says why not
    try:
        if not stat.S_ISREG(os.fstat(fd).st_mode):
            return False
        fcntl.flock(fd, fcntl.LOCK_SH | fcntl.LOCK_NB)
    except BlockingIOError:
        return True
    finally:
        os.close(fd)
    return False


def read_state(base_dir: str | Path) -> dict[str, Any] | None:
    """The parsed state file, or None if there is none; raises if it is malformed."""
    path = run_dir(base_dir) / STATE_FILE
    try:
        text = path.read_text()
    except FileNotFoundError:
        return None
    try:
        state = json.loads(text)
    except json.JSONDecodeError as exc:
        raise EggbinError(f"`{path}` is not valid JSON: {exc}", hint=FIX) from exc
    validate_state(state, path)
    return dict(state)


def validate_state(state: Any, path: Path) -> None:
    if not isinstance(state, dict):
        raise EggbinError(f"`{path}` does not hold a JSON object", hint=FIX)
    for key, kind in REQUIRED.items():
        value = state.get(key)
        if not isinstance(value, kind) and not (kind is float and isinstance(value, int)):
            raise EggbinError(
                f"`{path}` has no valid `{key}` (expected {kind.__name__})",
                hint=FIX,
            )
