"""Files only the app's own user may read: `run/` and the logs (directories 0700, files 0600).

`run/` holds the cluster's state, the config dumps and the cluster client's sockets; a log holds
whatever a request carried. Other local users are not trusted (SECURITY.md): they get nothing to
read there, and no way to plant a file where eggbin would read, follow or connect to it.
"""

from __future__ import annotations

import functools
import os
import stat
import sys
from pathlib import Path

TYPE_CHECKING = False  # not `typing.TYPE_CHECKING`: the CLI imports this module
if TYPE_CHECKING:
    from collections.abc import Callable

DIR_MODE = 0o700
FILE_MODE = 0o600
OTHERS = 0o077
AT_FDCWD = -100
RENAME_EXCHANGE = 2


def private_dir(path: Path, *, tighten: bool = False) -> Path:
    """`path` as a directory, created 0700 (parents as usual); `tighten` also closes one we already own.

    Log directories are created private but left as found (an operator may open one to a log
    shipper's group); `run/` is always tightened, nobody else has business there.
    """
    path.mkdir(mode=DIR_MODE, parents=True, exist_ok=True)
    if tighten:
        info = os.stat(path)
        if info.st_uid == os.getuid() and info.st_mode & OTHERS:
            os.chmod(path, stat.S_IMODE(info.st_mode) & ~OTHERS)
    return path


def open_private(path: Path, flags: int) -> int:
    """`os.open` creating the file 0600; never follows a symlink planted at `path`."""
    return os.open(path, flags | os.O_CREAT | os.O_CLOEXEC | os.O_NOFOLLOW, FILE_MODE)


def write_private(path: Path, text: str) -> None:
    """Replace `path` atomically with a 0600 file holding `text` (readers see the old or the new file)."""
    temp = path.with_name(f".{path.name}.{os.getpid()}.tmp")
    with os.fdopen(open_private(temp, os.O_WRONLY | os.O_TRUNC), "w", encoding="utf-8") as file:
        file.write(text)
    if exchange(temp, path):
        os.unlink(temp)  # the old file, now under the temporary name
    else:
        os.replace(temp, path)


def exchange(first: Path, second: Path) -> bool:
    """Swap two existing files atomically (Linux `renameat2(RENAME_EXCHANGE)`); False where it cannot.

    A rename over an existing file makes ext4 flush the new file's data first (`auto_da_alloc`, ~0.13 ms
    a write here; the state file is written on the way to egg-ready): an exchange and an unlink do not.
    What is lost is the guard against an empty file after a power cut, for files that describe running
    processes.
    """
    renameat2 = _renameat2()
    if renameat2 is None:
        return False
    return renameat2(AT_FDCWD, os.fsencode(first), AT_FDCWD, os.fsencode(second), RENAME_EXCHANGE) == 0


@functools.cache
def _renameat2() -> Callable[..., int] | None:
    """libc's `renameat2`, None off Linux or without it (then a plain rename does)."""
    if not sys.platform.startswith("linux"):
        return None
    import ctypes

    try:
        return ctypes.CDLL(None, use_errno=True).renameat2
    except (OSError, AttributeError):
        return None
