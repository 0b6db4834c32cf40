"""Workers asked of the zygote: what their channel holds when their fork is requested, and one batch of
forks from one middle process (its children each the master's, each holding only its own channel)."""

from __future__ import annotations

import json
import socket
import subprocess
import sys
import threading
from collections.abc import Callable, Iterator
from pathlib import Path
from types import SimpleNamespace
from typing import Any

import pytest

from eggbin.cluster.channel import SETTINGS_CHECKED
from eggbin.cluster.children import AGENT_STARTED
from eggbin.cluster.master import Master
from eggbin.cluster.options import ClusterOptions
from eggbin.cluster.process import Child
from eggbin.cluster.stop_sequence import State
from eggbin.cluster.zygote import Zygote


def fake_zygote(requests: int) -> tuple[Zygote, list[dict[str, Any]], threading.Thread]:
    """A zygote that forks nothing: for each request it notes what the child's channel already holds,
    then answers with a made-up pid, as the real one answers (in order)."""
    ours, theirs = socket.socketpair(socket.AF_UNIX, socket.SOCK_SEQPACKET)
    zygote = Zygote(0, ours)
    zygote.process = SimpleNamespace(pid=0, poll=lambda: None)  # type: ignore[assignment]
    seen: list[dict[str, Any]] = []

    def serve() -> None:
        with theirs:
            for number in range(requests):
                packet, fds, _, _ = socket.recv_fds(theirs, 1 << 20, 8)
                with socket.socket(fileno=fds[0]) as channel:
                    try:
                        held = channel.recv(65536, socket.MSG_DONTWAIT)
                    except BlockingIOError:
                        held = b""
                for fd in fds[1:]:
                    socket.close(fd)
                request = json.loads(packet)
                actions = [json.loads(line)["action"] for line in held.splitlines()]
                more = request.get("more", False)
                seen.append({"module": request["module"], "more": more, "held": actions})
                theirs.send(json.dumps({"pid": 100000 + number}).encode())

    thread = threading.Thread(target=serve, daemon=True)
    thread.start()
    return zygote, seen, thread


@pytest.fixture
def masters() -> Iterator[list[Master]]:
    """In-process masters, their channels, selector and zygote socket closed after the test."""
    made: list[Master] = []
    yield made
    for master in made:
        for child in master.children.values():
            child.channel.close()
        master.selector.close()
        if master.zygote:
            master.zygote.control.close()


@pytest.fixture
def master_with(tmp_path: Path, masters: list[Master]) -> Callable[[Zygote, int], Master]:
    def make(zygote: Zygote, workers: int) -> Master:
        masters.append(Master(ClusterOptions(base_dir=str(tmp_path), port=0, workers=workers), None, zygote))
        return masters[-1]

    return make


def test_workers_forked_after_agent_start_find_it_in_their_channel_before_the_fork_is_asked(
    master_with: Callable[[Zygote, int], Master],
) -> None:
    """No worker waits for the master to hear every pid of the batch before it may load the app."""
    zygote, seen, thread = fake_zygote(3)
    master = master_with(zygote, 3)
    master.state, master.settings_checked = State.STARTING_WORKERS, True
    master.spawn_workers()
    thread.join(10)
    assert [entry["held"] for entry in seen] == [[AGENT_STARTED, SETTINGS_CHECKED]] * 3
    assert [entry["more"] for entry in seen] == [True, True, False]  # one batch
    assert sorted(w.pid for w in master.workers) == [100000, 100001, 100002]
    # told once: nothing more was queued for them (their ends are closed: EOF right after the greeting)
    for worker in master.workers:
        worker.channel.sock.settimeout(5)
        assert worker.channel.sock.recv(4096) == b""


def test_workers_forked_before_agent_start_hold_nothing_yet_and_the_agent_no_greeting(
    master_with: Callable[[Zygote, int], Master],
) -> None:
    zygote, seen, thread = fake_zygote(3)
    master = master_with(zygote, 2)
    master.spawn("agent", 0)
    master.spawn_workers()
    thread.join(10)
    assert [(entry["module"], entry["held"]) for entry in seen] == [
        ("eggbin.cluster.agent", []),
        ("eggbin.cluster.worker", []),
        ("eggbin.cluster.worker", []),
    ]


def test_a_respawned_worker_before_the_settings_check_holds_agent_started_only(
    master_with: Callable[[Zygote, int], Master],
) -> None:
    zygote, seen, thread = fake_zygote(1)
    master = master_with(zygote, 1)
    master.state = State.STARTING_WORKERS
    master.spawn("worker", 1)
    thread.join(10)
    assert seen[0]["held"] == [AGENT_STARTED]


