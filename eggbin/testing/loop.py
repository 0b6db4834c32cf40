"""One event loop, in a thread, for the whole test session: the app boots on it and serves every request.

The thread is anyio's blocking portal (an asyncio loop; anyio ships with httpx and starlette). Sync tests
reach it through `LoopTransport`; async tests run on it (see `plugin.pytest_pyfunc_call`), so the app's
async resources never cross loops.
"""

from __future__ import annotations

import contextlib
from collections.abc import Coroutine
from concurrent.futures import Future
from typing import TYPE_CHECKING, Any, TypeVar

import httpx
from anyio.from_thread import BlockingPortal, start_blocking_portal

if TYPE_CHECKING:
    from eggbin.web.application import Application

T = TypeVar("T")

TEST_CLIENT = ("127.0.0.1", 123)


class LoopThread:
    """The session's asyncio loop, in anyio's blocking portal thread."""

    def __init__(self) -> None:
        self._stack = contextlib.ExitStack()
        self.portal: BlockingPortal = self._stack.enter_context(
            start_blocking_portal("asyncio", name="eggbin-app-loop")
        )

    def run(self, coro: Coroutine[Any, Any, T], timeout: float | None = None) -> T:
        """Run `coro` on the loop and wait; an interrupted wait (timeout, Ctrl-C) cancels it."""
        future: Future[T] = self.portal.start_task_soon(_awaited, coro)
        try:
            return future.result(timeout)
        except BaseException:
            future.cancel()
            raise

    def close(self) -> None:
        """Stop the portal: its tasks are cancelled, the loop and its thread end."""
        self.portal.call(self.portal.stop, True)
        self._stack.close()


async def _awaited(coro: Coroutine[Any, Any, T]) -> T:
    return await coro


class LoopTransport(httpx.BaseTransport):
    """A sync httpx transport that runs the ASGI app in-process on the session loop."""

    def __init__(self, app: Application, loop: LoopThread) -> None:
        self._asgi = httpx.ASGITransport(app=app, client=TEST_CLIENT)
        self._loop = loop

    def handle_request(self, request: httpx.Request) -> httpx.Response:
        async def send() -> httpx.Response:
            await request.aread()
            response = await self._asgi.handle_async_request(request)
            # the raw bytes, as sent: the sync client decodes them (gzip...) once, from the headers
            raw = b"".join([chunk async for chunk in response.aiter_raw()])
            await response.aclose()
            return httpx.Response(response.status_code, headers=response.headers, content=raw)

        return self._loop.run(send())


def async_transport(app: Application) -> httpx.ASGITransport:
    """The transport of `ahttp`: used from async tests, which already run on the session loop."""
    return httpx.ASGITransport(app=app, client=TEST_CLIENT)
