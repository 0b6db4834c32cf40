"""A route's handler, resolved at boot and wrapped once into the endpoint the middleware chain calls."""

from __future__ import annotations

import inspect
from collections.abc import Awaitable, Callable
from typing import TYPE_CHECKING, Any

from eggbin.errors import BootError
from eggbin.web.controller import ControllerMethod

if TYPE_CHECKING:
    from eggbin.web.application import Application
    from eggbin.web.context import Context
    from eggbin.web.routes import Route


def resolve_handler(route: Route, app: Application) -> Callable[..., Any]:
    """A route's handler as a callable: strings name a controller method (`"user.show"`)."""
    handler: object = route.handler
    if isinstance(handler, str):
        target: Any = app.controller
        try:
            for part in handler.split("."):
                target = getattr(target, part)
        except AttributeError as exc:
            raise BootError(
                f"route `{route.shown_path}` at `{route.where}` names `{handler}`: no such controller method",
                hint="use `file.method` relative to app/controller",
            ) from exc
        handler = target
    if not callable(handler) or isinstance(handler, type):
        raise BootError(
            f"route `{route.shown_path}` at `{route.where}` has handler `{handler!r}`, which is not callable",
            hint="pass a controller method or an `async def handler(ctx)`",
        )
    return handler


def endpoint_for(handler: Callable[..., Any], app: Application) -> Callable[..., Awaitable[None]]:
    """What the middleware chain calls for a route: the handler run on a context, its result the body."""
    if getattr(handler, "__egg_endpoint__", False):  # a decorated controller's, prepared at boot
        return handler
    protos = getattr(app, "protos", None)
    if isinstance(handler, ControllerMethod) and protos is not None and protos.injects(handler.cls):
        return protos.classic_endpoint(handler.cls, handler.name)  # type: ignore[no-any-return]
    if isinstance(handler, ControllerMethod) and inspect.iscoroutinefunction(
        getattr(handler.cls, handler.name)
    ):
        cls, name = handler.cls, handler.name  # the common case, one coroutine less per request

        async def controller_endpoint(ctx: Context, next_: object = None) -> None:
            result = await getattr(cls(ctx), name)()
            if result is not None:
                ctx.body = result

        return controller_endpoint

    async def endpoint(ctx: Context, next_: object = None) -> None:
        result = handler(ctx)
        if inspect.isawaitable(result):
            result = await result
        if result is not None:
            ctx.body = result

    return endpoint
