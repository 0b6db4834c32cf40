"""eggbin's own load units (`eggbin/web/builtin`: eggbin's unit and its plugins), listed once per process.

Every boot asks each unit whether its conventional files exist (`config/<env>.py`, `app/extend/<x>.py`,
`app/middleware/<name>.py`, `app.py`, ...) and walks its `app/` directories: for eggbin's own units that
is ~200 `stat` calls and ~50 directory scans per boot, the same in every process. Here they are answered
from one walk of eggbin's tree, made by the zygote before it forks (`eggbin.cluster.zygote_preload`: no
worker repeats it) or at a process's first boot. Any other unit's files are asked of the file system as
before. eggbin's files change only with eggbin itself, whose modules a running process holds anyway.
"""

from __future__ import annotations

import functools
import os
from pathlib import Path

from eggbin.web.units import EGGBIN_PATH

ROOT = str(EGGBIN_PATH)
INSIDE = ROOT + os.sep


@functools.cache
def listing() -> tuple[dict[str, Path], dict[str, tuple[Path, ...]]]:
    """The `.py` files of eggbin's own tree (`__pycache__` aside), by path string, and for each of its
    directories the public modules under it (no leading `_`), sorted: their paths are made once, here."""
    files: dict[str, Path] = {}
    modules: dict[str, list[Path]] = {}
    for directory, subdirectories, names in os.walk(ROOT):
        subdirectories[:] = [name for name in subdirectories if name != "__pycache__"]
        modules.setdefault(directory, [])
        for name in names:
            if name.endswith(".py"):
                files[os.path.join(directory, name)] = path = Path(directory, name)
                above = directory
                while not name.startswith("_") and _own(above):  # the directory and each one up to the root
                    modules[above].append(path)
                    above = os.path.dirname(above)
    return files, {directory: tuple(sorted(found)) for directory, found in modules.items()}


def _own(name: str) -> bool:
    return name.startswith(INSIDE) or name == ROOT


def existing(root: Path, *parts: str) -> Path | None:
    """`root.joinpath(*parts)` if that file exists, else None; a `.py` file of eggbin's own tree is looked
    up by its name alone (most of a boot's candidates there do not exist: no path is made for them)."""
    name = str(root)
    if _own(name) and parts[-1].endswith(".py"):
        return listing()[0].get(os.sep.join((name, *parts)))
    path = root.joinpath(*parts)
    return path if path.is_file() else None


def is_dir(path: Path) -> bool:
    """`path.is_dir()`, for a directory of eggbin's own tree from its listing."""
    name = str(path)
    if _own(name):
        return name in listing()[1]
    return path.is_dir()


def resolved(directory: Path) -> Path:
    """`directory.resolve()`; a directory of eggbin's own tree (walked from its resolved root, never
    through a symlink) is already resolved: no `lstat` of each of its components."""
    return directory if str(directory) in listing()[1] else directory.resolve()


def python_files(directory: Path) -> list[Path]:
    """The modules under `directory`, sorted, skipping private files and caches."""
    name = str(directory)
    if not _own(name):
        return sorted(_walked_modules(directory, name))
    return list(listing()[1].get(name, ()))


def _walked_modules(directory: Path, name: str) -> list[Path]:
    """What `directory.rglob("*.py")` finds (any entry so named, symlinked directories not entered),
    public and outside `__pycache__`, from `os.walk`: a path made only for a module, no glob pattern
    compiled, no `Path` for each directory (~1 ms of a worker's boot, most of it copy-on-write)."""
    found, below = [], len(os.path.join(name, ""))
    for parent, subdirectories, names in os.walk(name):
        for entry in (*subdirectories, *names):
            if entry.endswith(".py") and not entry.startswith("_"):
                found.append(directory.joinpath(parent[below:], entry))
        subdirectories[:] = [entry for entry in subdirectories if entry != "__pycache__"]
    return found
