"""`EGGBIN_START_TRACE=1`: every process of a cluster prints its start-up milestones to stderr.

    [start-trace] +  41.2 ms  zygote    agent forked  (cpu 30.1 ms, 3896 faults)

Times are `time.monotonic()` (one clock for every process on the machine) relative to the moment the
parent spawned the master (`eggbin.cluster.launch` passes it on in `EGGBIN_START_TRACE_ORIGIN`; started
any other way, the master's first line is the origin); `cpu` is the process's own user + system time and
`faults` its minor page faults so far (in a forked child, mostly copy-on-write: each costs CPU time).
The master, the zygote, the agent and each worker trace alike, so the critical path and every wait on it
read straight off the merged lines. Off (the default) it costs one dictionary lookup per milestone.
Only standard modules here: the master imports this before it forks the zygote.
"""

from __future__ import annotations

import os
import sys
import time

ENV = "EGGBIN_START_TRACE"
ORIGIN_ENV = "EGGBIN_START_TRACE_ORIGIN"


def enabled() -> bool:
    return os.environ.get(ENV, "") not in ("", "0")


def mark_origin() -> None:
    """Where the times count from, for this process and its children (kept if the parent set it)."""
    if enabled() and ORIGIN_ENV not in os.environ:
        os.environ[ORIGIN_ENV] = repr(time.monotonic())


def mark(role: str, milestone: str) -> None:
    """One line on stderr when tracing is on: the time since the origin, the role, the milestone."""
    if not enabled():
        return
    now = time.monotonic()
    try:
        since = (now - float(os.environ[ORIGIN_ENV])) * 1000
    except (KeyError, ValueError):
        since = 0.0
    import resource  # only when tracing: the CPU time and the minor page faults in one system call

    usage = resource.getrusage(resource.RUSAGE_SELF)
    cpu, faults = (usage.ru_utime + usage.ru_stime) * 1000, usage.ru_minflt
    line = f"[start-trace] {since:+8.1f} ms  {role:<9} {milestone}  (cpu {cpu:.1f} ms, {faults} faults)\n"
    sys.stderr.write(line)
    sys.stderr.flush()
