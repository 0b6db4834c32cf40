"""Controllers: classes whose methods handle requests, reached as `app.controller.<path>.<method>`."""

from __future__ import annotations

import inspect
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from eggbin.web.application import Application
    from eggbin.web.context import Context


class BaseContextClass:
    """What controllers and services see: `ctx`, `app`, `config`, `service`, `logger`."""

    def __init__(self, ctx: Context) -> None:
        self.ctx = ctx
        self.app: Application = ctx.app
        self.config = ctx.app.config

    @property
    def service(self) -> Any:
        return self.ctx.service

    @property
    def logger(self) -> Any:
        return self.ctx.logger


class Controller(BaseContextClass):
    """Base class of `app/controller/*.py` classes; one instance per request."""


class ControllerMethod:
    """`app.controller.home.index`: instantiate the controller for the request, then call the method."""

    __slots__ = ("cls", "name")

    def __init__(self, cls: type[Controller], name: str) -> None:
        self.cls = cls
        self.name = name

    async def __call__(self, ctx: Context) -> Any:
        result = getattr(self.cls(ctx), self.name)()
        return await result if inspect.isawaitable(result) else result

    def __repr__(self) -> str:
        return f"{self.cls.__name__}.{self.name}"


class ControllerClass:
    """One controller file: attribute access yields its methods as route handlers."""

    def __init__(self, cls: type[Controller]) -> None:
        self._cls = cls

    def __getattr__(self, name: str) -> ControllerMethod:
        if name.startswith("_") or not callable(getattr(self._cls, name, None)):
            raise AttributeError(f"controller {self._cls.__name__} has no method {name!r}")
        return ControllerMethod(self._cls, name)
