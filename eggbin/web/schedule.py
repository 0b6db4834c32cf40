"""Schedules: `app/schedule/*.py` subscriptions run by the agent's timers (see the cluster)."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any, ClassVar

from eggbin.web.controller import BaseContextClass

if TYPE_CHECKING:
    pass


class Subscription(BaseContextClass):
    """A scheduled task: `schedule = {"interval": "1m", "type": "worker"}` and `async def subscribe`."""

    schedule: ClassVar[dict[str, Any]] = {}

    async def subscribe(self) -> None:
        raise NotImplementedError(f"{type(self).__name__} must define `async def subscribe(self)`")
