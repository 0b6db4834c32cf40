"""Finding the clusters to stop, show or reload, from the processes themselves.

A cluster belongs to its app directory: its master holds `<app>/run/cluster.lock` open for its whole
life, so `eggscripts stop` in a directory reaches the master holding that directory's lock, never
another app of the same `[project] name`. `--title` and `--all` are the only ways to reach another.
Titles are matched on the whole command line (`/proc/PID/comm` is cut to 15 characters), and only
exact tokens count, so `egg-server-shop` never matches `egg-server-shop2`. Children belong to the
master that is their parent (the zygote re-parents workers to it).

`run/cluster.json` is read for what it adds (port, env, restarts, reloads) and only once it
describes the master found here (same pid, same start time): a stale, corrupt or forged file is
never a reason to signal a process, nor to refuse to find the real cluster.
"""

from __future__ import annotations

import os
import re
from pathlib import Path
from typing import TYPE_CHECKING, Any

from msgspec import Struct, field

from eggbin.cluster.state import LOCK_FILE, STATE_FILE, is_locked, read_state, run_dir
from eggbin.errors import EggbinError, UsageError
from eggbin.web.appinfo import read_pyproject

if TYPE_CHECKING:  # imported where processes are looked at, which `eggscripts start` mostly skips
    import psutil

_ROLE = re.compile(r"^(?P<title>\S+) (?P<role>master|agent|zygote|worker \d+) --title=(?P<token>\S+)$")
_TITLE = re.compile(r"[^\s\x00-\x1f\x7f]+")
START_TIME_SLACK = 1.0
APP_DIR = "as the argument"  # how eggscripts takes the app dir (it has no --base), for hints


class Cluster(Struct):
    """One running cluster: its title and every process that belongs to it."""

    title: str
    master: psutil.Process | None
    processes: list[psutil.Process] = field(default_factory=list)
    state: dict[str, Any] | None = None
    base_dir: Path | None = None

    @property
    def pids(self) -> list[int]:
        return [p.pid for p in self.processes]


def check_title(title: str | None) -> None:
    """A title is one word: it is matched as the `--title=` token of a command line."""
    if title is not None and not _TITLE.fullmatch(title):
        raise UsageError(
            f"--title `{title}` is not one word (no spaces or control characters)",
            hint=f"use `{'-'.join(title.split()) or 'egg-server-NAME'}`",
        )


def default_title(base_dir: Path) -> str:
    name = read_pyproject(base_dir).get("project", {}).get("name") or base_dir.name
    return "-".join(f"egg-server-{name}".split())


def role_of(proc: psutil.Process) -> tuple[str, str] | None:
    """(title, role) of an eggbin cluster process, from its whole command line."""
    import psutil

    try:
        found = _ROLE.match(" ".join(part for part in proc.cmdline() if part))
    except (psutil.NoSuchProcess, psutil.AccessDenied, psutil.ZombieProcess):
        return None
    if found is None or found["title"] != found["token"]:
        return None
    return found["title"], found["role"]


def all_clusters() -> list[Cluster]:
    """Every eggbin cluster on the host: each master with its children, then masterless leftovers."""
    import psutil

    masters: dict[int, Cluster] = {}
    others: list[tuple[psutil.Process, str]] = []
    for proc in psutil.process_iter():
        found = role_of(proc)
        if found is None:
            continue
        title, role = found
        if role == "master":
            masters[proc.pid] = Cluster(title, proc, [proc])
        else:
            others.append((proc, title))
    leftovers: dict[str, Cluster] = {}
    for proc, title in others:
        owner = masters.get(_ppid(proc))
        if owner is not None and owner.title == title:
            owner.processes.append(proc)
        else:
            leftovers.setdefault(title, Cluster(title, None)).processes.append(proc)
    for cluster in masters.values():
        cluster.base_dir = _base_dir_of(cluster.master)
        cluster.state = verified_state(cluster)
    return [*masters.values(), *leftovers.values()]


def maybe_running(base_dir: Path, title: str) -> bool:
    """Whether a cluster may be running for this app dir or under this title, asked cheaply (no process
    looked at through psutil, ~10 ms to import): the app dir's lock is held, or the command line of
    another process holds `--title=<title>` (every process of a cluster does; `egg-server-a2` holds the
    token of `egg-server-a` too). Only then is it worth `all_clusters` to tell. Without `/proc`: always."""
    if is_locked(base_dir):
        return True
    token = f"--title={title}".encode()
    try:
        pids = [name for name in os.listdir("/proc") if name.isdigit() and int(name) != os.getpid()]
    except OSError:
        return True
    for pid in pids:
        try:
            with open(f"/proc/{pid}/cmdline", "rb") as cmdline:
                if token in cmdline.read():
                    return True
        except OSError:  # gone since the listing, or hidden
            continue
    return False


def by_title(title: str) -> Cluster | None:
    """The cluster with that exact title, wherever its app is (a master first)."""
    found = [c for c in all_clusters() if c.title == title]
    return next((c for c in found if c.master), found[0] if found else None)


def find_cluster(base_dir: Path, title: str | None = None) -> Cluster | None:
    """`--title`'s cluster, or the one whose master holds this app dir's lock."""
    if title is not None:
        return by_title(title)
    return next((c for c in all_clusters() if c.base_dir == base_dir), None)


def elsewhere(base_dir: Path) -> str:
    """A hint when nothing runs here but this app's default title runs from another directory."""
    other = by_title(default_title(base_dir))
    if other is None or other.base_dir == base_dir:
        return ""
    where = f"from `{other.base_dir}`" if other.base_dir else "without a master"
    return f" (`{other.title}` runs {where}: pass `--title {other.title}` to reach it)"


def verified_state(cluster: Cluster) -> dict[str, Any] | None:
    """This cluster's `run/cluster.json`, if it describes its master (pid and start time); else None."""
    if cluster.master is None or cluster.base_dir is None:
        return None
    import psutil

    try:
        state = read_state(cluster.base_dir)
        started = cluster.master.create_time()
    except (EggbinError, psutil.Error):
        return None
    if state is None or state["master_pid"] != cluster.master.pid:
        return None
    return state if abs(state["started_at"] - started) < START_TIME_SLACK else None


def _ppid(proc: psutil.Process) -> int:
    import psutil

    try:
        return proc.ppid()
    except psutil.Error:
        return 0


def _base_dir_of(master: psutil.Process | None) -> Path | None:
    """The app dir of a master: the `run/cluster.lock` it holds open."""
    if master is None:
        return None
    import psutil

    try:
        files = master.open_files()
    except (psutil.NoSuchProcess, psutil.AccessDenied):
        return None
    for opened in files:
        path = Path(opened.path)
        if path.name == LOCK_FILE and path.parent.name == "run":
            return path.parent.parent
    return None


def stale_state_file(base_dir: Path) -> Path | None:
    """A state file no live master holds the lock of (left by a master killed with -9, or corrupt)."""
    path = run_dir(base_dir) / STATE_FILE
    return path if path.exists() and not is_locked(base_dir) else None
