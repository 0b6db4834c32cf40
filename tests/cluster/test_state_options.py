"""`run/cluster.json` helpers, options from the environment, and the in-process messenger."""

from __future__ import annotations

import asyncio
import json
import os
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest

from eggbin.cluster.options import ClusterOptions
from eggbin.cluster.state import ClusterRunningError, StateLock, is_locked, read_state
from eggbin.errors import EggbinError, UsageError
from eggbin.web.messenger import Messenger

STATE = {"master_pid": 10, "agent_pid": 11, "port": 7001, "title": "t", "base_dir": "/x", "started_at": 1.5}


def test_state_round_trip_lock_and_cleanup(tmp_path: Path) -> None:
    lock = StateLock(tmp_path)
    lock.acquire()
    lock.write({**STATE, "workers": [{"id": 1, "pid": 12}]})
    assert read_state(tmp_path) == {**STATE, "workers": [{"id": 1, "pid": 12}]}
    assert is_locked(tmp_path)
    with pytest.raises(ClusterRunningError, match=r"already running \(master pid 10, `.*cluster\.json`\)"):
        StateLock(tmp_path).acquire()
    lock.release()
    assert not (tmp_path / "run" / "cluster.json").exists()
    assert not is_locked(tmp_path)


@pytest.mark.parametrize("planted", ["fifo", "symlink", "directory"])
def test_a_lock_path_no_master_made_is_not_held_and_never_blocks(tmp_path: Path, planted: str) -> None:
    """`run/cluster.lock` as a FIFO (an open for reading would wait for a writer), a symlink or a
    directory: no master holds it, and asking does not hang `eggscripts start`."""
    (tmp_path / "run").mkdir()
    lock = tmp_path / "run" / "cluster.lock"
    if planted == "fifo":
        os.mkfifo(lock)
    elif planted == "symlink":
        held = tmp_path / "held"
        held.touch()
        lock.symlink_to(held)
    else:
        lock.mkdir()
    assert not is_locked(tmp_path)
    with pytest.raises(EggbinError, match=r"lock `.*cluster\.lock`") as refused:
        StateLock(tmp_path).acquire()  # a master refuses it, plainly: locked, it would hide from `stop`
    assert refused.value.hint == "no eggbin master made it: remove it, then start again"


def test_a_file_left_by_a_killed_master_reads_as_stale(tmp_path: Path) -> None:
    code = (
        "import sys; from eggbin.cluster.state import StateLock\n"
        f"lock = StateLock({str(tmp_path)!r}); lock.acquire()\n"
        f"lock.write({{**{STATE!r}, 'workers': []}}); print('locked', flush=True); sys.stdin.read()\n"
    )
    child = subprocess.Popen([sys.executable, "-c", code], stdin=subprocess.PIPE, stdout=subprocess.PIPE)
    try:
        assert child.stdout is not None
        assert child.stdout.readline() == b"locked\n"
        assert is_locked(tmp_path)
        child.kill()
        child.wait(10)
        assert read_state(tmp_path) is not None  # still on disk
        assert not is_locked(tmp_path)  # but nobody holds the lock
    finally:
        child.kill()
        child.wait(10)
        for stream in (child.stdin, child.stdout):
            if stream:
                stream.close()


@pytest.mark.parametrize(
    ("content", "message"),
    [
        ("{", r"`.*cluster\.json` is not valid JSON"),
        ("[]", r"`.*cluster\.json` does not hold a JSON object"),
        (
            json.dumps({**STATE, "workers": "none"}),
            r"`.*cluster\.json` has no valid `workers` \(expected list\)",
        ),
        (json.dumps({"port": 1}), r"has no valid `master_pid` \(expected int\)"),
    ],
)
def test_malformed_state_files_are_named(tmp_path: Path, content: str, message: str) -> None:
    (tmp_path / "run").mkdir()
    (tmp_path / "run" / "cluster.json").write_text(content)
    with pytest.raises(EggbinError, match=message):
        read_state(tmp_path)


def test_close_timeouts_from_the_environment() -> None:
    options = ClusterOptions(base_dir="/x", port=0).with_env_overrides(
        {
            "EGG_APP_CLOSE_TIMEOUT": "1500",
            "EGG_AGENT_CLOSE_TIMEOUT": "200",
            "EGG_MASTER_CLOSE_TIMEOUT": "9000",
        }
    )
    assert (options.app_close_timeout, options.agent_close_timeout, options.master_close_timeout) == (
        1.5,
        0.2,
        9,
    )
    assert ClusterOptions(base_dir="/x", port=0).with_env_overrides({}).app_close_timeout == 5.0
    with pytest.raises(
        UsageError, match=r"`EGG_AGENT_CLOSE_TIMEOUT=-1` is not a duration; give milliseconds"
    ):
        ClusterOptions(base_dir="/x", port=0).with_env_overrides({"EGG_AGENT_CLOSE_TIMEOUT": "-1"})


def test_heartbeat_interval_follows_the_timeout() -> None:
    assert ClusterOptions(base_dir="/x", port=0).heartbeat_interval == 1.0
    assert ClusterOptions(base_dir="/x", port=0, worker_timeout=2).heartbeat_interval == 0.4
    assert ClusterOptions(base_dir="/x", port=0, worker_timeout=0).heartbeat_interval == 0


def test_messenger_without_a_cluster_delivers_to_itself() -> None:
    messenger = Messenger("app")
    got: list[Any] = []
    messenger.on("a", got.append)
    messenger.once("a", lambda data: got.append(("once", data)))
    messenger.send_to_agent("a", 1)
    messenger.broadcast("a", 2)
    messenger.send_to(os.getpid(), "a", 3)
    assert got == [1, ("once", 1), 2, 3]
    messenger.off("a")
    messenger.send_random("a", 4)
    assert got == [1, ("once", 1), 2, 3]


def test_messenger_envelopes_and_bad_targets() -> None:
    sent: list[dict[str, Any]] = []
    messenger = Messenger("agent")
    messenger.attach(sent.append)
    messenger.send("x", {"k": 1}, "all")
    messenger.send("y", None, 42)
    assert sent == [
        {"action": "x", "data": {"k": 1}, "from": "agent", "to": "all", "receiver_pid": 0},
        {"action": "y", "data": None, "from": "agent", "to": "pid", "receiver_pid": 42},
    ]
    with pytest.raises(
        ValueError, match=r"messenger target `everyone` is not one of all, app, agent, random"
    ):
        messenger.send("z", None, "everyone")


def test_async_handlers_run_on_the_loop() -> None:
    async def main() -> list[int]:
        got: list[int] = []
        messenger = Messenger("app")

        async def handler(data: int) -> None:
            got.append(data)

        messenger.on("a", handler)
        messenger.emit("a", 7)
        await asyncio.sleep(0)
        return got

    assert asyncio.run(main()) == [7]


def test_the_state_records_the_masters_start_time_as_psutil_sees_it() -> None:
    import psutil

    from eggbin.cluster.state import process_started_at

    assert abs(process_started_at() - psutil.Process().create_time()) < 0.05
    child = subprocess.Popen([sys.executable, "-c", "import sys; sys.stdin.read()"], stdin=subprocess.PIPE)
    try:
        assert abs(process_started_at(child.pid) - psutil.Process(child.pid).create_time()) < 0.05
    finally:
        child.communicate(b"", timeout=10)
