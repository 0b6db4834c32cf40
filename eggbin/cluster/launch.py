"""The parent's handle on a master: start it, wait for `egg-ready`, stop it with a deadline."""

from __future__ import annotations

import os
import selectors
import signal
import subprocess
import time
from dataclasses import dataclass
from functools import partial
from typing import Any

from eggbin.cluster.channel import Channel
from eggbin.cluster.master import master_blob
from eggbin.cluster.options import ClusterOptions
from eggbin.cluster.process import spawn_module
from eggbin.errors import ClusterStartError


@dataclass(frozen=True)
class Ready:
    """What `egg-ready` told the parent."""

    port: int
    address: str
    pids: dict[str, Any]


class ClusterProcess:
    """A running master, seen from the process that started it."""

    def __init__(self, popen: subprocess.Popen[bytes], channel: Channel) -> None:
        self.popen = popen
        self.channel = channel

    @classmethod
    def start(
        cls,
        options: ClusterOptions,
        *,
        new_session: bool = False,
        stdout: int | None = None,
        stderr: int | None = None,
    ) -> ClusterProcess:
        popen, channel = spawn_module(
            "eggbin.cluster.master",
            partial(master_blob, options),
            new_session=new_session,
            stdout=stdout,
            stderr=stderr,
        )
        return cls(popen, channel)

    @property
    def pid(self) -> int:
        return self.popen.pid

    def wait_ready(self, timeout: float) -> Ready:
        """Block until `egg-ready`; a failed or timed-out start stops the master and raises."""
        deadline = time.monotonic() + timeout
        with selectors.DefaultSelector() as selector:
            selector.register(self.channel.sock, selectors.EVENT_READ)
            while (left := deadline - time.monotonic()) > 0:
                if not selector.select(timeout=min(left, 0.5)):
                    continue
                for message in self.channel.receive():
                    data = message.get("data") or {}
                    if message["action"] == "egg-ready":
                        return Ready(data["port"], data["address"], data["pids"])
                    if message["action"] == "egg-start-failed":
                        self.wait(10)
                        raise ClusterStartError(data.get("message", "the app failed to start"))
                if self.channel.closed:
                    code = self.wait(5)
                    raise ClusterStartError(f"the master exited with code {code} before the app was ready")
        self.stop(5)
        raise ClusterStartError(f"the app was not ready after {timeout:g} s", hint="see the log above")

    def wait(self, timeout: float) -> int | None:
        try:
            return self.popen.wait(timeout)
        except subprocess.TimeoutExpired:
            return None

    def signal(self, signum: int) -> None:
        if self.popen.poll() is None:
            os.kill(self.popen.pid, signum)

    def stop(self, timeout: float) -> int:
        """SIGTERM, wait up to `timeout`, then SIGKILL (children die with their master)."""
        self.signal(signal.SIGTERM)
        code = self.wait(timeout)
        if code is None:
            self.signal(signal.SIGKILL)
            code = self.popen.wait()
        self.channel.close()
        return code
