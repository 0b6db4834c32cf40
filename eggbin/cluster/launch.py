"""The parent's handle on a master: start it, wait for `egg-ready`, reload and stop it with deadlines.

The dev server and `eggscripts reload` call `reload()` (or `request_reload()` and watch `messages()`
for `reload-done` {ms, workers} / `reload-failed` {message}); SIGHUP to the master does the same.
"""

from __future__ import annotations

import os
import selectors
import signal
import subprocess
import time
from functools import partial
from typing import Any, Protocol

from msgspec import Struct

from eggbin.cluster import start_trace
from eggbin.cluster.channel import BOOT_PROGRESS, Channel, Message, envelope
from eggbin.cluster.options import ClusterOptions, master_blob
from eggbin.cluster.process import describe_exit, spawn_module
from eggbin.errors import ClusterStartError, EggbinError


class ReloadError(EggbinError):
    """A rolling replacement failed: the old workers keep serving."""


class Ready(Struct, frozen=True):
    """What `egg-ready` told the parent."""

    port: int
    address: str
    pids: dict[str, Any]


class Reloaded(Struct, frozen=True):
    """What `reload-done` told the parent: the time it took and the new workers' pids."""

    ms: int
    workers: list[int]


class MasterProcess(Protocol):
    """What a parent needs of its master's process: a `subprocess.Popen`, or a `become.ForkedMaster`."""

    pid: int
    returncode: int | None

    def poll(self) -> int | None: ...

    def wait(self, timeout: float | None = None) -> int: ...


class ClusterProcess:
    """A running master, seen from the process that started it."""

    def __init__(self, popen: MasterProcess, channel: Channel) -> None:
        self.popen = popen
        self.channel = channel
        self._inbox: list[Message] = []

    @classmethod
    def start(
        cls,
        options: ClusterOptions,
        *,
        new_session: bool = False,
        stdin: int | None = subprocess.DEVNULL,
        stdout: int | None = None,
        stderr: int | None = None,
        python: str | None = None,
        fork: bool = False,
    ) -> ClusterProcess:
        """Spawn the master; with `fork`, fork it from this process instead when this process is fit
        (`eggbin.cluster.become`: no new interpreter, no imports repeated)."""
        if start_trace.enabled():  # the trace counts from this spawn
            os.environ[start_trace.ORIGIN_ENV] = repr(time.monotonic())
        if fork:
            from eggbin.cluster.become import fork_master, unfit

            if unfit(options, python) is None:
                forked, channel = fork_master(
                    options, new_session=new_session, stdin=stdin, stdout=stdout, stderr=stderr
                )
                return cls(forked, channel)
        popen, channel = spawn_module(
            "eggbin.cluster",
            partial(master_blob, options),
            new_session=new_session,
            stdin=stdin,
            stdout=stdout,
            stderr=stderr,
            python=python,
            # debugpy needs real module files in the zygote the master forks (and its children)
            flags=("-Xfrozen_modules=off",) if options.debug_port else (),
        )
        return cls(popen, channel)

    @property
    def pid(self) -> int:
        return self.popen.pid

    def wait_ready(self, timeout: float) -> Ready:
        """Block until `egg-ready`; a failed or timed-out start stops the master and raises.

        A timeout names what each child was still doing (the boot phases that lasted, the master tells).
        """
        deadline = time.monotonic() + timeout
        progress: dict[str, tuple[str, float]] = {}
        while (left := deadline - time.monotonic()) > 0:
            messages = self.messages(min(left, 0.5))
            while messages:
                message = messages.pop(0)
                data = message.get("data") or {}
                if message["action"] == BOOT_PROGRESS:  # a phase still running after `data["for"]` s
                    progress[str(data.get("who"))] = (str(data.get("phase")), phase_began(data.get("for")))
                elif message["action"] == "egg-ready":
                    self._inbox = messages  # what came with it is kept for `messages()`
                    return Ready(data["port"], data["address"], data["pids"])
                elif message["action"] == "egg-start-failed":
                    self.wait(10)
                    self.channel.close()
                    raise ClusterStartError(data.get("message", "the app failed to start"))
            if self.channel.closed:
                code = self.wait(5)
                self.channel.close()
                how = "closed its channel" if code is None else describe_exit(code)
                raise ClusterStartError(f"the master {how} before the app was ready")
        self.stop(5)
        raise ClusterStartError(
            f"the app was not ready after {timeout:g} s: {pending_boot(progress)}",
            hint="if the boot is just slow, allow it more time (`eggscripts start --timeout`)",
        )

    def send(self, message: Message) -> bool:
        """A message to the master (`reload-workers`) or, through it, to the app (`to` = "app", …)."""
        return self.channel.send(message)

    def messages(self, timeout: float) -> list[Message]:
        """The messages the master sent, waiting up to `timeout` for the first."""
        if self._inbox:
            inbox, self._inbox = self._inbox, []
            return inbox
        with selectors.DefaultSelector() as selector:
            selector.register(self.channel.sock, selectors.EVENT_READ)
            if self.channel.closed or not selector.select(timeout=timeout):
                return []
        return self.channel.receive()

    def request_reload(self, agent: bool = False) -> None:
        """Start a rolling replacement; `reload-done` or `reload-failed` arrives in `messages()`."""
        self.send(envelope("reload-workers", {"agent": agent}, sender="parent", to="master"))

    def reload(self, agent: bool = False, timeout: float = 60) -> Reloaded:
        """Replace every worker (and the agent first if asked), one by one; how long it took."""
        self.request_reload(agent)
        deadline = time.monotonic() + timeout
        while (left := deadline - time.monotonic()) > 0 and not self.channel.closed:
            for message in self.messages(min(left, 0.5)):
                data = message.get("data") or {}
                if message["action"] == "reload-done":
                    return Reloaded(int(data["ms"]), list(data["workers"]))
                if message["action"] == "reload-failed":
                    raise ReloadError(
                        f"reload failed: {data.get('message')}", hint="the old workers keep serving"
                    )
        raise ReloadError(f"reload did not finish within {timeout:g} s")

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


def phase_began(lasted: object) -> float:
    """When a phase the master says has lasted `lasted` seconds began, on this process's clock."""
    seconds = float(lasted) if isinstance(lasted, int | float) and not isinstance(lasted, bool) else 0.0
    return time.monotonic() - max(seconds, 0.0)


def pending_boot(progress: dict[str, tuple[str, float]]) -> str:
    """What each child not ready yet was doing: "agent is still in `did_load /app/agent.py` (4.8 s)"."""
    now = time.monotonic()
    pending = [
        f"{who} is still in `{phase}` ({now - since:.1f} s)"
        for who, (phase, since) in progress.items()
        if phase != "ready"
    ]
    if pending:
        return "; ".join(pending)
    if progress:
        return f"{', '.join(progress)} ready, the other processes had not started booting"
    return "no process reported a boot phase (still importing?)"
