"""What `eggbin dev` watches, what it ignores, and which processes a change restarts.

Filtering happens at the watcher: only the app's code paths are watched (never the whole tree),
and a `DevFilter` drops every event under an ignored directory or from an editor's temp file before
it can wake the reload loop. Two watches run, both in the CLI process (threads are fine there):

    recursive      app/  config/  lib/  + config.development.watch_dirs   (+ local plugin dirs)
    top level      the base dir itself, non-recursively: only `app.py`, `agent.py` and the creation
                   of a watched dir that did not exist yet pass (the recursive watch is then redone
                   with it, and its creation alone asks for a reload)
"""

from __future__ import annotations

import fnmatch
import queue
import threading
import time
from collections.abc import Iterable
from dataclasses import dataclass, field, replace
from pathlib import Path
from typing import Any

WATCHED_DIRS = ("app", "config", "lib")
BOOT_FILES = ("app.py", "agent.py")
# Relative to the app: served or written at run time, never code.
IGNORED_APP_PATHS = ("app/public", "app/view*", "logs", "run", "coverage")
# Anywhere below a watched dir: caches, VCS, virtualenvs.
IGNORED_DIR_NAMES = frozenset(
    {
        "__pycache__", ".git", ".hg", ".svn", ".bzr", ".venv", "venv", ".tox", ".nox", "node_modules",
        ".mypy_cache", ".pytest_cache", ".ruff_cache", ".hypothesis", ".idea", ".vscode", "site-packages",
    }
)  # fmt: skip
# Editors' swap, backup and atomic-save files (vim's `4913` probes whether a dir is writable; `sed -i`).
IGNORED_FILE_PATTERNS = (
    "*.swp", "*.swo", "*.swx", "*.swpx", "*~", ".#*", "#*#", "4913", ".DS_Store", "*.pyc", "*.pyo",
    "*.tmp", "*___jb_tmp___", "*___jb_old___", "flycheck_*", ".goutputstream-*", "sed??????",
)  # fmt: skip
# A change here restarts the agent too; the agent never imports app/ (lib/ is shared by both).
AGENT_SIDE = ("agent.py", "config", "lib")
STEP_MS = 30  # a save is "done" after 30 ms without another event (editors write in bursts)
DEBOUNCE_MS = 1000
ARM_MS = 50  # the first (empty) yield proves the watch is armed; also how often `stop` is checked


@dataclass(frozen=True)
class DevFilter:
    """`watch_filter` for watchfiles: True keeps an event."""

    base_dir: Path
    ignore_dirs: tuple[Path, ...] = ()

    def __call__(self, change: Any, path: str) -> bool:
        return not self.ignores(Path(path))

    def ignores(self, path: Path) -> bool:
        """True for anything under an ignored dir and for editor temp files."""
        if any(fnmatch.fnmatchcase(path.name, pattern) for pattern in IGNORED_FILE_PATTERNS):
            return True
        try:
            relative = path.relative_to(self.base_dir)
        except ValueError:
            relative = None  # a watch dir outside the app: only name rules apply
        # the directory itself too: Python creates `app/__pycache__` at a worker's first import
        if any(part in IGNORED_DIR_NAMES for part in (relative or path).parts):
            return True
        if relative is not None and _under_any(relative, IGNORED_APP_PATHS):
            return True
        return any(path == d or d in path.parents for d in self.ignore_dirs)


def _under_any(relative: Path, patterns: Iterable[str]) -> bool:
    """Inside a directory the patterns name (or that directory itself; `app/viewmodel.py` is code)."""
    parts = relative.parts
    for pattern in patterns:
        pattern_parts = pattern.split("/")
        if len(parts) < len(pattern_parts) or (len(parts) == len(pattern_parts) and relative.suffix):
            continue
        if all(fnmatch.fnmatchcase(p, q) for p, q in zip(parts, pattern_parts, strict=False)):
            return True
    return False


@dataclass(frozen=True)
class TopLevelFilter:
    """The non-recursive watch of the base dir: `app.py`, `agent.py` and the watched dirs not there yet."""

    base_dir: Path
    missing: tuple[Path, ...] = ()

    def __call__(self, change: Any, path: str) -> bool:
        candidate = Path(path)
        return candidate.parent == self.base_dir and (
            candidate.name in BOOT_FILES or candidate in self.missing
        )


@dataclass(frozen=True)
class WatchPlan:
    """The directories to watch recursively and the rules for what to ignore."""

    base_dir: Path
    dirs: tuple[Path, ...]
    filter: DevFilter
    agent_dirs: tuple[Path, ...] = ()
    missing: tuple[Path, ...] = ()  # watched dirs directly in the base dir that do not exist yet

    def with_created(self, created: Iterable[Path]) -> WatchPlan:
        added = tuple(d for d in created if d in self.missing)
        return replace(self, dirs=self.dirs + added, missing=tuple(d for d in self.missing if d not in added))


