"""What the master does while the cluster starts: what it tells its parent of the boots, how often it
rewrites the state file, and what it does, in order, when the last worker is up (in-process: a master
with made-up children on real socket pairs)."""

from __future__ import annotations

import socket
import time
from collections.abc import Iterator
from pathlib import Path
from types import SimpleNamespace
from typing import Any

import pytest

from eggbin.cluster.channel import Channel, Message
from eggbin.cluster.launch import pending_boot, phase_began
from eggbin.cluster.master import Master
from eggbin.cluster.options import ClusterOptions
from eggbin.cluster.process import Child
from eggbin.cluster.stop_sequence import State


class Recorded(Channel):
    """A channel that notes, in one log shared with the others, who was sent which action."""

    def __init__(self, name: str, log: list[tuple[str, str]]) -> None:
        self.peer, sock = socket.socketpair()
        super().__init__(sock)
        self.name, self.log = name, log

    def send(self, message: Message) -> bool:
        self.log.append((self.name, str(message.get("action"))))
        return super().send(message)

    def close(self) -> None:
        super().close()
        self.peer.close()

    def peer_messages(self) -> list[Message]:
        """What arrived at the other end so far."""
        self.peer.settimeout(5)
        return Channel(self.peer).receive()


@pytest.fixture
def started(tmp_path: Path) -> Iterator[tuple[Master, list[tuple[str, str]]]]:
    """A master starting 3 workers (its agent started): every send and state write goes to the log."""
    log: list[tuple[str, str]] = []
    master = Master(ClusterOptions(base_dir=str(tmp_path), port=0, workers=3), Recorded("parent", log))
    master.listener = socket.create_server(("127.0.0.1", 0))
    master.write_state = lambda: log.append(("state", master.state.value))  # type: ignore[method-assign]
    channels = []
    for child_id, pid in ((0, 2000), (1, 2001), (2, 2002), (3, 2003)):
        role = "worker" if child_id else "agent"
        channels.append(Recorded(f"{role}{child_id or ''}", log))
        popen: Any = SimpleNamespace(pid=pid, poll=lambda: None)
        master.children[pid] = Child(role, child_id, popen, channels[-1], ready=role == "agent")
    master.state, master.settings_checked = State.STARTING_WORKERS, True
    try:
        yield master, log
    finally:
        for channel in channels:
            channel.close()
        assert master.parent is not None
        master.parent.close()
        master.listener.close()
        master.selector.close()


def test_egg_ready_goes_to_the_parent_first_after_the_state_file_then_to_the_workers_then_the_agent(
    started: tuple[Master, list[tuple[str, str]]],
) -> None:
    """egg-cluster's order (parent, app, agent); the state file is final before the parent hears it."""
    master, log = started
    for pid in (2001, 2002, 2003):
        master.worker_started(master.children[pid])
    ready = [entry for entry in log if entry[1] in ("egg-ready", "ready")]
    assert ready == [
        ("state", "ready"),
        ("parent", "egg-ready"),
        ("worker1", "egg-ready"),
        ("worker2", "egg-ready"),
        ("worker3", "egg-ready"),
        ("agent", "egg-ready"),
    ]


def test_the_agent_learns_the_workers_after_the_parent_hears_egg_ready_and_before_its_own(
    started: tuple[Master, list[tuple[str, str]]],
) -> None:
    """Its "immediate" schedules need the workers at egg-ready; woken earlier, it held the master's core
    before the parent heard it."""
    master, log = started
    for pid in (2001, 2002, 2003):
        master.worker_started(master.children[pid])
    sent = [entry for entry in log if entry[1] in ("egg-ready", "cluster-workers")]
    assert sent.index(("parent", "egg-ready")) < sent.index(("agent", "cluster-workers"))
    assert sent[-2:] == [("agent", "cluster-workers"), ("agent", "egg-ready")]
    agent = master.children[2000].channel
    assert isinstance(agent, Recorded)
    told = agent.peer_messages()
    assert [message["action"] for message in told] == ["cluster-workers", "egg-ready"]
    assert told[0]["data"]["pids"] == [2001, 2002, 2003]


def test_workers_up_while_starting_are_recorded_once_at_ready_and_later_ones_at_once(
    started: tuple[Master, list[tuple[str, str]]],
) -> None:
    master, log = started
    master.worker_started(master.children[2001])
    master.worker_started(master.children[2002])
    assert [entry for entry in log if entry[0] == "state"] == []  # nothing rewritten while starting
    master.worker_started(master.children[2003])
    assert [entry for entry in log if entry[0] == "state"] == [("state", "ready")]
    log.clear()
    master.worker_started(master.children[2002])  # a respawned worker, once ready: recorded at once
    assert [entry for entry in log if entry[0] == "state"] == [("state", "ready")]


def test_the_parent_hears_only_of_a_boot_phase_that_lasts_once_with_how_long_it_lasted(
    started: tuple[Master, list[tuple[str, str]]],
) -> None:
    """A boot's ~13 phases are not forwarded as they begin; one still running is, once: a timeout
    names it, and how long it has been running."""
    master, log = started
    parent = master.parent
    assert isinstance(parent, Recorded)
    worker = master.children[2001]
    for phase in ("load plugins", "load config", "load extends", "load boots", "load files"):
        master.handle_message(worker, {"action": "boot-progress", "data": {"phase": phase}})
    master.tell_lasting_phases()
    assert log == []
    worker.phase_since -= 3.0  # `load files` has been running for 3 s
    master.tell_lasting_phases()
    master.tell_lasting_phases()
    assert log == [("parent", "boot-progress")]
    [told] = parent.peer_messages()
    assert told["data"]["who"] == worker.label
    assert told["data"]["phase"] == "load files"
    assert 3.0 <= told["data"]["for"] < 60
    progress = {worker.label: (told["data"]["phase"], phase_began(told["data"]["for"]))}
    assert "load files` (3." in pending_boot(progress)


@pytest.mark.parametrize("lasted", [None, "3", -5, True])
def test_a_phase_of_unknown_length_began_when_it_was_heard_of(lasted: object) -> None:
    began = phase_began(lasted)
    assert 0 <= time.monotonic() - began < 1