# a fresh interpreter as the master (a subreaper) of a zygote that serves one batch of 3 children: each
# child reports its parent, what its channel held and the fds it has; the zygote counts its own forks
BATCH = """
import json, os, socket, sys
sys.path.insert(0, sys.argv[1])
from eggbin.cluster import zygote_process
from eggbin.cluster.channel import encode, envelope
from eggbin.cluster.options import ChildOptions, ClusterOptions
from eggbin.cluster.zygote import Zygote, _become_subreaper
assert _become_subreaper()
master_pid = os.getpid()
ours, theirs = socket.socketpair(socket.AF_UNIX, socket.SOCK_SEQPACKET)
count_read, count_write = os.pipe()
pid = os.fork()
if pid == 0:
    ours.close()
    forks = []
    os.register_at_fork(after_in_parent=lambda: forks.append(1))
    zygote_process.serve(theirs, master_pid)
    os.write(count_write, str(len(forks)).encode())
    os._exit(0)
theirs.close()
zygote = Zygote(pid, ours)
cluster = ClusterOptions(base_dir=sys.argv[1], port=0)
def blob_for(slot):
    return lambda fd: ChildOptions(cluster, "worker", slot, fd, -1, master_pid).dumps()
requests = [
    ("batch_child", blob_for(slot), (), None, encode(envelope("hello", {"slot": slot})))
    for slot in (1, 2, 3)
]
started = zygote.spawn_many(requests)
reports = []
for child, channel in started:
    channel.sock.settimeout(20)
    line = b""
    while not line.endswith(b"\\n"):
        chunk = channel.sock.recv(65536)
        if not chunk:
            sys.exit(f"child {child.pid} closed its channel without a report")
        line += chunk
    report = json.loads(line)
    report["pid_told"] = child.pid
    reports.append(report)
    while child.poll() is None:
        pass
    report["exit"] = child.poll()
zygote.stop()
forks = int(os.read(count_read, 64))
print(json.dumps({"reports": reports, "zygote_forks": forks, "master": master_pid}))
"""

BATCH_CHILD = """
import json, os, socket, sys
from eggbin.cluster.options import ChildOptions
from eggbin.cluster.process import die_with_parent


def main():
    options = ChildOptions.loads(sys.argv[1])
    channel = socket.socket(fileno=options.channel_fd)
    held = json.loads(channel.recv(65536).splitlines()[0])
    die_with_parent(options.master_pid, options.forked_by)  # as every role does before the app's code
    sockets = 0
    for fd in os.listdir("/proc/self/fd"):
        try:
            sockets += os.readlink(f"/proc/self/fd/{fd}").startswith("socket:")
        except FileNotFoundError:  # the directory's own fd, closed since
            pass
    report = {"slot": options.id, "pid": os.getpid(), "ppid": os.getppid(), "held": held["data"]}
    report["forked_by"] = options.forked_by
    report["sockets"] = sockets
    channel.sendall(json.dumps(report).encode() + b"\\n")
"""


def test_a_batch_is_forked_from_one_middle_process_and_each_child_is_the_masters(tmp_path: Path) -> None:
    (tmp_path / "batch_child.py").write_text(BATCH_CHILD)
    done = subprocess.run(
        [sys.executable, "-c", BATCH, str(tmp_path)], capture_output=True, text=True, timeout=60
    )
    assert done.returncode == 0, done.stderr
    result = json.loads(done.stdout.splitlines()[-1])
    reports = result["reports"]
    assert [r["slot"] for r in reports] == [1, 2, 3]  # pids told in the order asked
    assert all(r["pid"] == r["pid_told"] and r["exit"] == 0 for r in reports)
    # forked by one middle process, each child re-parented to the subreaper before the app's code runs
    assert len({r["forked_by"] for r in reports}) == 1
    assert reports[0]["forked_by"] not in (0, result["master"])
    assert all(r["ppid"] == result["master"] for r in reports)
    assert [r["held"] for r in reports] == [{"slot": 1}, {"slot": 2}, {"slot": 3}]  # each its own channel
    # its channel and nothing else: another child's end here would hide that child's exit from the master
    assert [r["sockets"] for r in reports] == [1, 1, 1]
    assert result["zygote_forks"] == 1  # the middle process; it forked the three children


def test_a_batch_of_workers_is_recorded_in_the_state_file_once(
    master_with: Callable[[Zygote, int], Master],
) -> None:
    """One write for the batch, not one per worker: they boot meanwhile on the same cores."""
    zygote, _, thread = fake_zygote(4)
    master = master_with(zygote, 4)
    master.state = State.STARTING_WORKERS
    writes: list[int] = []
    master.write_state = lambda: writes.append(len(master.workers))  # type: ignore[method-assign]
    master.spawn_workers()
    thread.join(10)
    assert writes == [4]