def plan_watch(
    base_dir: Path,
    watch_dirs: Iterable[str] = (),
    ignore_dirs: Iterable[str] = (),
    agent_dirs: Iterable[Path] = (),
) -> WatchPlan:
    """Resolve `config.development.watch_dirs` / `ignore_dirs` (relative to the app) into a plan."""
    base = base_dir.resolve()
    agent = tuple(Path(d).resolve() for d in agent_dirs)
    wanted = [base / name for name in WATCHED_DIRS] + [base / d for d in watch_dirs] + list(agent)
    candidates = dict.fromkeys(d.resolve() for d in wanted)
    dirs = tuple(d for d in candidates if d.is_dir())
    missing = tuple(d for d in candidates if d.parent == base and not d.exists())
    ignored = tuple((base / d).resolve() for d in ignore_dirs)
    return WatchPlan(base, dirs, DevFilter(base, ignored), agent, missing)


def restarts_agent(plan: WatchPlan, path: Path) -> bool:
    """True when a changed file is loaded by the agent too (agent.py, config, lib, local plugins)."""
    if any(path == d or d in path.parents for d in plan.agent_dirs):
        return True
    try:
        first = path.relative_to(plan.base_dir).parts[0]
    except (ValueError, IndexError):
        return False
    return first in AGENT_SIDE


@dataclass
class Batch:
    """Changes that arrived together: the files and when the first of them was seen."""

    paths: list[Path] = field(default_factory=list)
    seen_at: float = 0.0


class Watcher:
    """Runs the two watches in daemon threads; `take()` returns what changed since the last call."""

    def __init__(self, plan: WatchPlan) -> None:
        self.plan = plan
        self._events: queue.Queue[tuple[float, list[Path]]] = queue.Queue()
        self._stops: list[threading.Event] = []
        self._threads: list[threading.Thread] = []
        self._armed = threading.Semaphore(0)
        self._recursive: threading.Event | None = None  # stops the recursive watch
        self._stop_all = threading.Event()
        self._lock = threading.Lock()  # a rewatch and `stop()` never interleave

    def start(self) -> None:
        """Start both watches in the background (see `wait_armed`)."""
        self._recursive = self._start(self.plan.dirs, True, self.plan.filter)
        self._start((self.plan.base_dir,), False, TopLevelFilter(self.plan.base_dir, self.plan.missing))

    def _start(self, paths: tuple[Path, ...], recursive: bool, path_filter: Any) -> threading.Event | None:
        if not paths:
            return None
        stop = threading.Event()
        thread = threading.Thread(target=self._watch, args=(paths, recursive, path_filter, stop), daemon=True)
        thread.start()
        self._stops.append(stop)
        self._threads.append(thread)
        return stop

    def wait_armed(self, timeout: float = 5.0) -> None:
        """Return once every watch exists: an edit made after this is never lost."""
        deadline = time.monotonic() + timeout
        for _ in self._threads:
            self._armed.acquire(timeout=max(0.0, deadline - time.monotonic()))

    def _watch(
        self, paths: tuple[Path, ...], recursive: bool, path_filter: Any, stop: threading.Event
    ) -> None:
        import watchfiles

        changes = watchfiles.watch(
            *paths,
            watch_filter=path_filter,
            step=STEP_MS,
            debounce=DEBOUNCE_MS,
            stop_event=stop,
            recursive=recursive,
            rust_timeout=ARM_MS,
            yield_on_timeout=True,
            raise_interrupt=False,
        )
        first = True
        for batch in changes:
            if first:
                self._armed.release()  # the notify watch exists once the generator first yields
                first = False
            if batch:
                paths_changed = sorted({Path(p) for _, p in batch})
                if not recursive:
                    self._watch_created([p for p in paths_changed if p in self.plan.missing and p.is_dir()])
                self._events.put((time.monotonic(), paths_changed))

    def _watch_created(self, created: list[Path]) -> None:
        """Redo the recursive watch with dirs that appeared (`mkdir lib` after `eggbin dev` started)."""
        with self._lock:
            if not created or self._stop_all.is_set():
                return
            self.plan = self.plan.with_created(created)
            if self._recursive is not None:
                self._recursive.set()
            self._recursive = self._start(self.plan.dirs, True, self.plan.filter)

    def take(self, timeout: float) -> Batch | None:
        """Wait up to `timeout` for changes; everything queued is merged into one batch."""
        try:
            seen_at, paths = self._events.get(timeout=timeout)
        except queue.Empty:
            return None
        batch = Batch(list(paths), seen_at)
        while not self._events.empty():
            batch.paths.extend(self._events.get_nowait()[1])
        batch.paths = sorted(set(batch.paths))
        return batch

    def stop(self) -> None:
        with self._lock:
            self._stop_all.set()
            for stop in self._stops:
                stop.set()
        for thread in list(self._threads):
            thread.join(timeout=2)
