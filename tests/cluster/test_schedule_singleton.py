"""`singleton: True`: two replicas (two clusters of one app) share a file lock and run each tick once."""

from __future__ import annotations

import asyncio
import datetime as dt
import json
import shutil
import subprocess
import sys
from collections import defaultdict
from pathlib import Path
from typing import Any

import pytest

from eggbin.errors import BootError
from eggbin.web.messenger import Message
from eggbin.web.schedule import build_task
from eggbin.web.schedule_lock import FileScheduleLock, default_lock_dir, schedule_lock_of
from tests.cluster.running import start, stop
from tests.support import FIXTURE_APPS, wait_until


def runs(replicas: Path) -> list[dict[str, Any]]:
    path = replicas / "runs.jsonl"
    lines = path.read_text().split("\n")[:-1] if path.exists() else []  # complete lines only
    return [json.loads(line) for line in lines]


def by_tick(records: list[dict[str, Any]], schedule: str) -> dict[int, list[dict[str, Any]]]:
    ticks: dict[int, list[dict[str, Any]]] = defaultdict(list)
    for record in records:
        if record["schedule"] == schedule:
            ticks[record["tick"]].append(record)
    return ticks


def test_two_replicas_sharing_the_file_lock_run_each_tick_once(tmp_path: Path) -> None:
    replicas = tmp_path / "replicas"
    dirs = [replicas / name for name in ("a", "b")]
    for app_dir in dirs:
        shutil.copytree(FIXTURE_APPS / "schedule_singleton", app_dir)
    started = [start(app_dir, tmp_path / f"{app_dir.name}.log", workers=2)[0] for app_dir in dirs]
    try:
        for process in started:
            process.wait_ready(30)

        def enough() -> bool:
            records = runs(replicas)
            return len(by_tick(records, "interval_once")) >= 3 and len(by_tick(records, "cron_once")) >= 3

        # 2 s ticks: a run reads the tick it claimed from the lock file, so the next claim must not come
        # before it runs, even on a loaded machine
        wait_until(enough, timeout=60, what="3 interval ticks and 3 cron ticks")
    finally:
        for process in started:
            stop(process)
    records = runs(replicas)
    interval, cron = by_tick(records, "interval_once"), by_tick(records, "cron_once")
    # one run per interval tick ("worker": one worker of one replica), never two
    assert all(len(ran) == 1 for ran in interval.values()), interval
    assert all(tick % 2000 == 0 for tick in interval)  # windows of the wall clock, alike on every replica
    # "all" + singleton: every worker of the one replica that claimed the cron tick, none of the other
    assert all(len({r["replica"] for r in ran}) == 1 for ran in cron.values()), cron
    assert all(tick % 2000 == 0 for tick in cron)
    # without `singleton` each replica's agent runs the schedule: once per pod, as egg does
    assert {r["replica"] for r in records if r["schedule"] == "per_replica"} == {"a", "b"}
    lock = json.loads((replicas / "shared-locks" / "interval_once.lock").read_text())
    assert lock["tick"] == max(interval)


CLAIM = """
import asyncio, sys
from pathlib import Path
from eggbin.web.schedule_lock import FileScheduleLock
print(asyncio.run(FileScheduleLock(Path(sys.argv[1])).claim("refresh", int(sys.argv[2]), 2.0)))
"""


def test_racing_processes_claim_one_tick_once(tmp_path: Path) -> None:
    def race(tick: int) -> list[str]:
        procs = [
            subprocess.Popen([sys.executable, "-c", CLAIM, str(tmp_path), str(tick)], stdout=subprocess.PIPE)
            for _ in range(6)
        ]
        return sorted(p.communicate(timeout=60)[0].decode().strip() for p in procs)

    assert race(1000) == ["False"] * 5 + ["True"]
    assert race(1000) == ["False"] * 6  # the same tick again: already run
    assert race(500) == ["False"] * 6  # an older tick (a replica that fell behind): never run
    assert race(1500) == ["False"] * 5 + ["True"]
    assert (tmp_path / "refresh.lock").stat().st_mode & 0o777 == 0o600