def patient_zygote(
    requests: int, answer: bool = True, notice: bool = False
) -> tuple[Zygote, list[dict[str, Any]], threading.Thread]:
    """A zygote that answers nothing until it has all `requests` (or 10 s passed): a master that waited
    for an answer before asking for the rest would be answered only then, and only in part. It keeps
    each child's end of its channel (`seen[i]["channel"]`), sends its `ready` notice after the first
    pid with `notice`, and without `answer` closes the control socket instead (it died)."""
    ours, theirs = socket.socketpair(socket.AF_UNIX, socket.SOCK_SEQPACKET)
    zygote = Zygote(0, ours)
    zygote.process = SimpleNamespace(pid=0, poll=lambda: None)  # type: ignore[assignment]
    zygote.kill = lambda: None  # type: ignore[method-assign]  # pid 0: never signal the test's own group
    seen: list[dict[str, Any]] = []

    def serve() -> None:
        theirs.settimeout(10)
        with theirs:
            for _ in range(requests):
                try:
                    packet, fds, _, _ = socket.recv_fds(theirs, 1 << 20, 8)
                except TimeoutError:
                    break
                for fd in fds[1:]:
                    socket.close(fd)
                request = json.loads(packet)
                channel = socket.socket(fileno=fds[0])
                more, last = request.get("more", False), request.get("last", False)
                seen.append({"module": request["module"], "more": more, "last": last, "channel": channel})
            if answer:
                for number in range(len(seen)):
                    theirs.send(json.dumps({"pid": 100000 + number}).encode())
                    if notice and number == 0:
                        theirs.send(json.dumps({"ready": "workers"}).encode())

    thread = threading.Thread(target=serve, daemon=True)
    thread.start()
    return zygote, seen, thread


def close_channels(seen: list[dict[str, Any]]) -> None:
    for entry in seen:
        entry["channel"].close()


def no_spawn(*args: Any, **kwargs: Any) -> None:
    raise AssertionError("the zygote was not asked in time: a child was spawned instead")


def fake_spawns(monkeypatch: pytest.MonkeyPatch, first_pid: int) -> list[str]:
    """Spawns that start nothing: each noted (its module), with a made-up pid after `first_pid`."""
    spawned: list[str] = []

    def spawn_module(module: str, blob_for: Any, **_: Any) -> tuple[Any, Any]:
        spawned.append(module)
        ours, theirs = socket.socketpair()
        theirs.close()
        from eggbin.cluster.channel import Channel

        return SimpleNamespace(pid=first_pid + len(spawned), poll=lambda: None), Channel(ours)

    monkeypatch.setattr("eggbin.cluster.process.spawn_module", spawn_module)
    monkeypatch.setattr("eggbin.cluster.children.spawn_module", spawn_module)
    return spawned


def test_the_first_start_asks_for_the_agent_and_every_worker_before_the_zygote_answers(
    master_with: Callable[[Zygote, int], Master], monkeypatch: pytest.MonkeyPatch
) -> None:
    """The zygote forks the workers as soon as it holds their modules: no round trip through the master.
    Their pids come through the loop; what the master tells them meanwhile waits in their channels."""
    monkeypatch.setattr("eggbin.cluster.process.spawn_module", no_spawn)
    zygote, seen, thread = patient_zygote(4, notice=True)
    master = master_with(zygote, 3)
    writes: list[int] = []
    master.write_state = lambda: writes.append(len(master.children))  # type: ignore[method-assign]
    master.spawn_first()
    thread.join(10)
    try:
        assert [(entry["module"], entry["more"]) for entry in seen] == [
            ("eggbin.cluster.agent", False),  # a batch of its own: forked first, right after its modules
            ("eggbin.cluster.worker", True),
            ("eggbin.cluster.worker", True),
            ("eggbin.cluster.worker", False),
        ]
        assert master.agent is not None
        assert master.agent.pid == 100000
        assert master.workers == []  # not read yet: the loop handles the agent's messages meanwhile
        master.agent_started(master.agent, settings_pending=False)
        master.read_zygote()  # the `ready` notice: read, nothing else
        assert master.workers == []
        master.read_zygote()  # the pids
        assert sorted((w.id, w.pid) for w in master.workers) == [(1, 100001), (2, 100002), (3, 100003)]
        assert writes == [1, 4]  # the agent, then the workers' batch once
        for entry in seen[1:]:
            entry["channel"].settimeout(5)
            told = [json.loads(line)["action"] for line in entry["channel"].recv(65536).splitlines()]
            assert told == [AGENT_STARTED, SETTINGS_CHECKED]
    finally:
        close_channels(seen)


