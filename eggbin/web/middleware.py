"""Koa-style middleware: `async def mw(ctx, next)`, composed once at boot into one callable."""

from __future__ import annotations

from collections.abc import Awaitable, Callable, Sequence
from typing import Any

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