def test_a_garbled_lock_file_is_claimed_over(tmp_path: Path) -> None:
    lock = FileScheduleLock(tmp_path / "locks")
    (tmp_path / "locks").mkdir()
    (tmp_path / "locks" / "a%2Fb.lock").write_bytes(b"\x00not json" * 1000)
    assert asyncio.run(lock.claim("a/b", 10, 1.0)) is True  # nested names are quoted into one file
    assert json.loads((tmp_path / "locks" / "a%2Fb.lock").read_text())["tick"] == 10


def test_ticks_are_named_by_the_wall_clock(tmp_path: Path) -> None:
    async def run(ctx: Any) -> None:
        return None

    interval = build_task("i", tmp_path / "i.py", {"interval": "5s", "singleton": True}, run)
    assert interval.singleton
    assert interval.tick_of(1_000_007.2) == 1_000_005_000
    assert interval.period(1_000_007.2) == 5.0
    cron = build_task("c", tmp_path / "c.py", {"cron": "0 */10 * * * *"}, run)
    assert not cron.singleton
    fired = dt.datetime(2026, 1, 2, 3, 40, 0).timestamp()
    assert cron.tick_of(fired) == fired * 1000  # at the fire time itself
    assert cron.tick_of(fired + 599.5) == fired * 1000
    assert cron.period(fired + 30) == 600


def test_singleton_must_be_a_bool(tmp_path: Path) -> None:
    async def run(ctx: Any) -> None:
        return None

    with pytest.raises(BootError, match=r"schedule `singleton` in `.*s\.py` must be True or False"):
        build_task("s", tmp_path / "s.py", {"interval": "1s", "singleton": "yes"}, run)


class Agent:
    """Just what `schedule_lock_of` reads of an agent."""

    def __init__(self, base: Path, config: dict[str, Any]) -> None:
        self.config, self.base_dir, self.name = config, base, "shop"
        self.info = type("Info", (), {"root": base / "home"})()


def test_the_lock_is_the_agents_own_or_a_file_lock_where_config_says(tmp_path: Path) -> None:
    default = Agent(tmp_path, {"schedule": {"lock_dir": ""}})
    assert default_lock_dir(default) == tmp_path / "home" / "run" / "shop" / "schedule-locks"
    relative = Agent(tmp_path, {"schedule": {"lock_dir": "shared"}})
    assert schedule_lock_of(relative).directory == tmp_path / "shared"  # type: ignore[attr-defined]
    mine = FileScheduleLock(tmp_path / "mine")
    default.schedule_lock = mine  # type: ignore[attr-defined]  # what an agent.py Boot hook does
    assert schedule_lock_of(default) is mine


class FailingLock:
    async def claim(self, schedule: str, tick: int, ttl: float) -> bool:
        raise ConnectionError("redis is down")


def test_a_failing_lock_skips_the_tick(tmp_path: Path, caplog: pytest.LogCaptureFixture) -> None:
    from eggbin.cluster.scheduler import Scheduler

    async def run(ctx: Any) -> None:
        return None

    task = build_task("refresh", tmp_path / "r.py", {"interval": "1s", "singleton": True}, run)
    sent: list[Message] = []
    scheduler = Scheduler([task], sent.append, FailingLock())
    scheduler.set_workers([123])
    asyncio.run(scheduler.fire(task))
    assert sent == []
    assert "refresh skipped: the schedule lock" in caplog.text
    assert "redis is down" in caplog.text
    ok = Scheduler([task], sent.append, FileScheduleLock(tmp_path / "ok"))
    ok.set_workers([123])
    asyncio.run(ok.fire(task))
    assert [m["receiver_pid"] for m in sent] == [123]
