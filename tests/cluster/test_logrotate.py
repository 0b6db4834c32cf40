"""Log rotation by the agent (the logrotator plugin), then every process reopens: no line lost or split,
checked under concurrent writers from both workers for day and size rotation; hour rotation, retention."""

from __future__ import annotations

import datetime as dt
import itertools
import re
import threading
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import httpx

from eggbin.web.messenger import envelope
from tests.cluster.running import Running, running
from tests.support import wait_until

LINE = re.compile(r"^\d{4}-\d\d-\d\d \d\d:\d\d:\d\d,\d{3} INFO (\d+) line (\S+)$")
WEB_LOG = "cluster-basic-web.log"


def text_of(path: Path) -> str:
    """`path`'s text, "" when absent (a rotation may rename it between a check and the read)."""
    try:
        return path.read_text()
    except FileNotFoundError:
        return ""


def lines(path: Path) -> list[tuple[int, str]]:
    text = text_of(path)
    parsed = [LINE.match(line) for line in text.splitlines()]
    assert all(parsed), text  # every line whole
    return [(int(m[1]), m[2]) for m in parsed if m]


def log_dir(cluster: Running) -> Path:
    return cluster.app_dir / "logs" / "cluster-basic"


def every_line(cluster: Running) -> list[tuple[int, str]]:
    """The lines of the web log and of all its rotated pieces."""
    return [line for file in sorted(log_dir(cluster).glob(f"{WEB_LOG}*")) for line in lines(file)]


def rotate(cluster: Running, by: str = "day") -> None:
    cluster.process.send(envelope("log-rotate", {"by": by}, sender="parent", to="agent"))


def configured(tmp_path: Path, logrotator: dict[str, object]) -> Path:
    """`config/unittest.py` of the app `running()` copies into `tmp_path`."""
    config = tmp_path / "cluster_basic" / "config" / "unittest.py"
    config.parent.mkdir(parents=True)
    config.write_text(f"config = {{'logrotator': {logrotator!r}}}\n")
    return config


@contextmanager
def writers(cluster: Running, clients: int = 4) -> Iterator[list[str]]:
    """`clients` threads logging unique lines through `/log` until the block ends; the messages sent.

    Each request opens its own connection: kept-alive connections arriving together may all be accepted
    by one worker, and the tests need lines from every worker."""
    sent: list[str] = []
    stop = threading.Event()
    counter = itertools.count()

    def write() -> None:
        fresh = httpx.Limits(max_keepalive_connections=0)
        with httpx.Client(base_url=cluster.url, timeout=30, limits=fresh) as client:
            while not stop.is_set():
                message = f"m{next(counter)}"
                if client.get("/log", params={"msg": message}).status_code == 200:
                    sent.append(message)

    threads = [threading.Thread(target=write, daemon=True) for _ in range(clients)]
    for thread in threads:
        thread.start()
    try:
        yield sent
    finally:
        stop.set()
        for thread in threads:
            thread.join(30)


def wait_every_worker_wrote(cluster: Running) -> None:
    """While writers run (a line may be half written: no whole-line check here)."""
    workers = {str(pid) for pid in cluster.ready.pids["workers"]}

    def writing() -> set[str]:
        texts = [text_of(file) for file in log_dir(cluster).glob(f"{WEB_LOG}*")]
        return {pid for text in texts for pid in re.findall(r" INFO (\d+) line ", text)}

    wait_until(lambda: writing() >= workers, timeout=60, what="every worker's lines")


def assert_nothing_lost(cluster: Running, sent: list[str]) -> None:
    written = every_line(cluster)
    messages = [message for _, message in written]
    assert sorted(messages) == sorted(sent)  # each line once, none lost, none split (`lines` checks)
    assert {pid for pid, _ in written} == set(cluster.ready.pids["workers"])  # both workers wrote


def test_daily_rotation_under_concurrent_writers_loses_no_line(tmp_path: Path) -> None:
    today = dt.date.today().isoformat()
    with running(tmp_path) as cluster, writers(cluster) as sent:

        def rotated_pieces() -> int:
            return len(list(log_dir(cluster).glob(f"{WEB_LOG}.{today}*")))

        for round_ in range(1, 4):
            wait_until(lambda n=40 * round_: len(sent) >= n, timeout=60, what="lines written")
            rotate(cluster)
            wait_until(lambda n=round_: rotated_pieces() == n, what="a rotation", timeout=60)
        wait_until(lambda: len(sent) >= 200, timeout=60, what="lines after the last rotation")
        wait_every_worker_wrote(cluster)
    assert_nothing_lost(cluster, sent)
    assert (log_dir(cluster) / f"egg-agent.log.{today}").exists()


