"""`eggscripts status`: each cluster's processes with pid, uptime, memory and restarts."""

from __future__ import annotations

import json
import time
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import psutil

from eggbin import console
from eggbin.daemon.locate import APP_DIR, Cluster, all_clusters, elsewhere, find_cluster, role_of
from eggbin.web.appinfo import require_app_dir


@dataclass(frozen=True)
class StatusOptions:
    base_dir: Path
    all: bool = False
    json: bool = False


def status(options: StatusOptions) -> int:
    hint = ""
    if options.all:
        clusters = all_clusters()
    else:
        base = require_app_dir(options.base_dir, APP_DIR)
        found = find_cluster(base)
        clusters = [found] if found else []
        hint = "" if clusters else elsewhere(base)
    described = [describe(c) for c in clusters]
    if options.json:
        console.stdout().print_json(json.dumps(described))
    elif not described:
        console.info("no eggbin cluster is running" + ("" if options.all else f" for this app{hint}"))
    else:
        for cluster in described:
            _print_table(cluster)
    return 0


def describe(cluster: Cluster) -> dict[str, Any]:
    state: dict[str, Any] = cluster.state or {}
    restarts = {w.get("pid"): w.get("restarts", 0) for w in state.get("workers", []) if isinstance(w, dict)}
    processes = []
    for proc in sorted(cluster.processes, key=_order):
        info = _process_info(proc)
        if info:
            info["restarts"] = restarts.get(proc.pid, 0)
            processes.append(info)
    return {
        "title": cluster.title,
        "base_dir": str(cluster.base_dir) if cluster.base_dir else None,
        "env": state.get("env"),
        "url": state.get("address"),
        "processes": processes,
    }


def _order(proc: psutil.Process) -> tuple[int, str]:
    role = (role_of(proc) or ("", "z"))[1]
    return ({"master": 0, "zygote": 1, "agent": 2}.get(role, 3), role)


def _process_info(proc: psutil.Process) -> dict[str, Any] | None:
    try:
        with proc.oneshot():
            role = role_of(proc)
            return {
                "role": role[1] if role else "?",
                "pid": proc.pid,
                "uptime_s": round(time.time() - proc.create_time(), 1),
                "rss_mb": round(proc.memory_info().rss / 2**20, 1),
            }
    except (psutil.NoSuchProcess, psutil.AccessDenied):
        return None


def _print_table(cluster: dict[str, Any]) -> None:
    from rich.table import Table

    table = Table(
        title=f"{cluster['title']}  {cluster['env'] or '?'}  {cluster['url'] or ''}", title_justify="left"
    )
    for column in ("role", "pid", "uptime", "RSS", "restarts"):
        table.add_column(column, justify="left" if column == "role" else "right")
    for p in cluster["processes"]:
        table.add_row(
            p["role"], str(p["pid"]), _duration(p["uptime_s"]), f"{p['rss_mb']} MB", str(p["restarts"])
        )
    console.stdout().print(table)


def _duration(seconds: float) -> str:
    minutes, secs = divmod(int(seconds), 60)
    hours, minutes = divmod(minutes, 60)
    return f"{hours}h{minutes:02d}m" if hours else f"{minutes}m{secs:02d}s"
