"""Finding the clusters to stop or show: the state file first, the exact `--title=` token as a fallback.

Titles are matched on the whole command line (`/proc/PID/comm` is cut to 15 characters), and only
exact tokens count, so `egg-server-shop` never matches `egg-server-shop2`.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from pathlib import Path

import psutil

from eggbin.cluster.state import LOCK_FILE, live_cluster, run_dir
from eggbin.web.appinfo import read_pyproject

_ROLE = re.compile(r"^(?P<title>\S+) (?P<role>master|agent|zygote|worker \d+) --title=(?P<token>\S+)$")


@dataclass
class Cluster:
    """One running cluster: its title and every process that belongs to it."""

    title: str
    master: psutil.Process | None
    processes: list[psutil.Process] = field(default_factory=list)
    state: dict[str, object] | None = None
    base_dir: Path | None = None

    @property
    def pids(self) -> list[int]:
        return [p.pid for p in self.processes]


def default_title(base_dir: Path) -> str:
    name = read_pyproject(base_dir).get("project", {}).get("name") or base_dir.name
    return f"egg-server-{name}"


def role_of(proc: psutil.Process) -> tuple[str, str] | None:
    """(title, role) of an eggbin cluster process, from its whole command line."""
    try:
        found = _ROLE.match(" ".join(part for part in proc.cmdline() if part))
    except (psutil.NoSuchProcess, psutil.AccessDenied, psutil.ZombieProcess):
        return None
    if found is None or found["title"] != found["token"]:
        return None
    return found["title"], found["role"]


def by_title() -> dict[str, Cluster]:
    """Every eggbin cluster process on the host, grouped by title."""
    clusters: dict[str, Cluster] = {}
    for proc in psutil.process_iter():
        found = role_of(proc)
        if found is None:
            continue
        title, role = found
        cluster = clusters.setdefault(title, Cluster(title, None))
        cluster.processes.append(proc)
        if role == "master":
            cluster.master = proc
    for cluster in clusters.values():
        cluster.base_dir = _base_dir_of(cluster.master)
        if cluster.base_dir is not None:
            live = live_cluster(cluster.base_dir)
            cluster.state = live.state if live else None
    return clusters


def find_cluster(base_dir: Path, title: str | None) -> Cluster | None:
    """This app's cluster: the live state file (checked against the process), else the exact title."""
    title = title or default_title(base_dir)
    live = live_cluster(base_dir)
    if live is not None:
        title = str(live.state.get("title") or title)
    return by_title().get(title)


def _base_dir_of(master: psutil.Process | None) -> Path | None:
    """The app dir of a master: the `run/cluster.lock` it holds open."""
    if master is None:
        return None
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
    """A state file left behind by a master that died without cleaning up."""
    path = run_dir(base_dir) / "cluster.json"
    return path if path.exists() and live_cluster(base_dir) is None else None
