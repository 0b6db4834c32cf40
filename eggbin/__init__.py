"""eggbin: Egg.js's conventions, cluster and toolchain for Python web teams.

Only the public API lives here, imported lazily so that `eggbin --help` stays fast.
PYTEST_DONT_REWRITE: `eggbin test` imports this package before pytest registers the plugin.
"""

from __future__ import annotations

import importlib

TYPE_CHECKING = False  # not `typing.TYPE_CHECKING`: importing typing costs every process ~5 ms

__version__ = "0.1.0"

_LAZY = {
    "Application": "eggbin.web.application",
    "Agent": "eggbin.web.application",
    "Controller": "eggbin.web.controller",
    "Service": "eggbin.web.service",
    "Subscription": "eggbin.web.schedule",
    "WebSocketDisconnect": "eggbin.web.websocket",  # `ctx.websocket.receive_*()`: the client left
    # the decorated model (tegg): DI, HTTP controllers, AOP, background tasks, typed validation
    "singleton_proto": "eggbin.web.protos.declare",
    "context_proto": "eggbin.web.protos.declare",
    "inject": "eggbin.web.protos.declare",
    "Inject": "eggbin.web.protos.declare",
    "ObjectInitType": "eggbin.web.protos.declare",
    "http_controller": "eggbin.web.decorated.declare",
    "http_method": "eggbin.web.decorated.declare",
    "HTTPMethod": "eggbin.web.decorated.declare",
    "middleware": "eggbin.web.decorated.declare",
    "Body": "eggbin.web.decorated.declare",
    "Query": "eggbin.web.decorated.declare",
    "Queries": "eggbin.web.decorated.declare",
    "Param": "eggbin.web.decorated.declare",
    "Header": "eggbin.web.decorated.declare",
    "Headers": "eggbin.web.decorated.declare",
    "advice": "eggbin.web.aop.declare",
    "pointcut": "eggbin.web.aop.declare",
    "crosscut": "eggbin.web.aop.declare",
    "PointcutType": "eggbin.web.aop.declare",
    "AdviceContext": "eggbin.web.aop.declare",
    "Context": "eggbin.web.context",
    "Request": "eggbin.web.request",
    "Response": "eggbin.web.response",
    "Next": "eggbin.web.middleware",  # a middleware's `next`: `async def mw(ctx: Context, next: Next)`
    "Boot": "eggbin.web.lifecycle",
    "Cookies": "eggbin.web.cookies",
    "Config": "eggbin.web.config",
    "Logger": "eggbin.web.logger",
    "BackgroundTaskHelper": "eggbin.web.background",
    "Validator": "eggbin.web.validation",
    "HttpError": "eggbin.web.http_error",
    "InvalidParamError": "eggbin.web.http_error",
}

__all__ = [
    "AdviceContext",
    "Agent",
    "Application",
    "BackgroundTaskHelper",
    "Body",
    "Boot",
    "Config",
    "Context",
    "Controller",
    "Cookies",
    "HTTPMethod",
    "Header",
    "Headers",
    "HttpError",
    "Inject",
    "InvalidParamError",
    "Logger",
    "Next",
    "ObjectInitType",
    "Param",
    "PointcutType",
    "Queries",
    "Query",
    "Request",
    "Response",
    "Service",
    "Subscription",
    "Validator",
    "WebSocketDisconnect",
    "__version__",
    "advice",
    "context_proto",
    "crosscut",
    "http_controller",
    "http_method",
    "inject",
    "middleware",
    "pointcut",
    "singleton_proto",
]

if TYPE_CHECKING:
    from typing import Any

    from eggbin.web.aop.declare import AdviceContext, PointcutType, advice, crosscut, pointcut
    from eggbin.web.application import Agent, Application
    from eggbin.web.background import BackgroundTaskHelper
    from eggbin.web.config import Config
    from eggbin.web.context import Context
    from eggbin.web.controller import Controller
    from eggbin.web.cookies import Cookies
    from eggbin.web.decorated.declare import (
        Body,
        Header,
        Headers,
        HTTPMethod,
        Param,
        Queries,
        Query,
        http_controller,
        http_method,
        middleware,
    )
    from eggbin.web.http_error import HttpError, InvalidParamError
    from eggbin.web.lifecycle import Boot
    from eggbin.web.logger import Logger
    from eggbin.web.middleware import Next
    from eggbin.web.protos.declare import Inject, ObjectInitType, context_proto, inject, singleton_proto
    from eggbin.web.request import Request
    from eggbin.web.response import Response
    from eggbin.web.schedule import Subscription
    from eggbin.web.service import Service
    from eggbin.web.validation import Validator
    from eggbin.web.websocket import WebSocketDisconnect


def __getattr__(name: str) -> Any:
    module = _LAZY.get(name)
    if module is None:
        raise AttributeError(f"module 'eggbin' has no attribute {name!r}")
    return getattr(importlib.import_module(module), name)
