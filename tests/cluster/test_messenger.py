"""Every messenger call, from a worker and from the agent, reaches exactly the processes it names."""

from __future__ import annotations

import itertools
from collections import Counter
from pathlib import Path

import httpx
import pytest

from eggbin.web.messenger import envelope
from tests.cluster.running import Running, running
from tests.support import wait_until

_tags = itertools.count()

# (method, target) -> which processes must get it; "self"/"other" are workers relative to the sender.
CASES = [
    ("broadcast", None, {"agent", "self", "other"}),
    ("send_to_app", None, {"self", "other"}),
    ("send_to_agent", None, {"agent"}),
    ("send", "agent", {"agent"}),
    ("send", "app", {"self", "other"}),
    ("send", "all", {"agent", "self", "other"}),
    ("send_to", "agent", {"agent"}),
    ("send_to", "other", {"other"}),
    ("send_to", "self", {"self"}),
]


def receivers(cluster: Running, tag: str) -> Counter[int]:
    return Counter(r["pid"] for r in cluster.observed("probe") if r["data"]["tag"] == tag)


def call(client: httpx.Client, route: str, method: str, target: str | None, pids: dict[str, int]) -> str:
    """Make the messenger call `method` (from the worker behind `client`, or from the agent), then a
    broadcast fence down the same path: once everyone has the fence, the probe had its chance."""
    tag = f"t{next(_tags)}"
    params = {"method": method, "action": "probe", "tag": tag}
    if method == "send_to":
        params["pid"] = str(pids[target or ""])
    elif method == "send":
        params["to"] = target or ""
    assert client.get(route, params=params).status_code == 200
    fence = {"method": "broadcast", "action": "probe", "tag": f"fence-{tag}"}
    assert client.get(route, params=fence).status_code == 200
    return tag


@pytest.mark.parametrize("sender", ["app", "agent"])
def test_each_call_reaches_exactly_the_named_processes(tmp_path: Path, sender: str) -> None:
    with running(tmp_path) as cluster, httpx.Client(base_url=cluster.url) as client:
        me = client.get("/pid").json()["pid"]  # keep-alive: every request below lands on this worker
        other = next(p for p in cluster.ready.pids["workers"] if p != me)
        pids = {"agent": cluster.ready.pids["agent"], "self": me, "other": other}
        everyone = set(pids.values())
        route = "/send" if sender == "app" else "/agent-send"
        for method, target, expected in CASES:
            tag = call(client, route, method, target, pids)
            wait_until(lambda tag=tag: set(receivers(cluster, f"fence-{tag}")) == everyone, what="the fence")
            got = receivers(cluster, tag)
            assert got == Counter({pids[name]: 1 for name in expected}), (method, target)
            sent_by = {r["data"]["from_pid"] for r in cluster.observed("probe") if r["data"]["tag"] == tag}
            assert sent_by == {me if sender == "app" else pids["agent"]}


def test_send_random_reaches_one_worker_and_spreads(tmp_path: Path) -> None:
    with running(tmp_path) as cluster, httpx.Client(base_url=cluster.url) as client:
        workers = set(cluster.ready.pids["workers"])
        seen: set[int] = set()
        for _ in range(40):
            tag = call(client, "/send", "send_random", None, {})
            wait_until(lambda tag=tag: len(receivers(cluster, f"fence-{tag}")) == 3, what="the fence")
            got = receivers(cluster, tag)
            assert sum(got.values()) == 1
            assert set(got) <= workers
            seen |= set(got)
            if seen == workers:
                break
        assert seen == workers


def test_messages_sent_before_egg_ready_are_queued_until_it(tmp_path: Path) -> None:
    """The agent's `send_to_app` from `did_load` (before any worker exists) reaches each worker once,
    after its `egg-ready`."""
    with running(tmp_path) as cluster:
        workers = cluster.ready.pids["workers"]
        wait_until(lambda: len(cluster.observed("probe-early")) == 2, what="the queued message")
        early = cluster.observed("probe-early")
        assert sorted(r["pid"] for r in early) == sorted(workers)
        assert all(r["data"]["from_pid"] == cluster.ready.pids["agent"] for r in early)
        events = [(r["pid"], r["event"]) for r in cluster.observed()]
        for pid in workers:
            assert events.index((pid, "egg-ready")) < events.index((pid, "probe-early"))


def test_parent_and_app_talk_through_the_master(tmp_path: Path) -> None:
    with running(tmp_path) as cluster, httpx.Client(base_url=cluster.url) as client:
        cluster.process.send(
            envelope("probe", {"from_pid": 0, "tag": "from-parent"}, sender="parent", to="app")
        )
        wait_until(lambda: set(receivers(cluster, "from-parent")) == set(cluster.ready.pids["workers"]))
        client.get("/send", params={"method": "send", "action": "hello-parent", "to": "parent", "tag": "up"})
        got = wait_until(
            lambda: [m for m in cluster.process.messages(0.5) if m["action"] == "hello-parent"],
            what="a message to the parent",
        )
        assert got[0]["data"]["tag"] == "up"
        assert got[0]["from"] == "app"


def test_a_pid_that_is_no_child_is_dropped_with_a_warning(tmp_path: Path) -> None:
    with running(tmp_path) as cluster, httpx.Client(base_url=cluster.url) as client:
        client.get("/send", params={"method": "send_to", "action": "probe", "pid": "1", "tag": "lost"})
        wait_until(lambda: "dropped message `probe`: no process with pid 1" in cluster.log())
