"""Declaring HTTP controllers (tegg's `@HTTPController` / `@HTTPMethod` / `@Middleware` / `@HTTPQuery` …).

    @http_controller(path="/api")               a context proto whose methods are routes
    @middleware(trace)                          koa middleware (or advice classes) for every method
    class HelloController:
        @http_method(method=HTTPMethod.POST, path="/sync", timeout=2, name="sync")
        async def sync(self, task: Annotated[Task, Body()], token: Annotated[str, Header("x-token")]):
            return {"task": task}

Parameters come from their annotation: `Body()`, `Query()` (the first value), `Queries()` (all of
them), `Param()` (a path parameter), `Header(name)`, `Headers()`; a parameter typed `Context`,
`Request` or `Cookies` receives that object. `eggbin.web.decorated.params` prepares them at boot.
"""

from __future__ import annotations

from collections.abc import Callable
from enum import StrEnum
from typing import Any, TypeVar

from msgspec import Struct

from eggbin.web.aop.declare import is_advice
from eggbin.web.protos.declare import ObjectInitType, caller_where, mark_proto

T = TypeVar("T", bound=type)
F = TypeVar("F", bound=Callable[..., Any])
CONTROLLER_ATTR = "__egg_http_controller__"
METHOD_ATTR = "__egg_http_method__"
MIDDLEWARE_ATTR = "__egg_middleware__"


class HTTPMethod(StrEnum):
    """tegg's `HTTPMethodEnum`."""

    GET = "GET"
    POST = "POST"
    PUT = "PUT"
    PATCH = "PATCH"
    DELETE = "DELETE"
    HEAD = "HEAD"
    OPTIONS = "OPTIONS"


class ControllerInfo(Struct, frozen=True):
    path: str
    timeout: float | None
    where: str


class MethodInfo(Struct, frozen=True):
    method: HTTPMethod
    path: str
    timeout: float | None
    name: str | None
    where: str


def http_controller(
    path: str = "", *, timeout: float | None = None, name: str | None = None
) -> Callable[[T], T]:
    """Declare an HTTP controller: a context proto whose `@http_method`s are routes under `path`."""
    where = caller_where()

    def declare(cls: T) -> T:
        setattr(cls, CONTROLLER_ATTR, ControllerInfo(path, timeout, where))
        return mark_proto(cls, ObjectInitType.CONTEXT, name, where)

    return declare


def http_method(
    method: HTTPMethod | str = HTTPMethod.GET,
    path: str = "",
    *,
    timeout: float | None = None,
    name: str | None = None,
) -> Callable[[F], F]:
    """Expose a controller method as a route (`timeout` in seconds answers 500 beyond; `name` for url_for)."""
    verb = method if isinstance(method, HTTPMethod) else HTTPMethod(str(method).upper())
    info = MethodInfo(verb, path, timeout, name, caller_where())

    def declare(fn: F) -> F:
        fn.__dict__[METHOD_ATTR] = info
        return fn

    return declare


def middleware(*middlewares: Callable[..., object] | type) -> Callable[[F], F]:
    """Koa middleware (`async def mw(ctx, next)`) or advice classes for a controller class or method.

    Class middleware runs before method middleware; on one method the decorator nearest the `def`
    runs first (egg's documented order); function middleware runs before all advice middleware.
    """
    if not middlewares:
        raise TypeError("@middleware needs at least one middleware function or advice class")
    for item in middlewares:
        if not (is_advice(item) or (callable(item) and not isinstance(item, type))):
            raise TypeError(f"@middleware takes `async def mw(ctx, next)` or @advice classes, not {item!r}")

    def declare(target: F) -> F:
        own = vars(target).get(MIDDLEWARE_ATTR)
        if own is None:
            own = []
            setattr(target, MIDDLEWARE_ATTR, own)
        own.extend(middlewares)
        return target

    return declare


def middlewares_of(target: object) -> list[Any]:
    return list(vars(target).get(MIDDLEWARE_ATTR) or [])


class Body(Struct, frozen=True):
    """The request body (`ctx.request.body`), validated as the parameter's type."""


class Query(Struct, frozen=True):
    """The first value of a query parameter (named after the parameter unless `name` is given)."""

    name: str | None = None


class Queries(Struct, frozen=True):
    """Every value of a query parameter, as a list."""

    name: str | None = None


class Param(Struct, frozen=True):
    """A path parameter (`/users/:id` or `/users/{id}`)."""

    name: str | None = None


class Header(Struct, frozen=True):
    """A request header (default name: the parameter's, `_` written `-`)."""

    name: str | None = None


class Headers(Struct, frozen=True):
    """Every request header, as a dict with lower-case names."""


PARAM_MARKERS = (Body, Query, Queries, Param, Header, Headers)
