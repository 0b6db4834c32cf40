"""Readiness across a real cluster: 503 until `egg-ready`, 200, then 503 the moment a stop begins while
`config.health.drain_delay` keeps the socket serving; only then do workers close it."""

from __future__ import annotations

import signal
import time
from pathlib import Path

import httpx

from tests.cluster.running import copy_app, start, stop
from tests.support import port_accepts, wait_until

DRAIN = 4.0


def get(url: str) -> httpx.Response | None:
    try:
        return httpx.get(url, timeout=5)
    except httpx.HTTPError:
        return None


def status(url: str) -> int | None:
    response = get(url)
    return None if response is None else response.status_code


def readiness(url: str) -> str | None:
    response = get(f"{url}/readyz")
    return None if response is None else f"{response.status_code} {response.json()['status']}"


def test_readiness_turns_503_at_sigterm_and_the_drain_delay_keeps_serving(tmp_path: Path) -> None:
    app_dir = copy_app(tmp_path, "cluster_basic")
    config = app_dir / "config" / "default.py"
    config.write_text(config.read_text().replace('"keys"', f'"health": {{"drain_delay": {DRAIN}}}, "keys"'))
    process, _ = start(app_dir, tmp_path / "master.log")
    try:
        ready = process.wait_ready(30)
        url, port = ready.address, ready.port
        wait_until(lambda: readiness(url) == "200 ready", what="every worker to see egg-ready")
        sent = time.monotonic()
        process.signal(signal.SIGTERM)
        wait_until(lambda: readiness(url) == "503 stopping", timeout=DRAIN / 2, what="readiness to turn 503")
        flipped = time.monotonic() - sent
        state = (app_dir / "run" / "cluster.json").read_text()
        assert '"state": "draining"' in state
        assert '"drain_delay": 4.0' in state
        served = 0
        # the socket stays open and every request is answered (the last one starts well before the end)
        while time.monotonic() - sent < DRAIN / 2:
            assert status(f"{url}/") == 200
            assert readiness(url) == "503 stopping"
            assert status(f"{url}/livez") == 200  # alive: nothing restarts a draining pod
            served += 1
        assert process.wait(DRAIN + 15) == 0
        stopped = time.monotonic() - sent
        assert DRAIN <= stopped < DRAIN + 10, stopped
        assert flipped < DRAIN / 2, flipped
        assert served >= 1
        assert not port_accepts(port)
        assert (
            "draining for 4 s (config.health.drain_delay) before closing"
            in (tmp_path / "master.log").read_text()
        )
    finally:
        stop(process)


def test_without_a_drain_delay_the_stop_is_immediate(tmp_path: Path) -> None:
    app_dir = copy_app(tmp_path, "cluster_basic")
    process, _ = start(app_dir, tmp_path / "master.log", workers=1)
    try:
        ready = process.wait_ready(30)
        wait_until(lambda: readiness(ready.address) == "200 ready", what="the worker to see egg-ready")
        sent = time.monotonic()
        process.signal(signal.SIGTERM)
        assert process.wait(15) == 0
        assert time.monotonic() - sent < 3
        assert "draining" not in (tmp_path / "master.log").read_text()
    finally:
        stop(process)
