"""eggbin: Egg.js's conventions, cluster and toolchain for Python web teams.

Only the public API lives here, imported lazily so that `eggbin --help` stays fast.
PYTEST_DONT_REWRITE: `eggbin test` imports this package before pytest registers the plugin.
"""

from __future__ import annotations

import importlib

TYPE_CHECKING = False  # not `typing.TYPE_CHECKING`: importing typing costs every process ~5 ms

__version__ = "0.1.0"

__all__ = [
    "Agent",
    "Application",
    "Controller",
    "Service",
    "Subscription",
    "WebSocketDisconnect",
    "__version__",
]

_LAZY = {
    "Application": "eggbin.web.application",
    "Agent": "eggbin.web.application",
    "Controller": "eggbin.web.controller",
    "Service": "eggbin.web.service",
    "Subscription": "eggbin.web.schedule",
    "WebSocketDisconnect": "eggbin.web.websocket",  # `ctx.websocket.receive_*()`: the client left
}

if TYPE_CHECKING:
    from typing import Any

    from eggbin.web.application import Agent, Application
    from eggbin.web.controller import Controller
    from eggbin.web.schedule import Subscription
    from eggbin.web.service import Service
    from eggbin.web.websocket import WebSocketDisconnect


def __getattr__(name: str) -> Any:
    module = _LAZY.get(name)
    if module is None:
        raise AttributeError(f"module 'eggbin' has no attribute {name!r}")
    return getattr(importlib.import_module(module), name)
