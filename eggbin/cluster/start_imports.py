"""Where the modules of every start are, found once: the master's and the zygote's imports skip the search.

The path-based finder (`importlib.machinery.PathFinder`) looks every module up anew: a top-level name in
each `sys.path` directory in turn, a submodule in its package's, checking each directory's mtime and the
candidate files. That is ~50 µs a module, ~18 ms of the ~140 ms of imports before a worker can fork.

`StartImports`, just before PathFinder in `sys.meta_path` while the master and the zygote import (`install`
to `finish`), answers a (name, search path) that PathFinder answered at an earlier start with the spec
PathFinder made then: the same loader class for the same file, the same package directory. It keeps them in
eggbin's private per-user cache (`eggbin.private_cache`, kind `imports`). Any other name it asks
PathFinder, and records the answer when it is a module or regular package in one file, or nothing (a name
looked for in vain is looked for again only once a directory searched changed); the zygote (or a
master without one) writes the entry once its imports are done, when something was new
(`eggbin.cluster.start_caches`).

An entry is used only while everything PathFinder's answers depend on is as it was: the interpreter,
`sys.path` (and the working directory, for an empty entry), the finders before PathFinder and the path
hooks (the entry's key), and every directory searched, `sys.path`'s and the recorded packages', each by its
mtime, inode and device (adding, removing or renaming a file in a directory changes its mtime: what
PathFinder's own directory cache relies on). A file an entry names must be where the search would have
looked for that name. A module's code is still loaded by its loader, which checks bytecode against source.
"""

from __future__ import annotations

import marshal
import os
import sys
from importlib.machinery import (
    BYTECODE_SUFFIXES,
    EXTENSION_SUFFIXES,
    SOURCE_SUFFIXES,
    ExtensionFileLoader,
    PathFinder,
    SourceFileLoader,
    SourcelessFileLoader,
)
from importlib.util import spec_from_file_location

from eggbin.cluster.start_trace import mark
from eggbin.private_cache import PrivateCache

TYPE_CHECKING = False  # not `typing.TYPE_CHECKING`: imported by the master before its other imports
if TYPE_CHECKING:
    from collections.abc import Iterable, Sequence
    from importlib.machinery import ModuleSpec
    from typing import Any

    # [the search path (None: sys.path), the file, its loader's kind, is a package]; a name not found:
    # [the search path, None, MISSING, False]
    Found = list[Any]
    Spec = ModuleSpec | None

LOADERS: dict[str, tuple[type, list[str]]] = {  # a kind: its loader class and file suffixes
    "source": (SourceFileLoader, SOURCE_SUFFIXES),
    "extension": (ExtensionFileLoader, EXTENSION_SUFFIXES),
    "sourceless": (SourcelessFileLoader, BYTECODE_SUFFIXES),
}
KINDS = {loader: kind for kind, (loader, _) in LOADERS.items()}
# PathFinder found nothing (`nt`, `_winapi`, `msvcrt`, optional libraries, ~10 names a start): answered None
# at once, as PathFinder itself, next in `sys.meta_path`, then answers again (it searched twice before)
MISSING = "missing"
CACHE = PrivateCache("imports", "eggbin-start-imports-2")
_installed: list[StartImports] = []  # the finder in `sys.meta_path` (a fork inherits it), until `finish`


class StartImports:
    """The finder: what PathFinder found at an earlier start (`known`), and what it finds now (`found`)."""

    def __init__(self, key: str, known: dict[str, Found]) -> None:
        self.key = key
        self.known = known
        self.found: dict[str, Found] = {}
        self.path = list(sys.path)  # as the key holds it: a top-level name is answered only while unchanged
        self.top_level = set(search_directories(None))

    def find_spec(self, name: str, path: Sequence[str] | None = None, target: Any = None) -> Spec:
        where = None if path is None else list(path)
        known = self.known.get(name)
        if known is not None and known[0] == where and self.searched(name, known):
            _, file, kind, package = known
            if kind == MISSING:
                return None
            loader = LOADERS[kind][0](name, file)
            locations = [os.path.dirname(file)] if package else None
            return spec_from_file_location(name, file, loader=loader, submodule_search_locations=locations)
        spec = PathFinder.find_spec(name, path, target)
        found = recorded(spec, where)
        if found is not None:
            self.found[name] = found
        return spec

    def searched(self, name: str, known: Found) -> bool:
        """Whether the file is one the search would look at for `name`: in a directory searched, named
        after it (`tail.py`, `tail/__init__.py`...) with a suffix of its loader."""
        where, file, kind, package = known
        if where is None and sys.path != self.path:
            return False
        if kind == MISSING:  # looked for in the same directories, which are as they were
            return True
        directory, _, base = file.rpartition(os.sep)
        stem = name.rpartition(".")[2]
        if package:
            directory, _, folder = directory.rpartition(os.sep)
            if folder != stem:
                return False
            stem = "__init__"
        named = base.startswith(stem) and base[len(stem) :] in LOADERS[kind][1]
        return named and directory in (self.top_level if where is None else where)

    def invalidate_caches(self) -> None:
        """`importlib.invalidate_caches()`: a file written since may be what a name finds now."""
        self.known.clear()


