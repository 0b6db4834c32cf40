"""`eggscripts reload`: SIGHUP to the master, then wait until every old worker has been replaced."""

from __future__ import annotations

import os
import signal
import time
from pathlib import Path

from eggbin import console
from eggbin.cluster.state import live_cluster
from eggbin.errors import EggbinError
from eggbin.web.appinfo import require_app_dir

POLL = 0.05


def reload(base_dir: Path, timeout: float = 60) -> int:
    base = require_app_dir(base_dir)
    live = live_cluster(base)
    if live is None:
        raise EggbinError(
            "no cluster of this app is running", hint="start it with `eggscripts start --daemon`"
        )
    old = {w["pid"] for w in live.state["workers"]}
    started = time.monotonic()
    os.kill(live.state["master_pid"], signal.SIGHUP)
    while time.monotonic() - started < timeout:
        current = live_cluster(base)
        if current is None:
            raise EggbinError("the cluster stopped during the reload", hint="see its logs")
        workers = current.state["workers"]
        pids = {w["pid"] for w in workers}
        if not pids & old and len(pids) == len(old) and all(w.get("ready", True) for w in workers):
            console.info(
                f"[eggscripts] reloaded {len(pids)} workers in {(time.monotonic() - started) * 1000:.0f} ms"
            )
            return 0
        time.sleep(POLL)
    raise EggbinError(f"workers were not all replaced within {timeout:g} s", hint="see the master's log")
