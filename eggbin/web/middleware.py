"""Koa-style middleware: `async def mw(ctx, next)`, loaded from config and composed once at boot.

The pipeline, outermost first:

    config.core_middleware (framework order: onerror, site_file, notfound, body_parser, security, static)
      → config.middleware (the app's order) → the router → the route's own middleware → the handler

A name resolves to `app/middleware/<name>.py` of the last load unit that has it (the app wins), whose
`def <name>(options, app)` returns the middleware; `options` is `config[<name>]`. Every middleware
understands `enable`, and `match` or `ignore` (a path prefix, a regex, a list of them, or `callable(ctx)`).
A middleware with `websocket: True` in its options runs for WebSocket handshakes too (`eggbin.web.websocket`).
The file may instead expose an ASGI middleware class: see `eggbin.web.asgi_middleware`.
"""

from __future__ import annotations

import inspect
import re
from collections.abc import Awaitable, Callable, Mapping, Sequence
from functools import partial
from pathlib import Path
from typing import TYPE_CHECKING, Any

from eggbin.errors import BootError
from eggbin.web.asgi_middleware import AsgiLayer, Selector, build_asgi_stack, is_asgi_middleware
from eggbin.web.config import Config, wrap
from eggbin.web.context import Context
from eggbin.web.own_files import existing

if TYPE_CHECKING:
    from starlette.types import ASGIApp

    from eggbin.web.application import Application

Next = Callable[[], Awaitable[None]]
Middleware = Callable[[Any, Next], Awaitable[None]]
Pipeline = Callable[[Any], Awaitable[None]]
CONFIG_KEYS = ("core_middleware", "middleware")


def compose(middlewares: Sequence[Middleware]) -> Pipeline:
    """One callable running `middlewares` in order, each wrapping the rest via `await next()`.

    A middleware marked by `runs_when(test)` is left out of a request for which `test(ctx)` is False,
    as long as only marked middleware come before it (an unmarked one may change the request)."""
    chain: list[tuple[Middleware, Callable[[Any], bool] | None]] = []
    tests_hold = True
    for middleware in middlewares:
        chain.append((middleware, getattr(middleware, RUNS_WHEN, None) if tests_hold else None))
        tests_hold = tests_hold and hasattr(middleware, RUNS_WHEN)
    chain.reverse()

    def run(ctx: Context) -> Awaitable[None]:
        # Each `next` is a `partial` built in C: per layer one coroutine (the middleware's) and no
        # Python frame of our own, which is most of what a hello-world request costs here.
        next_: Next = _nothing
        for middleware, test in chain:
            if test is None or test(ctx):
                next_ = partial(middleware, ctx, next_)
        return next_()

    return run


RUNS_WHEN = "__egg_runs_when__"


def runs_when(test: Callable[[Any], bool] | None) -> Callable[[Middleware], Middleware]:
    """Mark an eggbin middleware that never changes the request (method, path, headers) and, for a
    request where `test(ctx)` is False, only awaits `next()`: `compose` then leaves it out of that
    request, one coroutine less. `None`: it always runs (it is marked only as leaving the request be)."""

    def mark(middleware: Middleware) -> Middleware:
        setattr(middleware, RUNS_WHEN, test)
        return middleware

    return mark


async def _nothing() -> None:
    return None


def build_pipelines(app: Application) -> tuple[Pipeline, Pipeline, ASGIApp | None]:
    """The request paths, composed once at boot from `config.core_middleware` + `config.middleware`:
    HTTP, WebSocket (the middleware that opted in), and the ASGI layers around them (None if none)."""
    from eggbin.web.websocket import websocket_router

    http: list[Middleware] = []
    websocket: list[Middleware] = []
    layers: list[AsgiLayer] = []
    for key in CONFIG_KEYS:
        for name, found, options in _configured(app, key):
            if is_asgi_middleware(found[0]):
                layers.append(AsgiLayer.of(name, found[0], options, selector(options, name)))
                continue
            middleware = instantiate(app, name, found, options)
            http.append(middleware)
            if options.get("websocket") is True:
                websocket.append(middleware)
    app.router.prepare(app)
    http.append(_router(app))
    websocket.append(websocket_router(app))
    asgi = build_asgi_stack(app, app.serve, layers) if layers or app.router.mounts else None
    return compose(http), compose(websocket), asgi


def _configured(app: Application, key: str) -> list[tuple[str, tuple[Any, Path], Config]]:
    """(name, what its file defines, options) of each enabled middleware `config.<key>` names."""
    names = app.config.get(key) or []
    if not isinstance(names, list | tuple) or not all(isinstance(n, str) for n in names):
        raise BootError(
            f"`config.{key}` must be a list of middleware names, got `{names!r}`{_set_in(app, key)}"
        )
    made = []
    disabled = {name for name, on in getattr(app, "built_in_plugins", {}).items() if not on}
    for name in names:
        if key == "core_middleware" and name in disabled:
            continue  # `static = False` in config/plugin.py: egg's built-in plugin is off
        factory = find_factory(app, name)
        if factory is None:
            raise BootError(
                f"middleware `{name}` named in `config.{key}`{_set_in(app, key)} was not found: "
                f"looked for {', '.join(f'`{p}`' for p in candidate_files(app, name))}",
                hint=f"create `app/middleware/{name}.py` defining `def {name}(options, app)`",
            )
        options = app.config.get(name)
        options = options if isinstance(options, Config) else Config()
        if options.get("enable", True) is not False:
            made.append((name, factory, options))
    return made


