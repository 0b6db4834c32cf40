"""Decorated controllers into the app's one router, each method an endpoint prepared at boot.

Routes join after those of `app/router.py`, controller by controller (load-unit and file order), method
by method; a GET also answers HEAD (as `router.get`). Function middleware of `@middleware` becomes the
route's own middleware (the class's first, then the method's, nearest the `def` first); advice
middleware is woven into the method (see `eggbin.web.protos.container`). A conflict with any route is
the router's `EGG_ROUTER_CONFLICT`, naming both places.

Per request the endpoint: gets the controller (built without a scope when it needs nothing of the
request), reads and validates the parameters, calls the method (within `timeout` seconds: 500
beyond, as tegg), and makes a returned value the body; `None` with nothing set answers 204.
"""

from __future__ import annotations

import asyncio
import inspect
from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from eggbin.errors import BootError
from eggbin.web.aop.declare import is_advice
from eggbin.web.aop.weave import proto_methods
from eggbin.web.decorated.declare import (
    CONTROLLER_ATTR,
    METHOD_ATTR,
    ControllerInfo,
    HTTPMethod,
    MethodInfo,
    middlewares_of,
)
from eggbin.web.decorated.params import PARAM_SOURCE, ParamPlan, arguments, plan_params, sole_argument
from eggbin.web.http_error import HttpError

if TYPE_CHECKING:
    from eggbin.web.context import Context
    from eggbin.web.middleware import Next
    from eggbin.web.protos.container import Container, ProtoPlan
    from eggbin.web.router import Router
    from eggbin.web.routes import Route

Endpoint = Callable[..., Awaitable[None]]


@dataclass(frozen=True)
class DecoratedRoute:
    """A route made from a decorated method (what the OpenAPI document describes)."""

    route: Route
    cls: type
    method: str
    params: tuple[ParamPlan, ...]


def join_path(prefix: str, path: str) -> str:
    """`/api` + `hello` → `/api/hello`; an empty method path is the controller's own."""
    base = prefix.rstrip("/")
    if not path:
        return base or "/"
    return base + (path if path.startswith("/") else "/" + path)


def add_decorated_routes(router: Router, container: Container) -> list[DecoratedRoute]:
    """Every `@http_method` of every `@http_controller` proto, added to `router`."""
    added = []
    for cls, proto in container.graph.protos.items():
        info: ControllerInfo | None = getattr(cls, CONTROLLER_ATTR, None)
        if info is None:
            continue
        for method in proto_methods(cls):
            function = getattr(cls, method)
            method_info: MethodInfo | None = vars(function).get(METHOD_ATTR)
            if method_info is not None:
                added.append(_add(router, container, container.plans[proto], info, method, method_info))
    return added


def _add(
    router: Router, container: Container, plan: ProtoPlan, info: ControllerInfo, method: str, meta: MethodInfo
) -> DecoratedRoute:
    cls = plan.cls
    function = getattr(cls, method)
    params = plan_params(function, meta.where)
    path = join_path(info.path, meta.path)
    timeout = meta.timeout if meta.timeout is not None else info.timeout
    middleware = [mw for mw in [*middlewares_of(cls), *middlewares_of(function)] if not is_advice(mw)]
    verbs = ("GET", "HEAD") if meta.method is HTTPMethod.GET else (meta.method.value,)
    endpoint = make_endpoint(plan, method, params, timeout, container)
    route = router.add(verbs, path, *middleware, endpoint, name=meta.name, where=meta.where)
    for param in params:
        if param.source == "param" and param.key not in route.convertors:
            raise BootError(
                f"parameter `{param.name}` of `{function.__qualname__}` at `{meta.where}` reads path "
                f"parameter `{param.key}`, which `{path}` does not have",
                hint="name it as in the path (`/users/:id` → `id`) or pass Param(name=...)",
                code=PARAM_SOURCE,
            )
    return DecoratedRoute(route, cls, method, params)


def make_endpoint(
    plan: ProtoPlan, method: str, params: tuple[ParamPlan, ...], timeout: float | None, container: Container
) -> Endpoint:
    """The route handler for `plan.cls.<method>` (one coroutine of its own, as a classic controller's)."""
    cls, overrides = plan.cls, container.overrides
    is_async = inspect.iscoroutinefunction(getattr(cls, method))
    sole = params[0] if len(params) == 1 and not params[0].keyword else None

    async def decorated_endpoint(ctx: Context, next_: Next | None = None) -> None:
        if plan.fast and not overrides:
            obj = cls()
            obj.__dict__.update(plan.constants)
        else:
            obj = await ctx.scope().get(plan)
        if sole is not None:
            result = getattr(obj, method)(sole_argument(sole, ctx))
        elif params:
            args, kwargs = arguments(params, ctx)
            result = getattr(obj, method)(*args, **kwargs)
        else:
            result = getattr(obj, method)()
        if is_async:
            result = await (result if timeout is None else _within(ctx, result, timeout))
        if result is not None:
            ctx.body = result
        elif ctx.response.status == 404:  # nothing set it: egg answers 204 No Content
            ctx.body = None

    decorated_endpoint.__egg_endpoint__ = True  # type: ignore[attr-defined]
    decorated_endpoint.__qualname__ = f"{cls.__qualname__}.{method}"
    return decorated_endpoint


async def _within(ctx: Context, result: Awaitable[Any], timeout: float) -> Any:
    try:
        return await asyncio.wait_for(result, timeout)
    except TimeoutError:
        ctx.logger.error("timeout after %g s", timeout)
        raise HttpError(500, "timeout") from None
