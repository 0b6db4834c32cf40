"""`eggscripts reload`: SIGHUP to this app's master, then wait for the reload that answers it.

The master is the process found holding this app's lock (never a pid read from a file), and
`run/cluster.json` must describe it (same pid and start time) before anything is signalled. The
state file counts reload requests and records the last outcome (eggbin/cluster/reload.py): we wait
for a reload that started after our SIGHUP and print its result, or its cause when it failed.
"""

from __future__ import annotations

import signal
import time
from pathlib import Path
from typing import Any

import psutil

from eggbin import console
from eggbin.cluster.state import STATE_FILE, run_dir
from eggbin.daemon.locate import APP_DIR, Cluster, find_cluster, verified_state
from eggbin.errors import EggbinError, UsageError
from eggbin.web.appinfo import require_app_dir

POLL = 0.05


def reload(base_dir: Path, timeout: float = 60) -> int:
    base = require_app_dir(base_dir, APP_DIR)
    if timeout <= 0:
        raise UsageError(f"--timeout must be more than 0 seconds, got `{timeout:g}`")
    cluster = find_cluster(base)
    if cluster is None or cluster.master is None:
        raise EggbinError(
            "no cluster of this app is running", hint="start it with `eggscripts start --daemon`"
        )
    if cluster.state is None:
        raise EggbinError(
            f"`{run_dir(base) / STATE_FILE}` does not describe the running master "
            f"(pid {cluster.master.pid}); not signalling anything",
            hint="`eggscripts stop` and start again",
        )
    asked = int(cluster.state.get("reload_requests") or 0)
    started = time.monotonic()
    try:
        cluster.master.send_signal(signal.SIGHUP)  # psutil refuses a pid reused since it was found
    except psutil.NoSuchProcess:
        raise EggbinError("the cluster stopped before the reload", hint="see its logs") from None
    outcome = _wait_outcome(cluster, asked, started + timeout)
    if outcome is None:
        raise EggbinError(
            f"the reload did not finish within {timeout:g} s{_pending(cluster)}", hint="see the master's log"
        )
    if not outcome.get("ok"):
        raise EggbinError(
            f"reload failed: {outcome.get('message')}", hint="the old workers keep serving; fix it and reload"
        )
    console.info(
        f"[eggscripts] reloaded {len(outcome.get('workers') or [])} workers in {outcome.get('ms')} ms"
    )
    return 0


def _wait_outcome(cluster: Cluster, asked: int, deadline: float) -> dict[str, Any] | None:
    """The `last_reload` record of a reload requested after `asked` requests; None at the deadline."""
    while time.monotonic() < deadline:
        if cluster.master is None or not cluster.master.is_running():
            raise EggbinError("the cluster stopped during the reload", hint="see its logs")
        state = verified_state(cluster)
        if state is not None:
            cluster.state = state
            last = state.get("last_reload") or {}
            if int(last.get("request") or 0) > asked:
                return dict(last)
        time.sleep(POLL)
    return None


def _pending(cluster: Cluster) -> str:
    starting = [w for w in (cluster.state or {}).get("workers", []) if not w.get("ready")]
    if not starting:
        return ""
    return ": still starting: " + ", ".join(f"worker {w['id']} (pid {w['pid']})" for w in starting)