def _set_in(app: Application, key: str) -> str:
    where = getattr(app, "config_meta", {}).get(key)
    return f" (set in `{where}`)" if where else ""


def candidate_files(app: Application, name: str) -> list[Path]:
    return [unit.file("app", "middleware", f"{name}.py") for unit in reversed(app.units)]


def find_factory(app: Application, name: str) -> tuple[Any, Path] | None:
    """`def <name>(options, app)` (or an ASGI middleware class called `<name>`) from the last load unit
    holding `app/middleware/<name>.py`."""
    for unit in reversed(app.units):
        file = existing(unit.path, "app", "middleware", f"{name}.py")
        if file is not None:
            factory = getattr(unit.modules.import_file(file), name, None)
            if not (callable(factory) or is_asgi_middleware(factory)):
                raise BootError(f"`{file}` must define `def {name}(options, app)` returning a middleware")
            return factory, file
    return None


def instantiate(app: Application, name: str, found: tuple[Any, Path], options: Config) -> Middleware:
    factory, file = found
    if is_asgi_middleware(factory):
        raise BootError(
            f"`{file}`: `{name}` is an ASGI middleware class; it can only wrap the whole app",
            hint=f"list `{name}` in `config.middleware` instead of using it on one route",
        )
    try:
        middleware = factory(options, app)
    except BootError:
        raise
    except Exception as exc:
        raise BootError(
            f"middleware `{name}` failed to start in `{file}`: {type(exc).__name__}: {exc}",
            hint=f"check `config.{name}`{_set_in(app, name)}",
        ) from exc
    if not callable(middleware):
        raise BootError(f"`{file}`: `{name}(options, app)` returned `{middleware!r}`, not a middleware")
    return conditional(as_async(middleware), options, name)


def as_async(middleware: Callable[..., Any]) -> Middleware:
    """A middleware as a coroutine function: a plain `def mw(ctx, next)` may return `next()` or nothing."""
    if inspect.iscoroutinefunction(middleware) or inspect.iscoroutinefunction(
        getattr(middleware, "__call__", None)  # noqa: B004 (an object whose __call__ is async)
    ):
        return middleware

    async def run(ctx: Context, next_: Next) -> None:
        result = middleware(ctx, next_)
        if inspect.isawaitable(result):
            await result

    return run


def selector(options: Mapping[str, Any], name: str) -> Selector | None:
    """The universal `match` / `ignore` options as (test of a ctx, result meaning "run"), or None."""
    match, ignore = options.get("match"), options.get("ignore")
    if match is not None and ignore is not None:
        raise BootError(f"middleware `{name}`: `match` and `ignore` can not both be set", hint="keep one")
    if match is None and ignore is None:
        return None
    wanted = match is not None
    return path_matcher(match if wanted else ignore, name), wanted


def conditional(middleware: Middleware, options: Mapping[str, Any], name: str) -> Middleware:
    """`middleware` limited by the universal `match` / `ignore` options (unchanged without them)."""
    chosen = selector(options, name)
    if chosen is None:
        return middleware
    test, wanted = chosen

    async def limited(ctx: Context, next_: Next) -> None:
        if test(ctx) is wanted:
            await middleware(ctx, next_)
        else:
            await next_()

    return limited


def path_matcher(pattern: object, name: str) -> Callable[[Any], bool]:
    """A prefix string (`/api` matches `/api` and `/api/x`, not `/apix`), a regex, a list, or a callable."""
    if isinstance(pattern, str):
        prefix = pattern.rstrip("/")
        return lambda ctx: not prefix or ctx.path == prefix or ctx.path.startswith(prefix + "/")
    if isinstance(pattern, re.Pattern):
        return lambda ctx: pattern.search(ctx.path) is not None
    if isinstance(pattern, list | tuple):
        tests = [path_matcher(item, name) for item in pattern]
        return lambda ctx: any(test(ctx) for test in tests)
    if callable(pattern):
        return lambda ctx: bool(pattern(ctx))
    raise BootError(
        f"middleware `{name}`: `match`/`ignore` must be a path prefix, a regex, a list or a callable, "
        f"got `{pattern!r}`"
    )


class MiddlewareFactories:
    """`app.middleware.<name>(options)`: a configured middleware for use on a single route."""

    def __init__(self, app: Application) -> None:
        self._app = app

    def __getattr__(self, name: str) -> Callable[..., Middleware]:
        if name.startswith("_"):
            raise AttributeError(name)
        found = find_factory(self._app, name)
        if found is None:
            raise AttributeError(f"no middleware `{name}` in any app/middleware directory")

        def make(options: dict[str, Any] | None = None) -> Middleware:
            return instantiate(self._app, name, found, wrap(dict(options or {})))

        return make


def _router(app: Application) -> Middleware:
    router = app.router

    def route(ctx: Context, next_: Next) -> Awaitable[None]:
        # Not a coroutine: it returns the endpoint's (or `next`'s), which the middleware before awaits.
        scope = ctx.request.scope
        found = router.match(scope["method"], scope["path"])
        if found is None:
            return next_()
        matched, ctx.params = found
        scope["route"] = matched  # as Starlette's router does: who measures requests labels them by route
        return (matched.run or matched.prepare(app))(ctx)

    return route
