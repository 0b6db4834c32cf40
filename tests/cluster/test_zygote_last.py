"""Without `keep_zygote` (`eggscripts start`), a first workers' batch that holds every worker is the
zygote's last: it forks them itself (no middle process: one fork less before the first worker runs) and
exits once their pids are told, which makes them the master's; later children are spawned."""

from __future__ import annotations

import json
import subprocess
import sys
import time
from pathlib import Path
from typing import Any

import pytest

from eggbin.cluster.channel import encode, envelope
from eggbin.cluster.master import Master
from eggbin.cluster.options import ClusterOptions
from tests.cluster.test_zygote_batch import close_channels, fake_spawns, no_spawn, patient_zygote

# a fresh interpreter as the master of a real zygote (its preloads, its loop), asked the agent's batch and
# a last batch of two workers, as a start without `keep_zygote` asks them; the zygote logs its forks and
# what it sends, each child which process forked it; the zygote is not told to stop
LAST_BATCH = """
import json, os, socket, sys, time
from eggbin.cluster import zygote_process
from eggbin.cluster.zygote import ForkedChild, Zygote, _become_subreaper
from eggbin.cluster.zygote_preload import AGENT
assert _become_subreaper()
master_pid = os.getpid()
ours, theirs = socket.socketpair(socket.AF_UNIX, socket.SOCK_SEQPACKET)
zygote = Zygote(0, ours)
agent = zygote.ask([(AGENT, lambda fd: "{}", (), b"")])
workers = zygote.ask([("w", lambda fd: "{}", (), b"")] * 2, last=True)
log_read, log_write = os.pipe()
pid = os.fork()
if pid == 0:
    ours.close()
    os.close(log_read)
    zygote_pid = os.getpid()
    def note(event):
        if os.getpid() == zygote_pid:  # not the middle process's
            os.write(log_write, (event + "\\n").encode())
    os.register_at_fork(before=lambda: note("fork"))
    class Control(socket.socket):
        def send(self, data, *args):
            note(json.dumps(sorted(json.loads(data))))
            return super().send(data, *args)
    def run_child(master, module, blob, fds, forked_by):
        by = "zygote" if forked_by == zygote_pid else "middle"
        os.write(log_write, f"{module}@{by}\\n".encode())
        os._exit(0)
    zygote_process.run_child = run_child
    zygote_process.run_zygote(Control(fileno=theirs.detach()), master_pid, "last")
theirs.close()
os.close(log_write)
zygote.process = ForkedChild(pid)
children = len(zygote.collect(agent))
forked = zygote.collect(workers)  # returns once the zygote has exited: they are this process's children
exited = zygote.process.returncode
for child, channel in forked:
    os.waitpid(child.pid, 0)  # ChildProcessError if not
    channel.close()
children += len(forked)
asked_again = zygote.ask_ahead([("w", lambda fd: "{}", (), None, b"")])
zygote.stop()
with os.fdopen(log_read) as log:
    lines = log.read().split()
print(json.dumps({"children": children, "exited": exited, "asked_again": bool(asked_again), "log": lines}))
"""


def test_the_last_batch_is_forked_by_the_zygote_itself_which_then_exits() -> None:
    done = subprocess.run([sys.executable, "-c", LAST_BATCH], capture_output=True, text=True, timeout=60)
    assert done.returncode == 0, done.stderr
    result = json.loads(done.stdout.splitlines()[-1])
    assert result["children"] == 3
    zygote_log = [line for line in result["log"] if "@" not in line]
    pid, ready = '["pid"]', '["ready"]'
    # the agent's middle process, then each worker from the zygote itself, the agent's pid told once the
    # first is forked (its workers wait for the `agent-started` the master then sends); the usual order
    assert zygote_log == ["fork", "fork", pid, "fork", ready, pid, pid]
    forked = sorted(line for line in result["log"] if "@" in line)
    assert forked == ["eggbin.cluster.agent@middle", "w@zygote", "w@zygote"]
    assert result["exited"] == 0  # by itself, its last batch told: its children are then the master's
    assert not result["asked_again"]  # retired: later children are spawned


