"""One event loop, in a thread, for the whole test session: the app boots on it and serves every request.

Sync tests reach it through `LoopTransport`; async tests run on it (see `plugin.pytest_pyfunc_call`),
so the app's async resources never cross loops.
"""

from __future__ import annotations

import asyncio
import threading
from collections.abc import Coroutine
from typing import TYPE_CHECKING, Any, TypeVar

import httpx

if TYPE_CHECKING:
    from eggbin.web.application import Application

T = TypeVar("T")

TEST_CLIENT = ("127.0.0.1", 123)


class LoopThread:
    """An asyncio loop running forever in a daemon thread."""

    def __init__(self) -> None:
        self.loop = asyncio.new_event_loop()
        self._thread = threading.Thread(target=self.loop.run_forever, name="eggbin-app-loop", daemon=True)
        self._thread.start()

    def run(self, coro: Coroutine[Any, Any, T], timeout: float | None = None) -> T:
        """Run `coro` on the loop and wait; an interrupted wait (timeout, Ctrl-C) cancels it."""
        future = asyncio.run_coroutine_threadsafe(coro, self.loop)
        try:
            return future.result(timeout)
        except BaseException:
            future.cancel()
            raise

    def close(self) -> None:
        self.loop.call_soon_threadsafe(self.loop.stop)
        self._thread.join(5)
        if not self._thread.is_alive():
            self.loop.close()


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
