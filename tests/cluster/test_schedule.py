"""Schedules: interval and cron rates, "worker" on one worker per tick, "all" on each, flags."""

from __future__ import annotations

import asyncio
import datetime as dt
import itertools
import re
from collections import defaultdict
from pathlib import Path

import pytest

from eggbin.errors import BootError, EggbinError
from eggbin.web.application import Application
from eggbin.web.env import ServerEnv
from eggbin.web.schedule import build_task, parse_interval
from tests.cluster.running import copy_app, running
from tests.support import wait_until

LINE = re.compile(r"^(\S+ \S+) INFO (\d+) \[Job#(\d+)\] (\S+) executing by app$")


def jobs(app_dir: Path) -> dict[str, dict[str, list[tuple[dt.datetime, int]]]]:
    """name -> job id -> [(when, pid)] from egg-schedule.log."""
    log = app_dir / "logs" / "cluster-schedule" / "egg-schedule.log"
    found: dict[str, dict[str, list[tuple[dt.datetime, int]]]] = defaultdict(lambda: defaultdict(list))
    for line in log.read_text().splitlines() if log.exists() else []:
        if match := LINE.match(line):
            when = dt.datetime.strptime(match[1], "%Y-%m-%d %H:%M:%S,%f")
            found[match[4]][match[3]].append((when, int(match[2])))
    return found


def span(runs: dict[str, list[tuple[dt.datetime, int]]]) -> float:
    times = sorted(min(t for t, _ in pids) for pids in runs.values())
    return (times[-1] - times[0]).total_seconds()


def test_schedules_fire_at_their_rate_on_the_right_workers(tmp_path: Path) -> None:
    with running(tmp_path, fixture="cluster_schedule") as cluster:
        workers = set(cluster.ready.pids["workers"])
        wait_until(lambda: len(jobs(cluster.app_dir)["every_worker"]) >= 11, timeout=30, what="11 ticks")
        wait_until(lambda: len(jobs(cluster.app_dir)["cron_second"]) >= 3, timeout=30, what="3 cron ticks")
        found = jobs(cluster.app_dir)
    every_worker, every_all = found["every_worker"], found["every_all"]
    # "worker": exactly one worker per tick, and over many ticks both get some.
    assert all(len(runs) == 1 for runs in every_worker.values())
    assert {pid for runs in every_worker.values() for _, pid in runs} == workers
    # "all": every worker runs every tick (the last tick may still be under way).
    complete = [runs for job, runs in every_all.items() if int(job) < max(map(int, every_all))]
    assert complete
    assert all(sorted(pid for _, pid in runs) == sorted(workers) for runs in complete)
    # 300 ms interval: 10 gaps take about 3 s (fixed rate, no drift).
    ticks = dict(sorted(every_worker.items(), key=lambda item: int(item[0]))[:11])
    assert 2.6 <= span(ticks) <= 3.6
    # cron "*/1 * * * * *": one tick a second, on the second.
    cron = sorted(min(t for t, _ in runs) for runs in found["cron_second"].values())
    gaps = [(b - a).total_seconds() for a, b in itertools.pairwise(cron)]
    assert all(0.7 <= gap <= 1.3 for gap in gaps), gaps
    assert all(t.microsecond < 300_000 for t in cron), cron
    # immediate: ran once on each worker at start; disabled and env-limited ones never.
    assert len(found["immediate"]) == 1
    assert sorted(pid for runs in found["immediate"].values() for _, pid in runs) == sorted(workers)
    assert "disabled" not in found
    assert "prod_only" not in found


def boot(tmp_path: Path) -> Application:
    app = Application(copy_app(tmp_path, "cluster_schedule"), ServerEnv("unittest", "test"))
    asyncio.run(app.boot())
    return app


def test_run_schedule_runs_one_now_and_logs_it(tmp_path: Path) -> None:
    app = boot(tmp_path)
    asyncio.run(app.run_schedule("every_worker"))
    asyncio.run(app.run_schedule("disabled"))  # disabled only stops the timer
    log = (app.base_dir / "logs" / "cluster-schedule" / "egg-schedule.log").read_text()
    assert re.search(r"\[Job#manual\] every_worker executing by app\n.*ran every_worker in app\n", log)
    assert re.search(r"\[Job#manual\] every_worker execute succeed, used \d+ ms", log)
    assert "[Job#manual] disabled execute succeed" in log


def test_run_schedule_errors(tmp_path: Path) -> None:
    app = boot(tmp_path)
    with pytest.raises(
        EggbinError, match=r"no schedule named `nope` under app/schedule \(known: `cron_second`, "
    ):
        asyncio.run(app.run_schedule("nope"))
    with pytest.raises(RuntimeError, match="the upstream is down"):
        asyncio.run(app.run_schedule("failing"))
    log = (app.base_dir / "logs" / "cluster-schedule" / "egg-schedule.log").read_text()
    assert re.search(r"\[Job#manual\] failing execute failed, used \d+ ms", log)


@pytest.mark.parametrize(
    ("value", "ms"),
    [("500ms", 500), ("5s", 5000), ("1m", 60000), ("1.5h", 5_400_000), ("1d", 86_400_000), (250, 250)],
)
def test_intervals(value: object, ms: float) -> None:
    assert parse_interval(value, "x.py") == ms


@pytest.mark.parametrize(
    ("schedule", "message"),
    [
        ({"interval": "5 minutes"}, r"schedule interval `'5 minutes'` in `s\.py` is not a duration"),
        ({"interval": 0}, r"schedule interval `0` in `s\.py` is not a duration"),
        (
            {"cron": "61 * * * *"},
            r"schedule cron `'61 \* \* \* \*'` in `s\.py` is not a valid cron expression",
        ),
        ({"cron": "* *"}, r"schedule cron `'\* \*'` in `s\.py` is not a valid cron expression"),
        ({}, r"schedule in `s\.py` needs exactly one of `interval` or `cron`"),
        ({"interval": "1s", "cron": "* * * * *"}, r"needs exactly one of `interval` or `cron`"),
        ({"interval": "1s", "type": "some"}, r"schedule type `'some'` in `s\.py` is not `worker` or `all`"),
        ({"interval": "1s", "env": "prod"}, r"schedule `env` in `s\.py` must be a list of env names"),
        (None, r"`s\.py` must define a `schedule` dict"),
    ],
)
def test_bad_schedules_name_the_file(schedule: object, message: str) -> None:
    with pytest.raises(BootError, match=message):
        build_task("s", Path("s.py"), schedule, lambda ctx: asyncio.sleep(0))


def test_a_schedule_file_without_a_task_fails_the_boot(tmp_path: Path) -> None:
    app_dir = copy_app(tmp_path, "cluster_schedule")
    (app_dir / "app" / "schedule" / "empty.py").write_text("schedule = {'interval': '1s'}\n")
    app = Application(app_dir, ServerEnv("unittest", "test"))
    asyncio.run(app.boot())
    with pytest.raises(BootError, match=r"`.*empty\.py` defines neither a `Subscription` subclass nor"):
        asyncio.run(app.run_schedule("every_all"))
