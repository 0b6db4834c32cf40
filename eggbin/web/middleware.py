"""Koa-style middleware: `async def mw(ctx, next)`, composed once at boot into one callable."""

from __future__ import annotations

from collections.abc import Awaitable, Callable, Sequence
from typing import TYPE_CHECKING, Any

from eggbin.web.context import Context, HttpError

if TYPE_CHECKING:
    from eggbin.web.application import Application

Next = Callable[[], Awaitable[None]]
Middleware = Callable[[Any, Next], Awaitable[None]]


async def _done() -> None:
    return None


def compose(middlewares: Sequence[Middleware]) -> Callable[[Any], Awaitable[None]]:
    """One callable running `middlewares` in order, each wrapping the rest via `await next()`."""
    chain = tuple(middlewares)

    async def run(ctx: Any, index: int = 0) -> None:
        if index == len(chain):
            return
        middleware = chain[index]
        called = False

        async def next_() -> None:
            nonlocal called
            if called:
                raise RuntimeError(f"next() called more than once in middleware {middleware!r}")
            called = True
            await run(ctx, index + 1)

        await middleware(ctx, next_)

    async def dispatch(ctx: Any) -> None:
        await run(ctx)

    return dispatch


def build_pipeline(app: Application) -> Callable[[Context], Awaitable[None]]:
    """The whole request path, composed once at boot: error handling, not-found, routing, the handler."""
    return compose([_onerror, _notfound, _router(app)])


def _router(app: Application) -> Middleware:
    async def route(ctx: Context, next_: Next) -> None:
        found = app.router.match(ctx.method, ctx.path)
        if found is None:
            return await next_()
        matched, ctx.params = found
        await compose([*matched.middlewares, _endpoint(matched.handler)])(ctx)

    return route


def _endpoint(handler: Any) -> Middleware:
    async def endpoint(ctx: Context, next_: Next) -> None:
        result = await handler(ctx)
        if result is not None:
            ctx.body = result

    return endpoint


async def _onerror(ctx: Context, next_: Next) -> None:
    try:
        await next_()
    except HttpError as exc:
        ctx.status = exc.status
        ctx.body = {"message": exc.message or "Error"}
    except Exception:
        ctx.app.logger.exception("unhandled error on %s %s", ctx.method, ctx.url)
        ctx.status = 500
        ctx.body = {"message": "Internal Server Error"}


async def _notfound(ctx: Context, next_: Next) -> None:
    await next_()
    if ctx.status == 404 and ctx.body is None:
        accept = ctx.get("accept")
        ctx.body = (
            {"message": "Not Found"} if "json" in accept or "html" not in accept else "<h1>404 Not Found</h1>"
        )
        ctx.status = 404
