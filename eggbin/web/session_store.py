"""`app.session_store`: egg-session's external store, `{get, set, destroy}` as an object, class or dict.

    class RedisStore:                          # or a dict {"get": fn, "set": fn, "destroy": fn}
        def __init__(self, app): ...           # a class is constructed with the app
        async def get(self, key): ...          # -> the stored dict, or None
        async def set(self, key, value, max_age): ...   # max_age in seconds, or "session"
        async def destroy(self, key): ...

Each method may be sync or async and may take fewer arguments than koa-session passes
(`get(key, max_age, options)`, `set(key, value, max_age, options)`, `destroy(key, options)`): it gets as
many as it declares, so egg's two- and three-argument stores translate as they are.
"""

from __future__ import annotations

import inspect
from collections.abc import Callable, Mapping
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from eggbin.web.application import Application

METHODS = ("get", "set", "destroy")


def _arity(function: Callable[..., Any]) -> int | None:
    """How many positional arguments `function` takes (`None`: any number)."""
    try:
        parameters = inspect.signature(function).parameters.values()
    except (TypeError, ValueError):
        return None
    if any(p.kind is inspect.Parameter.VAR_POSITIONAL for p in parameters):
        return None
    positional = (inspect.Parameter.POSITIONAL_ONLY, inspect.Parameter.POSITIONAL_OR_KEYWORD)
    return sum(1 for p in parameters if p.kind in positional)


class _Method:
    """One store method, called with the arguments it declares, awaited when it is async."""

    def __init__(self, function: Callable[..., Any]) -> None:
        self.function = function
        self.arity = _arity(function)

    async def __call__(self, *args: object) -> Any:
        result = self.function(*(args if self.arity is None else args[: self.arity]))
        return await result if inspect.isawaitable(result) else result


class SessionStore:
    """A user's store behind one calling convention."""

    def __init__(self, store: object) -> None:
        self.store = store
        found = {name: _lookup(store, name) for name in METHODS}
        missing = [name for name, method in found.items() if not callable(method)]
        if missing:
            raise TypeError(
                f"app.session_store needs callable `get`, `set` and `destroy`; "
                f"{', '.join(f'`{m}`' for m in missing)} missing in {store!r}"
            )
        self.get, self.set, self.destroy = (_Method(found[name]) for name in METHODS)


def _lookup(store: object, name: str) -> Any:
    return store.get(name) if isinstance(store, Mapping) else getattr(store, name, None)


def make_store(app: Application, store: object) -> SessionStore | None:
    """What `app.session_store = store` installs: `None` turns the external store off."""
    if store is None:
        return None
    if inspect.isclass(store):
        made: Any = store(app)  # type: ignore[call-arg]  # egg-session: a store class gets the app
        return SessionStore(made)
    return SessionStore(store)
