"""What crosses a process boundary: one frozen, JSON-serialisable options blob per cluster."""

from __future__ import annotations

import json
import os
from collections.abc import Mapping
from typing import Any

from msgspec import Struct, to_builtins
from msgspec.structs import replace

from eggbin.cluster.tls import Https
from eggbin.errors import UsageError

# egg's environment overrides, in milliseconds like egg-cluster reads them.
CLOSE_TIMEOUT_VARS = {
    "app_close_timeout": "EGG_APP_CLOSE_TIMEOUT",
    "agent_close_timeout": "EGG_AGENT_CLOSE_TIMEOUT",
    "master_close_timeout": "EGG_MASTER_CLOSE_TIMEOUT",
}
WORKER_TIMEOUT = 30.0  # seconds without a heartbeat before a worker is killed


class ClusterOptions(Struct, frozen=True):
    """Everything the master (and through it each child) needs to run one app.

    `path` (a unix socket) replaces host/port when set. Timeouts are seconds; `worker_timeout` 0 turns
    the heartbeat check off (a worker paused at a breakpoint looks dead to any heartbeat).
    """

    base_dir: str
    port: int
    host: str = "127.0.0.1"
    path: str | None = None
    workers: int = 1
    env: str | None = None
    framework: str | None = None
    title: str = ""
    exit_with_parent: bool = True
    app_close_timeout: float = 5.0
    agent_close_timeout: float = 5.0
    master_close_timeout: float = 15.0
    worker_timeout: float = WORKER_TIMEOUT
    # `eggbin dev` / `debug` and `eggscripts start` (eggbin/cluster/zygote.py): fork children from a
    # pre-imported template forked by the master (off: spawn fresh interpreters, as the test plugin does).
    # `eggbin debug` (eggbin/debugger.py): debugpy in each child (0 = off), worker slot 1 proxied at the
    # CLI's port.
    zygote: bool = False
    # Keep the zygote once the cluster is ready (dev: every reload forks from it). `eggscripts start` turns
    # it off: the zygote's ~10 MB USS would stay resident for a production server's whole life, and a
    # respawn or `eggscripts reload` spawns a fresh interpreter instead (~0.2 s more per worker).
    keep_zygote: bool = True
    pid_file: str | None = None  # the master writes its pid there and removes it when it exits
    debug_host: str = "127.0.0.1"
    debug_port: int = 0
    debug_brk: bool = False
    # `eggbin dev` on a terminal (eggbin/cluster/breakpoints.py): the worker slot whose stdin stays the
    # terminal, where `breakpoint()` opens pdb; 0: every child reads /dev/null
    terminal_worker: int = 0
    # HTTPS (eggbin/cluster/tls.py): absolute paths, checked by the CLI; unset means plain HTTP
    https_key: str | None = None
    https_cert: str | None = None
    https_ca: str | None = None

    def dumps(self) -> str:
        return json.dumps(to_builtins(self))

    @classmethod
    def loads(cls, blob: str) -> ClusterOptions:
        return cls(**json.loads(blob))

    def with_env_overrides(self, environ: Mapping[str, str] | None = None) -> ClusterOptions:
        """Apply `EGG_APP_CLOSE_TIMEOUT` & co. (milliseconds) over the options."""
        environ = os.environ if environ is None else environ
        changes: dict[str, Any] = {}
        for field, var in CLOSE_TIMEOUT_VARS.items():
            if environ.get(var):
                changes[field] = parse_ms(var, environ[var]) / 1000
        return replace(self, **changes)

    @property
    def https(self) -> Https | None:
        if self.https_key and self.https_cert:
            return Https(self.https_key, self.https_cert, self.https_ca)
        return None

    @property
    def protocol(self) -> str:
        return "https" if self.https else "http"

    def with_https(self, https: Https | None) -> ClusterOptions:
        if https is None:
            return self
        return replace(self, https_key=https.key, https_cert=https.cert, https_ca=https.ca)

    @property
    def heartbeat_interval(self) -> float:
        """Several beats per timeout, so one slow beat never kills a healthy worker."""
        return min(1.0, self.worker_timeout / 5) if self.worker_timeout > 0 else 0.0


def parse_ms(name: str, value: str) -> float:
    try:
        ms = float(value)
    except ValueError:
        ms = -1.0
    if ms < 0:
        raise UsageError(f"`{name}={value}` is not a duration", hint="give milliseconds, e.g. `5000`")
    return ms


class ChildOptions(Struct, frozen=True):
    """What the master hands one agent or worker."""

    cluster: ClusterOptions
    role: str  # "agent" | "worker"
    id: int
    channel_fd: int
    listen_fd: int = -1
    master_pid: int = 0
    restarts: int = 0  # how often the master respawned this slot (the metrics plugin shows it)
    # forked by the zygote: the pid of its middle process, which the child outlives (it is then re-parented
    # to the master: `eggbin.cluster.process.die_with_parent`); 0 when the master spawned or forked it
    forked_by: int = 0

    def dumps(self) -> str:
        return json.dumps(to_builtins(self))

    @classmethod
    def loads(cls, blob: str) -> ChildOptions:
        data = json.loads(blob)
        data["cluster"] = ClusterOptions(**data["cluster"])
        return cls(**data)


def master_blob(options: ClusterOptions, channel_fd: int) -> str:
    """The master's one argument: its options and the fd of its channel to the parent (-1: none)."""
    return json.dumps({"cluster": json.loads(options.dumps()), "channel_fd": channel_fd})


def parse_master_blob(blob: str) -> tuple[ClusterOptions, int]:
    args = json.loads(blob)
    return ClusterOptions(**args["cluster"]), int(args.get("channel_fd", -1))