def recorded(spec: ModuleSpec | None, where: list[str] | None) -> Found | None:
    """What to keep of PathFinder's answer: a module or a regular package in one file, loaded by one of
    the standard file loaders, as `StartImports.find_spec` makes it again, or nothing found; else None."""
    if spec is None:
        return [where, None, MISSING, False]
    if spec.origin is None or type(spec.loader) not in KINDS or spec.loader_state is not None:
        return None
    package = spec.submodule_search_locations is not None
    if package and list(spec.submodule_search_locations or ()) != [os.path.dirname(spec.origin)]:
        return None
    return [where, spec.origin, KINDS[type(spec.loader)], package]


def install() -> None:
    """Put the finder just before PathFinder, with what an earlier start found if it still holds."""
    if PathFinder not in sys.meta_path or _installed:
        return
    key = current_key()
    known = read_entry(key)
    mark("master", f"import index: {len(known)} known")
    finder = StartImports(key, known)
    sys.meta_path.insert(sys.meta_path.index(PathFinder), finder)
    _installed.append(finder)


def read_entry(key: str) -> dict[str, Found]:
    """What the entry for `key` holds while every directory searched is as it was; else nothing (an
    entry of another shape than `finish` writes is nothing too)."""
    body = CACHE.read_bytes(key)
    try:
        entry = marshal.loads(body) if body is not None else {}
        if not entry or entry["directories"] != directories_state(entry["directories"]):
            return {}
        return {name: found for name, found in entry["found"].items() if well_formed(found)}
    except (ValueError, EOFError, KeyError, TypeError, AttributeError):
        return {}


def well_formed(found: object) -> bool:
    """`[search path or None, file, loader kind, is a package]`, or a name not found, as `recorded` makes
    them."""
    if not isinstance(found, list) or len(found) != 4:
        return False
    where, file, kind, package = found
    searched = where is None or (isinstance(where, list) and all(isinstance(d, str) for d in where))
    if kind == MISSING:
        return searched and file is None and package is False
    return searched and isinstance(file, str) and kind in LOADERS and isinstance(package, bool)


def finish(*, save: bool) -> None:
    """Take the finder out of `sys.meta_path`; with `save`, keep what it found for the next start when
    something was new (after an install, an upgrade, a change to a directory searched)."""
    if not _installed:
        return
    finder = _installed.pop()
    if finder in sys.meta_path:
        sys.meta_path.remove(finder)
    if not save or not finder.found:
        return
    found = {**finder.known, **finder.found}
    searched = set(search_directories(None))
    searched.update(directory for where, *_ in found.values() if where is not None for directory in where)
    entry = {"directories": directories_state(sorted(searched)), "found": found}
    CACHE.write_bytes(finder.key, marshal.dumps(entry))


def current_key() -> str:
    """What PathFinder's answers depend on besides the contents of the directories it searches."""
    before = sys.meta_path[: sys.meta_path.index(PathFinder)]
    cwd = os.getcwd() if "" in sys.path else None  # what PathFinder searches for an empty entry
    finders = [_named(finder) for finder in before]
    parts = [sys.executable, sys.version, sys.implementation.cache_tag, cwd, sys.path, finders]
    return repr([*parts, [_named(hook) for hook in sys.path_hooks]])


def search_directories(where: list[str] | None) -> list[str]:
    """The directories a search in `where` looks in (None: `sys.path`, an empty entry the working one)."""
    return where if where is not None else [entry or os.getcwd() for entry in sys.path]


def directories_state(directories: Iterable[str]) -> dict[str, list[int] | None]:
    """Each directory's mtime, inode and device (None: missing), as an entry holds them."""
    state: dict[str, list[int] | None] = {}
    for directory in directories:
        try:
            info = os.stat(directory)
        except OSError:
            state[directory] = None
        else:
            state[directory] = [info.st_mtime_ns, info.st_ino, info.st_dev]
    return state


def _named(thing: object) -> str:
    """A finder or a path hook by its qualified name (a class, a function, or an instance's class)."""
    kind = thing if hasattr(thing, "__qualname__") else type(thing)
    return f"{getattr(kind, '__module__', '')}.{getattr(kind, '__qualname__', '')}"