def close_all(master: Master, seen: list[dict[str, Any]]) -> None:
    """The channels of an in-process master with a patient zygote, its selector and control socket."""
    close_channels(seen)
    for end in (master.pending_workers or ((), None))[1] or []:
        end.close()
    for child in master.children.values():
        child.channel.close()
    master.selector.close()
    assert master.zygote is not None
    master.zygote.control.close()


@pytest.mark.parametrize(
    ("keep_zygote", "workers", "last"),
    [(False, 3, True), (True, 3, False), (False, 8, False)],  # 8: the first batch holds 7 of them
)
def test_only_a_start_without_keep_zygote_asks_every_worker_as_the_last_batch(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, keep_zygote: bool, workers: int, last: bool
) -> None:
    spawned = fake_spawns(monkeypatch, 200000)
    ahead = min(workers, 7)
    zygote, seen, thread = patient_zygote(1 + ahead)
    options = ClusterOptions(base_dir=str(tmp_path), port=0, workers=workers, keep_zygote=keep_zygote)
    master = Master(options, None, zygote)
    master.write_state = lambda: None  # type: ignore[method-assign]
    try:
        master.spawn_first()
        thread.join(10)
        flags: list[Any] = [entry["last"] for entry in seen]
        assert flags == [False] * ahead + [last]  # the agent's batch never is
        assert zygote.retired is last
        if last:
            master.spawn("worker", 9)  # a respawn: the zygote is not asked again
            assert spawned == ["eggbin.cluster.worker"]
    finally:
        close_all(master, seen)


def test_the_agent_s_agent_start_is_read_before_the_pids_of_the_zygote_s_last_batch(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Taking those pids waits for the zygote's exit (a few ms): the workers wait for `agent-started`."""
    monkeypatch.setattr("eggbin.cluster.process.spawn_module", no_spawn)
    zygote, seen, thread = patient_zygote(2)
    options = ClusterOptions(base_dir=str(tmp_path), port=0, workers=1, keep_zygote=False)
    master = Master(options, None, zygote)
    master.write_state = lambda: None  # type: ignore[method-assign]
    master.reap_children = lambda: None  # type: ignore[method-assign]  # made-up pids
    master.reaps_orphans = False
    order: list[str] = []
    master.read_zygote = lambda: order.append("zygote")  # type: ignore[method-assign]
    master.handle_message = lambda child, message: order.append(message["action"])  # type: ignore[method-assign]
    try:
        master.spawn_first()
        thread.join(10)
        seen[0]["channel"].sendall(encode(envelope("agent-start", sender="agent")))  # the agent's
        deadline = time.monotonic() + 10
        while len(order) < 2 and time.monotonic() < deadline:
            master.tick()
        assert order[:2] == ["agent-start", "zygote"]
    finally:
        close_all(master, seen)


def test_a_zygote_gone_before_it_answers_its_last_batch_has_every_child_spawned_in_order(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    zygote, seen, thread = patient_zygote(3, answer=False)
    options = ClusterOptions(base_dir=str(tmp_path), port=0, workers=2, keep_zygote=False)
    master = Master(options, None, zygote)
    master.write_state = lambda: None  # type: ignore[method-assign]
    spawned = fake_spawns(monkeypatch, 200000)
    try:
        master.spawn_first()
        thread.join(10)
        master.read_zygote()
        assert [entry["last"] for entry in seen] == [False, False, True]  # asked, then it was gone
        assert spawned == ["eggbin.cluster.agent", "eggbin.cluster.worker", "eggbin.cluster.worker"]
        assert sorted((w.id, w.pid) for w in master.workers) == [(1, 200002), (2, 200003)]
    finally:
        close_all(master, seen)
