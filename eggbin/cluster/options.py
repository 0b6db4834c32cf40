"""What crosses a process boundary: one frozen, JSON-serialisable options blob per cluster."""

from __future__ import annotations

import json
from dataclasses import asdict, dataclass


@dataclass(frozen=True)
class ClusterOptions:
    """Everything the master (and through it each child) needs to run one app."""

    base_dir: str
    port: int
    host: str = "127.0.0.1"
    workers: int = 1
    env: str | None = None
    framework: str | None = None
    title: str = ""
    exit_with_parent: bool = True
    app_close_timeout: float = 5.0
    agent_close_timeout: float = 5.0

    def dumps(self) -> str:
        return json.dumps(asdict(self))

    @classmethod
    def loads(cls, blob: str) -> ClusterOptions:
        return cls(**json.loads(blob))


@dataclass(frozen=True)
class ChildOptions:
    """What the master hands one agent or worker."""

    cluster: ClusterOptions
    role: str  # "agent" | "worker"
    id: int
    channel_fd: int
    listen_fd: int = -1
    master_pid: int = 0

    def dumps(self) -> str:
        return json.dumps(asdict(self))

    @classmethod
    def loads(cls, blob: str) -> ChildOptions:
        data = json.loads(blob)
        data["cluster"] = ClusterOptions(**data["cluster"])
        return cls(**data)
