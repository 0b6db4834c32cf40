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


class Tree:
    """Attribute access over a nested dict (`app.controller.sub.file`)."""

    def __init__(self, tree: dict[str, Any]) -> None:
        self._tree = tree

    def __getattr__(self, name: str) -> Any:
        try:
            value = self._tree[name]
        except KeyError:
            raise AttributeError(name) from None
        return Tree(value) if isinstance(value, dict) else value


def classic_classes(tree: Tree | dict[str, Any]) -> list[type]:
    """The classes of `app.controller` or `app.service_classes` (their `inject()` fields resolve at boot)."""
    found: list[type] = []

    def walk(node: object) -> None:
        if isinstance(node, dict):
            for child in node.values():
                walk(child)
        elif isinstance(node, Tree):
            walk(node._tree)
        elif isinstance(node, ControllerClass):
            found.append(node._cls)
        elif isinstance(node, type):
            found.append(node)

    walk(tree)
    return found
