"""A tiny event emitter for app events (`server`, `request`, `response`, `error`, and any of the app's own).

Listeners may be sync or async; an async listener runs as a task (held until done) and its failure is
logged, never raised into the emitter: a request must not fail because an observer did.
"""

from __future__ import annotations

import asyncio
import inspect
import logging
from collections.abc import Awaitable, Callable
from typing import Any

Listener = Callable[..., Any]
_log = logging.getLogger("eggbin.events")


class EventEmitter:
    """`on`, `once`, `off`, `emit` (Node's names)."""

    def __init__(self) -> None:
        self._listeners: dict[str, list[Listener]] = {}
        self._tasks: set[asyncio.Task[Any]] = set()

    def on(self, event: str, listener: Listener) -> Listener:
        """Call `listener(*args)` on every `emit(event, *args)`; returns it (usable as a decorator)."""
        self._listeners.setdefault(event, []).append(listener)
        return listener

    def once(self, event: str, listener: Listener) -> Listener:
        def wrapper(*args: object) -> Any:
            self.off(event, wrapper)
            return listener(*args)

        return self.on(event, wrapper)

    def off(self, event: str, listener: Listener) -> None:
        listeners = self._listeners.get(event, [])
        if listener in listeners:
            listeners.remove(listener)

    def listener_count(self, event: str) -> int:
        return len(self._listeners.get(event, ()))

    def emit(self, event: str, *args: object) -> bool:
        """Call the listeners of `event` in order; True when there was at least one."""
        listeners = self._listeners.get(event)
        if not listeners:
            return False
        for listener in list(listeners):
            try:
                result = listener(*args)
            except Exception:
                self._listener_failed(event, listener)
                continue
            if inspect.isawaitable(result):
                self._track(event, listener, result)
        return True

    def _track(self, event: str, listener: Listener, awaitable: Awaitable[object]) -> None:
        task = asyncio.ensure_future(awaitable)
        self._tasks.add(task)

        def done(finished: asyncio.Task[Any]) -> None:
            self._tasks.discard(finished)
            if not finished.cancelled() and finished.exception() is not None:
                self._listener_failed(event, listener, finished.exception())

        task.add_done_callback(done)

    def _listener_failed(self, event: str, listener: Listener, exc: BaseException | None = None) -> None:
        logger = getattr(self, "core_logger", _log)
        logger.error("listener %r of event `%s` failed", listener, event, exc_info=exc or True)
