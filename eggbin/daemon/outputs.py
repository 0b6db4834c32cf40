"""The detached master's stdout and stderr files (egg-scripts' `~/logs/master-std{out,err}.log`).

Each start gets a file of its own: under an exclusive lock on the directory, the file at the path is
kept under a unique timestamped name if it holds a previous run's lines or a live master still writes
it (two apps started at once with the default paths), and a new one is created. The starting CLI
keeps its descriptor and reads its own master's output through it (a stderr tail, the path it has
now), so neither a start in the same second nor a racing one can swap logs with it.
"""

from __future__ import annotations

import contextlib
import fcntl
import os
import stat
import time
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

from eggbin.errors import EggbinError
from eggbin.private_files import open_private, private_dir

TAIL_BYTES = 64 * 1024


@dataclass
class Output:
    """One opened output file of this start."""

    fd: int
    opened_as: Path

    @property
    def path(self) -> Path:
        """Where the file is now (a later start may have kept it under a timestamped name)."""
        with contextlib.suppress(OSError):
            return Path(os.readlink(f"/proc/self/fd/{self.fd}"))
        return self.opened_as

    def size(self) -> int:
        return os.fstat(self.fd).st_size

    def tail(self, lines: int) -> str:
        """The last `lines` lines this start's master wrote, `\\n`-prefixed; empty if none."""
        size = self.size()
        data = os.pread(self.fd, TAIL_BYTES, max(0, size - TAIL_BYTES)).decode(errors="replace").rstrip()
        return "\n" + "\n".join(data.splitlines()[-lines:]) if data else ""

    def close(self) -> None:
        with contextlib.suppress(OSError):
            os.close(self.fd)


def open_output(path: Path) -> Output:
    """A fresh file at `path` for this start's master; a one-line error if it cannot be written."""
    try:
        private_dir(path.parent)
        with _locked(path.parent):
            if _in_use_or_written(path):
                path.rename(kept_name(path))
            fd = open_private(path, os.O_RDWR | os.O_APPEND)
            # in use while this start or its master (which inherits the descriptor) lives
            fcntl.flock(fd, fcntl.LOCK_SH | fcntl.LOCK_NB)
            return Output(fd, path)
    except OSError as exc:
        raise EggbinError(
            f"cannot write the master's log `{path}`: {exc.strerror}",
            hint="make that directory writable by this user, or pass --stdout and --stderr",
        ) from None


def kept_name(path: Path) -> Path:
    """`master-stderr.log.20260101-120000`, then `.1`, `.2` … within the same second."""
    stamped = path.with_name(f"{path.name}.{time.strftime('%Y%m%d-%H%M%S')}")
    candidate, counter = stamped, 0
    while os.path.lexists(candidate):
        counter += 1
        candidate = stamped.with_name(f"{stamped.name}.{counter}")
    return candidate


def _in_use_or_written(path: Path) -> bool:
    try:
        info = os.lstat(path)
    except FileNotFoundError:
        return False
    if not stat.S_ISREG(info.st_mode):
        raise EggbinError(f"`{path}` is not a regular file", hint="pass --stdout and --stderr")
    if info.st_size > 0:
        return True
    fd = os.open(path, os.O_RDONLY | os.O_CLOEXEC | os.O_NOFOLLOW)
    try:
        fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
    except BlockingIOError:
        return True  # an empty file another start or its master still holds
    finally:
        os.close(fd)
    return False


@contextlib.contextmanager
def _locked(directory: Path) -> Iterator[None]:
    """Every start rotating in `directory` takes turns (a flock on the directory itself)."""
    fd = os.open(directory, os.O_RDONLY | os.O_CLOEXEC)
    try:
        fcntl.flock(fd, fcntl.LOCK_EX)
        yield
    finally:
        os.close(fd)
