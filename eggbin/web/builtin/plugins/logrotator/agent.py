"""The agent side of logrotator: the one rotator of the cluster, started once the cluster serves."""

from __future__ import annotations

from typing import TYPE_CHECKING

from eggbin.web.log_output import stdout_enabled
from eggbin.web.logrotator import REOPEN_ACTION, ROTATE_ACTION, LogRotator, reopen_logs

if TYPE_CHECKING:
    from eggbin.web.application import Agent


class Boot:
    def __init__(self, agent: Agent) -> None:
        self.agent = agent
        self.rotator: LogRotator | None = None

    def did_load(self) -> None:
        self.agent.messenger.on(REOPEN_ACTION, lambda _: reopen_logs(self.agent))
        self.agent.messenger.on(ROTATE_ACTION, self.rotate)

    async def server_did_ready(self) -> None:
        if stdout_enabled(self.agent.config.get("logger")):
            return  # logs go to stdout (containers): no file to rotate
        if self.rotator is None:
            self.rotator = LogRotator(self.agent)
            self.rotator.start()

    def rotate(self, data: object) -> None:
        rotator = self.rotator or LogRotator(self.agent)
        rotator.rotate(str((data or {}).get("by", "day")) if isinstance(data, dict) else "day")

    async def before_close(self) -> None:
        if self.rotator is not None:
            self.rotator.stop()
