"""Leader in the agent, followers in the workers, over a local socket: subscribe, publish, invoke."""

from __future__ import annotations

import asyncio
import os
import signal
from pathlib import Path

import httpx

from eggbin.web.application import Application
from eggbin.web.env import ServerEnv
from tests.cluster.running import Running, copy_app, running
from tests.support import wait_until


def colors(cluster: Running) -> dict[int, list[str]]:
    seen: dict[int, list[str]] = {}
    for record in cluster.observed("color"):
        seen.setdefault(record["pid"], []).append(record["data"])
    return seen


def test_followers_share_the_agents_client(tmp_path: Path) -> None:
    with running(tmp_path, fixture="cluster_client") as cluster, httpx.Client(base_url=cluster.url) as client:
        workers = set(cluster.ready.pids["workers"])
        assert client.get("/publish", params={"key": "color", "value": "red"}).json() == {"published": True}
        wait_until(lambda: {p for p, v in colors(cluster).items() if v[-1:] == ["red"]} == workers)
        assert client.get("/get", params={"key": "color"}).json() == {
            "key": "color",
            "value": "red",
            "from": "main",
        }
        assert client.get("/fail").json() == {
            "error": "the cluster-client leader raised ValueError: the registry is read-only"
        }


def test_followers_come_back_to_a_restarted_agent(tmp_path: Path) -> None:
    with running(tmp_path, fixture="cluster_client") as cluster, httpx.Client(base_url=cluster.url) as client:
        workers = set(cluster.ready.pids["workers"])
        os.kill(cluster.ready.pids["agent"], signal.SIGKILL)
        wait_until(lambda: cluster.state()["agent_pid"] not in (None, cluster.ready.pids["agent"]))

        def published_blue() -> bool:
            client.get("/publish", params={"key": "color", "value": "blue"})
            return {p for p, v in colors(cluster).items() if "blue" in v} == workers

        wait_until(published_blue, interval=0.2, what="both followers to resubscribe")
        assert client.get("/get", params={"key": "color"}).json()["value"] == "blue"


def test_without_a_cluster_create_returns_the_client_itself(tmp_path: Path) -> None:
    app = Application(copy_app(tmp_path, "cluster_client"), ServerEnv("unittest", "test"))
    asyncio.run(app.boot())
    assert type(app.registry).__name__ == "Registry"
    app.registry.publish({"key": "color", "value": "green"})
    assert asyncio.run(app.registry.get("color"))["value"] == "green"
