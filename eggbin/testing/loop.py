"""One event loop, in a thread, for the whole test session: the app boots on it and serves every request.

Sync tests reach it through `LoopTransport`; the app's async resources never cross loops.
"""

from __future__ import annotations

import asyncio
import threading
from collections.abc import Coroutine
from typing import Any, TypeVar

import httpx

T = TypeVar("T")


class LoopThread:
    def __init__(self) -> None:
        self.loop = asyncio.new_event_loop()
        self._thread = threading.Thread(target=self.loop.run_forever, name="eggbin-app-loop", daemon=True)
        self._thread.start()

    def run(self, coro: Coroutine[Any, Any, T], timeout: float | None = None) -> T:
        return asyncio.run_coroutine_threadsafe(coro, self.loop).result(timeout)

    def close(self) -> None:
        self.loop.call_soon_threadsafe(self.loop.stop)
        self._thread.join(5)
        self.loop.close()


class LoopTransport(httpx.BaseTransport):
    """A sync httpx transport that runs the ASGI app in-process on the session loop."""

    def __init__(self, app: Any, loop: LoopThread) -> None:
        self._asgi = httpx.ASGITransport(app=app, client=("127.0.0.1", 123))
        self._loop = loop

    def handle_request(self, request: httpx.Request) -> httpx.Response:
        async def send() -> httpx.Response:
            await request.aread()
            response = await self._asgi.handle_async_request(request)
            content = await response.aread()
            return httpx.Response(response.status_code, headers=response.headers, content=content)

        return self._loop.run(send())
