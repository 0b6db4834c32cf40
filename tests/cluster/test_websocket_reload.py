"""Rolling reloads and WebSockets: every open socket is closed with 1012 (service restart) so its client
reconnects to a new worker, and a handler that ignores the close never holds a worker past its timeout."""

from __future__ import annotations

import contextlib
import json
import time
from pathlib import Path

import psutil
from websockets.sync.client import connect

from tests.cluster.running import running
from tests.cluster.test_asgi_app import close_code, open_ws
from tests.support import wait_until


def test_reload_closes_websockets_with_1012_and_clients_reconnect(tmp_path: Path) -> None:
    with running(tmp_path, "asgi_app", app_close_timeout=2.0) as cluster, contextlib.ExitStack() as stack:
        old_workers = set(cluster.ready.pids["workers"])
        held, stubborn = [], stack.enter_context(open_ws(cluster, "/stubborn"))
        stubborn_pid = int(stubborn.recv(timeout=15))

        def on_both_workers() -> bool:
            ws = stack.enter_context(open_ws(cluster, "/hold"))
            held.append((ws, int(ws.recv(timeout=15))))
            return {pid for _, pid in held} == old_workers

        wait_until(on_both_workers, timeout=60, interval=0, what="a held WebSocket on each worker")
        reloaded = cluster.process.reload(timeout=60)
        assert set(reloaded.workers).isdisjoint(old_workers)
        assert [close_code(ws) for ws, _ in held] == [1012] * len(held)
        assert close_code(stubborn) == 1012
        closed_at = time.monotonic()  # its worker is retiring: 2 s to finish, or it is cancelled
        wait_until(lambda: len(cluster.observed("hold-closed")) == len(held), what="disconnects")
        assert {r["data"] for r in cluster.observed("hold-closed")} == {1012}

        # the worker whose handler ignores the close cancels it at its close timeout and exits by itself
        wait_until(lambda: not psutil.pid_exists(stubborn_pid) or _zombie(stubborn_pid), timeout=15)
        assert time.monotonic() - closed_at < 10  # 2 s close timeout (the master kills at 3 s), plus load
        assert [r["pid"] for r in cluster.observed("stubborn-cancelled")] == [stubborn_pid]  # not a SIGKILL

        url = cluster.url.replace("http://", "ws://") + "/echo"
        with connect(url, proxy=None, open_timeout=15) as again:  # a new worker serves the reconnect
            assert json.loads(again.recv(timeout=15))["pid"] in set(reloaded.workers)


def _zombie(pid: int) -> bool:
    try:
        return psutil.Process(pid).status() == psutil.STATUS_ZOMBIE
    except psutil.NoSuchProcess:
        return True
