"""The cluster's Prometheus multiprocess directory, `run/metrics/`: the master's side of it.

With the metrics plugin on, each worker writes its counters to mmap files there
(`PROMETHEUS_MULTIPROC_DIR`, created 0700 by the plugin: `eggbin.web.builtin.plugins.metrics.store`)
and a scrape sums them all. The master owns the directory's lifetime: it wipes what a previous cluster
left once it holds the app's lock (a second `start` must not wipe a running cluster's counts), tells
prometheus_client when a worker it reaped is dead (its live gauges, such as in-flight requests, leave
the sums; its counters stay, so nothing counted is lost), and removes the directory when it exits.
With the plugin off the directory never exists and the master never imports prometheus_client.
"""

from __future__ import annotations

import contextlib
import os
from pathlib import Path

METRICS_DIR = "metrics"  # under run/: the plugin's `store.multiprocess_dir` names the same place


def metrics_dir(run_dir: Path) -> Path:
    return run_dir / METRICS_DIR


def wipe(run_dir: Path) -> None:
    """Remove `run/metrics/` and what is in it (a planted symlink is removed, never followed)."""
    path = metrics_dir(run_dir)
    if path.is_symlink() or path.is_file():
        path.unlink(missing_ok=True)
    elif path.is_dir():
        import shutil  # here: ~5 ms of the master's imports (bz2, lzma), for a directory rarely there

        shutil.rmtree(path, ignore_errors=True)


def mark_dead(run_dir: Path, pid: int) -> None:
    """prometheus_client's bookkeeping for a dead worker, when the metrics plugin is on."""
    path = metrics_dir(run_dir)
    if not path.is_dir() or path.is_symlink():
        return
    from prometheus_client import multiprocess  # only once a worker wrote metrics: zero cost when off

    with contextlib.suppress(OSError):
        multiprocess.mark_process_dead(pid, os.fspath(path))  # type: ignore[no-untyped-call]
