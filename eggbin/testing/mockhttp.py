"""`mock.http_client(url, method, result)`: outgoing HTTP (`ctx.curl`, any httpx client) answered locally.

The patch sits on httpx's network transports, so it intercepts `ctx.curl` however the runtime builds its
client; the in-process test clients use ASGI transports and never pass through it. Unmatched requests
go out as usual.
"""

from __future__ import annotations

import inspect
import json
import re
from dataclasses import dataclass
from typing import Any

import httpx

from eggbin.testing.patching import Patches

ANY_METHOD = "*"


@dataclass
class Route:
    """One mocked URL: a string (exact, or prefix when it ends with `*`) or a compiled regex."""

    url: str | re.Pattern[str]
    method: str
    result: Any

    def matches(self, request: httpx.Request) -> bool:
        if self.method not in (ANY_METHOD, request.method):
            return False
        url = str(request.url)
        if isinstance(self.url, re.Pattern):
            return self.url.search(url) is not None
        if self.url.endswith("*"):
            return url.startswith(self.url[:-1])
        return url == self.url or url.rstrip("/") == self.url.rstrip("/")


def to_response(result: Any, request: httpx.Request) -> httpx.Response:
    """`httpx.Response` as is; `str`/`bytes` as the body; anything else as JSON; an exception is raised."""
    if isinstance(result, BaseException) or (isinstance(result, type) and issubclass(result, BaseException)):
        raise result
    if callable(result):
        return to_response(result(request), request)
    if isinstance(result, httpx.Response):
        return result
    if isinstance(result, str | bytes):
        return httpx.Response(200, content=result, request=request)
    return httpx.Response(200, content=json.dumps(result), headers={"content-type": "application/json"})


class HttpClientMock:
    """The table of mocked routes of one test, installed on first use."""

    def __init__(self, patches: Patches) -> None:
        self.routes: list[Route] = []
        self._patches = patches

    def add(self, url: str | re.Pattern[str], method: str, result: Any) -> None:
        if not self.routes:
            self._install()
        self.routes.insert(0, Route(url, method.upper(), result))  # the latest mock wins

    def find(self, request: httpx.Request) -> Route | None:
        return next((route for route in self.routes if route.matches(request)), None)

    def _install(self) -> None:
        sync_send = httpx.HTTPTransport.handle_request
        async_send = httpx.AsyncHTTPTransport.handle_async_request
        table = self

        def handle_request(transport: httpx.HTTPTransport, request: httpx.Request) -> httpx.Response:
            route = table.find(request)
            return to_response(route.result, request) if route else sync_send(transport, request)

        async def handle_async_request(
            transport: httpx.AsyncHTTPTransport, request: httpx.Request
        ) -> httpx.Response:
            route = table.find(request)
            if route is None:
                return await async_send(transport, request)
            result = route.result
            if callable(result) and not isinstance(result, type):
                result = result(request)
                if inspect.isawaitable(result):
                    result = await result
            return to_response(result, request)

        self._patches.setattr(httpx.HTTPTransport, "handle_request", handle_request)
        self._patches.setattr(httpx.AsyncHTTPTransport, "handle_async_request", handle_async_request)
        self._patches.on_restore(self.routes.clear)