def test_size_rotation_under_concurrent_writers_loses_no_line(tmp_path: Path) -> None:
    configured(
        tmp_path,
        {
            "files_rotate_by_size": [WEB_LOG],
            "max_file_size": "4kb",
            "rotate_duration": 0.1,
            "max_files": 1000,
        },
    )
    with running(tmp_path) as cluster, writers(cluster) as sent:
        wait_until(
            lambda: (log_dir(cluster) / f"{WEB_LOG}.3").exists(), timeout=60, what="three size rotations"
        )
        wait_every_worker_wrote(cluster)
    assert_nothing_lost(cluster, sent)
    current = log_dir(cluster) / WEB_LOG
    assert not (log_dir(cluster) / f"{WEB_LOG}.{dt.date.today().isoformat()}").exists()
    rotated = [current.with_name(f"{WEB_LOG}.{n}") for n in range(1, 4)]
    assert all(file.stat().st_size >= 4096 for file in rotated)


def test_size_rotation_keeps_max_files_pieces(tmp_path: Path) -> None:
    configured(
        tmp_path,
        {"files_rotate_by_size": [WEB_LOG], "max_file_size": 200, "rotate_duration": 60, "max_files": 2},
    )
    with running(tmp_path) as cluster, httpx.Client(base_url=cluster.url) as client:
        current = log_dir(cluster) / WEB_LOG
        for round_ in range(4):
            counter = itertools.count()

            def filled(round_: int = round_, counter: itertools.count[int] = counter) -> bool:
                """This round's lines reach the current file (the workers reopened) past the limit."""
                client.get("/log", params={"msg": f"r{round_}-{next(counter)}"})
                text = text_of(current)
                return f" line r{round_}-" in text and len(text) >= 200

            wait_until(filled, timeout=60, what=f"round {round_} written")
            rotate(cluster, "size")
            # the file holding this round's lines was renamed away (early lines may sit in `.1` already)
            wait_until(
                lambda r=round_: f" line r{r}-" not in text_of(current),
                timeout=60,
                what="a rotation",
            )
        pieces = sorted(p.name for p in log_dir(cluster).glob(f"{WEB_LOG}.*"))
        assert pieces == [f"{WEB_LOG}.1", f"{WEB_LOG}.2"]  # `.3` would be the oldest: dropped
        assert " line r2-" in (log_dir(cluster) / f"{WEB_LOG}.2").read_text()


def test_hour_rotation_names_the_hour_and_skips_the_daily_one(tmp_path: Path) -> None:
    configured(tmp_path, {"files_rotate_by_hour": [WEB_LOG], "hour_delimiter": "_"})
    with running(tmp_path) as cluster, httpx.Client(base_url=cluster.url) as client:
        client.get("/log", params={"msg": "hourly"})
        before = dt.datetime.now() - dt.timedelta(hours=1)
        rotate(cluster, "hour")
        expected = {
            f"{WEB_LOG}.{hour:%Y-%m-%d_%H}" for hour in (before, dt.datetime.now() - dt.timedelta(hours=1))
        }
        wait_until(
            lambda: {p.name for p in log_dir(cluster).glob(f"{WEB_LOG}.*")} & expected, what="hour file"
        )
        rotate(cluster, "day")
        today = dt.date.today().isoformat()
        wait_until((log_dir(cluster) / f"egg-agent.log.{today}").exists, what="the daily rotation")
        assert not (log_dir(cluster) / f"{WEB_LOG}.{today}").exists()


def test_files_older_than_max_days_are_removed(tmp_path: Path) -> None:
    configured(tmp_path, {"max_days": 7})
    logs = tmp_path / "cluster_basic" / "logs" / "cluster-basic"
    logs.mkdir(parents=True)
    old_day = (dt.date.today() - dt.timedelta(days=8)).isoformat()
    recent_day = (dt.date.today() - dt.timedelta(days=6)).isoformat()
    names = [
        f"{WEB_LOG}.{old_day}",
        f"egg-agent.log.{old_day}.1",
        f"{WEB_LOG}.{old_day}-13",
        f"{WEB_LOG}.{recent_day}",
    ]
    for name in [*names, "notes.log.keep"]:
        (logs / name).write_text("old\n")
    with running(tmp_path):
        left = sorted([names[3], "notes.log.keep"])
        wait_until(lambda: sorted(p.name for p in logs.glob("*.log.*")) == left, what="expired files removed")
        assert not (logs / names[0]).exists()
