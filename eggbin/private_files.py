"""Files only the app's own user may read: `run/` and the logs (directories 0700, files 0600).

`run/` holds the cluster's state, the config dumps and the cluster client's sockets; a log holds
whatever a request carried. Other local users are not trusted (SECURITY.md): they get nothing to
read there, and no way to plant a file where eggbin would read, follow or connect to it.
"""

from __future__ import annotations

import os
import stat
from pathlib import Path

DIR_MODE = 0o700
FILE_MODE = 0o600
OTHERS = 0o077


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
    os.replace(temp, path)
