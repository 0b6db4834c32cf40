"""`--pid-file`: the master's pid, written once it owns the app, removed when it lets go.

A pid file is only ever replaced when it is ours to replace: missing, or holding the pid of a process
that is gone (left by a master killed with -9). Anything else (a file that is not a pid file, a
symlink, the pid of a live process) is refused before a byte is written, and on exit the file is
removed only while it still names this master.
"""

from __future__ import annotations

import contextlib
import os
import re
import stat
from pathlib import Path

from eggbin.errors import EggbinError

_PID = re.compile(r"\s*(\d+)\s*")
MAX_SIZE = 64


class PidFileError(EggbinError):
    """`--pid-file` names a file eggbin must not overwrite."""


def is_alive(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:  # alive, another user's
        return True
    return True


def check_pid_file(path: Path) -> None:
    """Raise unless `path` is missing or a stale pid file (its process is gone)."""
    try:
        info = os.lstat(path)
    except FileNotFoundError:
        return
    refuse = f"refusing to overwrite --pid-file `{path}`"
    if not stat.S_ISREG(info.st_mode):
        raise PidFileError(f"{refuse}: it is not a regular file", hint="pass a path of its own")
    with open(path, "rb") as file:
        text = file.read(MAX_SIZE + 1)
    found = _PID.fullmatch(text.decode(errors="replace")) if len(text) <= MAX_SIZE else None
    if found is None:
        raise PidFileError(f"{refuse}: it does not hold a pid", hint="pass a path of its own")
    pid = int(found[1])
    if pid != os.getpid() and is_alive(pid):
        raise PidFileError(
            f"{refuse}: it names pid {pid}, which is running", hint="stop that process or pass another path"
        )


class PidFile:
    """The master's pid file: claimed after the state lock, released at exit."""

    def __init__(self, path: Path) -> None:
        self.path = path

    def claim(self) -> None:
        check_pid_file(self.path)
        try:
            self._write()
        except OSError as exc:
            raise PidFileError(f"cannot write --pid-file `{self.path}`: {exc.strerror}") from None

    def _write(self) -> None:
        self.path.parent.mkdir(parents=True, exist_ok=True)
        temp = self.path.with_name(f".{self.path.name}.{os.getpid()}.tmp")
        with contextlib.suppress(FileNotFoundError):
            temp.unlink()
        # O_EXCL | O_NOFOLLOW: the directory may be shared (/run, /tmp); never write through a planted link
        flags = os.O_WRONLY | os.O_CREAT | os.O_EXCL | os.O_NOFOLLOW | os.O_CLOEXEC
        with os.fdopen(os.open(temp, flags, 0o644), "w") as file:
            file.write(f"{os.getpid()}\n")
        os.replace(temp, self.path)

    def release(self) -> None:
        """Remove the file if it still names this process (nobody replaced it meanwhile)."""
        with contextlib.suppress(OSError):
            if self.path.read_text().strip() == str(os.getpid()):
                self.path.unlink()
