"""`EGGBIN_START_TRACE=1`: every role's milestones on stderr, and egg's start order read off them."""

from __future__ import annotations

import re
from pathlib import Path

import pytest

from eggbin.cluster import start_trace
from tests.cluster.running import running
from tests.support import wait_until

LINE = re.compile(r"\[start-trace\] +([+-][\d.]+) ms  (\S+) +(.+?)  \(cpu ([\d.]+) ms, (\d+) faults\)")


def trace_of(log: str) -> list[tuple[float, str, str]]:
    """(ms since the spawn, role, milestone) of every trace line, in time order."""
    return sorted((float(m[1]), m[2], m[3]) for m in LINE.finditer(log))


def first(trace: list[tuple[float, str, str]], role: str, milestone: str) -> float:
    return next(ms for ms, who, what in trace if who == role and what == milestone)


def test_off_by_default_it_writes_nothing(capsys: pytest.CaptureFixture[str]) -> None:
    start_trace.mark("master", "main")
    assert capsys.readouterr().err == ""


def test_a_mark_counts_from_the_origin_and_carries_the_cpu_time_and_page_faults(
    monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    monkeypatch.setenv(start_trace.ENV, "1")
    monkeypatch.delenv(start_trace.ORIGIN_ENV, raising=False)
    start_trace.mark_origin()
    start_trace.mark("worker#2", "booted")
    found = LINE.search(capsys.readouterr().err)
    assert found is not None
    assert (found[2], found[3]) == ("worker#2", "booted")
    assert 0 <= float(found[1]) < 5000
    assert float(found[4]) > 0  # this process has run
    assert int(found[5]) > 0  # and touched memory


def test_the_trace_shows_egg_order_in_every_process(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """Agent booted before any worker loads the app; no worker listens before the settings check
    passed; `egg-ready` after every worker listens. (cluster_basic sets `keys`: the check runs.)"""
    monkeypatch.setenv(start_trace.ENV, "1")
    with running(tmp_path, zygote=True, keep_zygote=False) as cluster:
        trace = trace_of(cluster.log())
    roles = {role for _, role, _ in trace}
    assert {"master", "zygote", "agent", "worker#1", "worker#2"} <= roles, trace
    assert trace[0][1:] == ("master", "main")
    agent_started = first(trace, "agent", "agent-start")
    checked = first(trace, "master", "settings checked")
    assert first(trace, "agent", "settings checked") <= checked
    for worker in ("worker#1", "worker#2"):
        told = first(trace, worker, "agent-started received")
        assert agent_started <= told <= first(trace, worker, "load plugins")
        assert checked <= first(trace, worker, "listening")
        assert first(trace, worker, "listening") <= first(trace, "master", "egg-ready")


def test_a_zygote_that_stays_imports_the_optional_modules_after_egg_ready(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """`eggbin dev` keeps the zygote for reloads: what only some children use (the websockets protocol)
    comes in once the first children are up, off the start's critical path."""
    monkeypatch.setenv(start_trace.ENV, "1")
    with running(tmp_path, zygote=True, keep_zygote=True) as cluster:
        wait_until(lambda: "optional preload done" in cluster.log(), what="the zygote's optional preload")
        trace = trace_of(cluster.log())
    assert first(trace, "master", "egg-ready") <= first(trace, "zygote", "optional preload done")