def test_a_stop_before_the_first_workers_pids_came_waits_for_them_and_stops_them_too(
    master_with: Callable[[Zygote, int], Master], monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr("eggbin.cluster.process.spawn_module", no_spawn)
    zygote, seen, thread = patient_zygote(3)
    master = master_with(zygote, 2)
    signalled: list[int] = []
    monkeypatch.setattr(Child, "signal", lambda child, signum: signalled.append(child.pid))
    master.spawn_first()
    thread.join(10)
    try:
        master.begin_stop()
        assert sorted(w.pid for w in master.workers) == [100001, 100002]
        assert sorted(signalled) == [100001, 100002]  # SIGTERM: the workers go first
    finally:
        close_channels(seen)


def test_a_zygote_gone_before_it_answers_the_first_start_spawns_every_child_in_order(
    master_with: Callable[[Zygote, int], Master], monkeypatch: pytest.MonkeyPatch
) -> None:
    zygote, seen, thread = patient_zygote(3, answer=False)
    master = master_with(zygote, 2)
    spawned = fake_spawns(monkeypatch, 200000)
    master.spawn_first()
    thread.join(10)
    master.read_zygote()
    close_channels(seen)
    assert len(seen) == 3  # asked, then the zygote was gone
    assert spawned == ["eggbin.cluster.agent", "eggbin.cluster.worker", "eggbin.cluster.worker"]
    assert master.agent is not None
    assert master.agent.pid == 200001
    assert sorted((w.id, w.pid) for w in master.workers) == [(1, 200002), (2, 200003)]


def test_a_stop_after_the_zygote_failed_spawns_no_worker_only_to_stop_it(
    master_with: Callable[[Zygote, int], Master], monkeypatch: pytest.MonkeyPatch
) -> None:
    zygote, seen, thread = patient_zygote(3, answer=False)
    master = master_with(zygote, 2)
    spawned = fake_spawns(monkeypatch, 300000)
    monkeypatch.setattr(Child, "signal", lambda child, signum: None)
    master.spawn_first()  # the zygote fails the agent's batch: the agent is spawned
    thread.join(10)
    close_channels(seen)
    master.begin_stop()
    assert spawned == ["eggbin.cluster.agent"]
    assert master.workers == []


# a fresh interpreter as the master of a real zygote (its preloads, its loop; its children exit at once):
# the agent's batch and the workers' are asked before it forks, as a start asks them; the zygote logs its
# forks and what it sends the master, in order
FIRST_BATCHES = """
import json, os, socket, sys
from eggbin.cluster import zygote_process
from eggbin.cluster.zygote import ForkedChild, Zygote, _become_subreaper
from eggbin.cluster.zygote_preload import AGENT
assert _become_subreaper()
master_pid = os.getpid()
ours, theirs = socket.socketpair(socket.AF_UNIX, socket.SOCK_SEQPACKET)
zygote = Zygote(0, ours)
asked = [zygote.ask([(module, lambda fd: "{}", (), b"")] * count) for module, count in ((AGENT, 1), ("w", 2))]
log_read, log_write = os.pipe()
pid = os.fork()
if pid == 0:
    ours.close()
    os.close(log_read)
    zygote_pid = os.getpid()
    def note(event):
        if os.getpid() == zygote_pid:  # not the middle processes'
            os.write(log_write, (event + "\\n").encode())
    os.register_at_fork(before=lambda: note("fork"))
    class Control(socket.socket):
        def send(self, data, *args):
            note(json.dumps(sorted(json.loads(data))))
            return super().send(data, *args)
    zygote_process.run_child = lambda *args: os._exit(0)
    zygote_process.run_zygote(Control(fileno=theirs.detach()), master_pid, "order")
theirs.close()
os.close(log_write)
zygote.process = ForkedChild(pid)
children = [len(zygote.collect(ends)) for ends in asked]
zygote.stop()
with os.fdopen(log_read) as log:
    print(json.dumps([children, log.read().split()]))
"""


def test_the_first_workers_are_forked_before_the_master_hears_of_the_agent() -> None:
    """The master, woken by the agent's pid, would take the zygote's CPU before the workers' fork."""
    done = subprocess.run([sys.executable, "-c", FIRST_BATCHES], capture_output=True, text=True, timeout=60)
    assert done.returncode == 0, done.stderr
    children, log = json.loads(done.stdout.splitlines()[-1])
    assert children == [1, 2]
    pid, ready = '["pid"]', '["ready"]'
    assert log == ["fork", "fork", pid, ready, pid, pid]  # the agent's middle, the workers', then the pids
