"""Errors that escape every request and hook (a task or loop callback raising) go to the app's error log.

asyncio's default handler writes them to stderr only; egg logs an unhandled rejection with the app's
logger, so it lands in `common-error.log`. One handler per event loop logs through the first app still
open on it (in tests the agent and the apps share one loop: one line, not one per app).
"""

from __future__ import annotations

import asyncio
import weakref
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from eggbin.web.application import EggCore

_APPS: weakref.WeakKeyDictionary[asyncio.AbstractEventLoop, list[Any]] = weakref.WeakKeyDictionary()


def log_loop_errors(app: EggCore) -> None:
    """Route the running loop's unhandled errors to the app's `core_logger` while it is open."""
    try:
        loop = asyncio.get_running_loop()
    except RuntimeError:
        return
    apps = _APPS.get(loop)
    if apps is None:
        apps = _APPS[loop] = []
        loop.set_exception_handler(_handle)
    if app not in apps:
        apps.append(app)


def stop_logging_loop_errors(app: EggCore) -> None:
    """The app closed: its logs are gone, the next app on the loop (or stderr) takes over."""
    for apps in _APPS.values():
        if app in apps:
            apps.remove(app)


def _handle(loop: asyncio.AbstractEventLoop, context: dict[str, Any]) -> None:
    apps = _APPS.get(loop) or []
    if not apps:
        loop.default_exception_handler(context)
        return
    exc = context.get("exception")
    message = context.get("message") or "unhandled error"
    trace = exc if isinstance(exc, BaseException) else None
    apps[0].core_logger.error("[egg:loop] %s", message, exc_info=trace)
