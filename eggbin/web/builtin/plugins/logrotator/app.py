"""The worker side of logrotator: reopen the log files when the agent has rotated them."""

from __future__ import annotations

from typing import TYPE_CHECKING

from eggbin.web.logrotator import REOPEN_ACTION, reopen_logs

if TYPE_CHECKING:
    from eggbin.web.application import Application


class Boot:
    def __init__(self, app: Application) -> None:
        self.app = app

    def did_load(self) -> None:
        self.app.messenger.on(REOPEN_ACTION, lambda _: reopen_logs(self.app))
