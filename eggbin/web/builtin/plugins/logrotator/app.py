"""The worker side of logrotator: reopen the log files when the agent has rotated them."""

from __future__ import annotations

from typing import Any

from eggbin.web.logrotator import REOPEN_ACTION, reopen_logs


class Boot:
    def __init__(self, app: Any) -> None:
        self.app = app

    def did_load(self) -> None:
        self.app.messenger.on(REOPEN_ACTION, lambda _: reopen_logs(self.app))
