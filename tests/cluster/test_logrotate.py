"""Daily rotation by the agent, then every process reopens: no line lost or split."""

from __future__ import annotations

import datetime as dt
import itertools
import re
from pathlib import Path

import httpx

from eggbin.cluster.logrotate import rotate, seconds_to_midnight
from eggbin.web.messenger import envelope
from tests.cluster.running import running
from tests.support import wait_until

LINE = re.compile(r"^\d{4}-\d\d-\d\d \d\d:\d\d:\d\d,\d{3} INFO (\d+) line (\S+)$")


def lines(path: Path) -> list[tuple[int, str]]:
    text = path.read_text() if path.exists() else ""
    parsed = [LINE.match(line) for line in text.splitlines()]
    assert all(parsed), text  # every line whole
    return [(int(m[1]), m[2]) for m in parsed if m]


def test_rotation_renames_once_and_every_worker_reopens(tmp_path: Path) -> None:
    with running(tmp_path) as cluster, httpx.Client(base_url=cluster.url) as client:
        log_dir = cluster.app_dir / "logs" / "cluster-basic"
        current = log_dir / "cluster-basic-web.log"
        for i in range(5):
            client.get("/log", params={"msg": f"before-{i}"})
        cluster.process.send(envelope("log-rotate", sender="parent", to="agent"))
        rotated = log_dir / f"cluster-basic-web.log.{dt.date.today().isoformat()}"
        wait_until(rotated.exists, what="the rotated file")
        counter = itertools.count()
        workers = set(cluster.ready.pids["workers"])

        def both_reopened() -> bool:
            with httpx.Client(base_url=cluster.url) as fresh:  # a new connection: either worker
                fresh.get("/log", params={"msg": f"after-{next(counter)}"})
            return {pid for pid, _ in lines(current)} == workers

        wait_until(both_reopened, what="both workers writing to the new file")
        old, new = lines(rotated), lines(current)
        assert [m for _, m in old if m.startswith("before")] == [f"before-{i}" for i in range(5)]
        assert not any(m.startswith("before") for _, m in new)
        assert (log_dir / f"egg-agent.log.{dt.date.today().isoformat()}").exists()


def test_rotate_keeps_a_second_rotation_of_the_same_day(tmp_path: Path) -> None:
    (tmp_path / "a.log").write_text("one\n")
    day = dt.date(2026, 1, 2)
    assert rotate(tmp_path, day) == [tmp_path / "a.log.2026-01-02"]
    (tmp_path / "a.log").write_text("two\n")
    assert rotate(tmp_path, day) == [tmp_path / "a.log.2026-01-02.1"]
    assert (tmp_path / "a.log.2026-01-02").read_text() == "one\n"
    assert rotate(tmp_path / "missing", day) == []


def test_seconds_to_midnight() -> None:
    assert seconds_to_midnight(dt.datetime(2026, 1, 2, 23, 59, 30)) == 30
    assert seconds_to_midnight(dt.datetime(2026, 1, 2, 0, 0, 0)) == 86400
