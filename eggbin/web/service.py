"""Services: `ctx.service.user` is `app/service/user.py`'s class, created lazily once per request."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from eggbin.web.controller import BaseContextClass

if TYPE_CHECKING:
    from eggbin.web.context import Context


class Service(BaseContextClass):
    """Base class of `app/service/*.py` classes."""


class ServiceTree:
    """A node of `ctx.service`: leaves are service classes, inner nodes sub-directories."""

    __slots__ = ("_classes", "_ctx", "_made")

    def __init__(self, ctx: Context, classes: dict[str, Any]) -> None:
        self._ctx = ctx
        self._classes = classes
        self._made: dict[str, Any] = {}

    def __getattr__(self, name: str) -> Any:
        made = self._made.get(name)
        if made is not None:
            return made
        target = self._classes.get(name)
        if target is None:
            raise AttributeError(f"no service {name!r}")
        made = ServiceTree(self._ctx, target) if isinstance(target, dict) else target(self._ctx)
        self._made[name] = made
        return made
