"""`mock.http_client(url, method, result)` (egg-mock's `mockHttpclient`): outgoing HTTP answered locally.

One dispatcher sits on httpx's network transports (installed the first time a test needs it), so it
intercepts `ctx.curl` and any httpx client; the in-process test clients use ASGI transports and never
pass through it. It asks the mock tables of the session and of the running test, latest first.

Matching is egg-mock's: the URL as the app passed it to `ctx.curl` (before `data` became the query string),
exact or a regex (`re.compile`), or a prefix ending with `*`; methods `"GET"`, a list, or `"*"`. The result:
a string (the body), a dict `{"data", "status", "headers", "delay"}` (`data`: str, bytes or JSON), an
`httpx.Response`, an exception to raise, or `fn(url, options)` returning one of these.

Unmatched requests go to the network, as with egg-mock, unless forbidden: `mock.forbid_network()` for one
test, `eggbin_forbid_network = true` (pytest ini) for the session. Loopback stays reachable unless
`allow_loopback=False` (a test may serve something on 127.0.0.1 on purpose).
"""

from __future__ import annotations

import asyncio
import inspect
import json
import re
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

import httpx

from eggbin.testing.patching import Patches
from eggbin.web.curl import CURL_URL

ANY_METHOD = "*"
RESULT_KEYS = frozenset({"data", "status", "headers", "delay"})
LOOPBACK = frozenset({"127.0.0.1", "localhost", "::1", "[::1]"})


class NetworkForbidden(httpx.ConnectError):
    """A test made a real HTTP request while the network is forbidden."""


@dataclass
class Route:
    """One mocked URL and what answers it."""

    url: str | re.Pattern[str]
    methods: tuple[str, ...]
    result: Any

    def matches(self, request: httpx.Request) -> bool:
        if ANY_METHOD not in self.methods and request.method not in self.methods:
            return False
        asked = str(request.extensions.get(CURL_URL) or request.url)
        if isinstance(self.url, re.Pattern):
            return self.url.search(asked) is not None
        if self.url.endswith("*"):
            return asked.startswith(self.url[:-1])
        without_query = str(request.url.copy_with(query=None, fragment=None))
        return any(u.rstrip("/") == self.url.rstrip("/") for u in (asked, without_query))


@dataclass
class RouteTable:
    """The mocked routes of one test (or of the session); the latest wins."""

    routes: list[Route] = field(default_factory=list)

    def find(self, request: httpx.Request) -> Route | None:
        return next((route for route in self.routes if route.matches(request)), None)


@dataclass
class Dispatcher:
    """The one patch on httpx's transports and the state it consults."""

    tables: list[RouteTable] = field(default_factory=list)
    forbid: bool = False
    allow_loopback: bool = True
    installed: bool = False

    def find(self, request: httpx.Request) -> Route | None:
        for table in reversed(self.tables):
            route = table.find(request)
            if route is not None:
                return route
        return None

    def check_allowed(self, request: httpx.Request) -> None:
        if self.forbid and not (self.allow_loopback and request.url.host in LOOPBACK):
            raise NetworkForbidden(
                f"{request.method} {request.url}: real network access is forbidden in this test; "
                f"mock it with mock.http_client({str(request.url)!r}, ...)",
                request=request,
            )


DISPATCHER = Dispatcher()


def install() -> None:
    """Put the dispatcher on httpx's network transports (once per process)."""
    if DISPATCHER.installed:
        return
    sync_send = httpx.HTTPTransport.handle_request
    async_send = httpx.AsyncHTTPTransport.handle_async_request

    def handle_request(transport: httpx.HTTPTransport, request: httpx.Request) -> httpx.Response:
        route = DISPATCHER.find(request)
        if route is None:
            DISPATCHER.check_allowed(request)
            return sync_send(transport, request)
        result = call_result(route.result, request)
        if inspect.isawaitable(result):
            raise TypeError("an async mock.http_client result needs an async client (ctx.curl is one)")
        return to_response(result, request)

    async def handle_async_request(
        transport: httpx.AsyncHTTPTransport, request: httpx.Request
    ) -> httpx.Response:
        route = DISPATCHER.find(request)
        if route is None:
            DISPATCHER.check_allowed(request)
            return await async_send(transport, request)
        result = call_result(route.result, request)
        if inspect.isawaitable(result):
            result = await result
        delay = result.get("delay") if isinstance(result, dict) else None
        if delay:
            await asyncio.sleep(float(delay) / 1000)
        return to_response(result, request)

    setattr(httpx.HTTPTransport, "handle_request", handle_request)  # noqa: B010 (a class patch)
    setattr(httpx.AsyncHTTPTransport, "handle_async_request", handle_async_request)  # noqa: B010
    DISPATCHER.installed = True


def call_result(result: object, request: httpx.Request) -> Any:
    """A function result is called: `fn(url, options)` as egg-mock does, or `fn(request)`."""
    if not callable(result) or isinstance(result, type | httpx.Response):
        return result
    try:
        takes_two = len(inspect.signature(result).parameters) >= 2
    except (TypeError, ValueError):
        takes_two = False
    if not takes_two:
        return result(request)
    url = str(request.extensions.get(CURL_URL) or request.url)
    options = {"method": request.method, "headers": dict(request.headers), "content": request.content}
    return result(url, options)


def to_response(result: object, request: httpx.Request) -> httpx.Response:
    """egg-mock's `normalizeResult` as an `httpx.Response`; an exception is raised."""
    if isinstance(result, BaseException) or (isinstance(result, type) and issubclass(result, BaseException)):
        raise result
    if isinstance(result, httpx.Response):
        return result
    if isinstance(result, str | bytes):
        result = {"data": result}
    if not isinstance(result, dict) or not set(result) <= RESULT_KEYS:
        extra = sorted(set(result) - RESULT_KEYS) if isinstance(result, dict) else type(result).__name__
        raise TypeError(
            f"mock.http_client result must be a str, bytes, an httpx.Response, an exception or egg-mock's "
            f"{{'data', 'status', 'headers'}} dict (got {extra}): put a JSON body under 'data'"
        )
    data, headers = result.get("data") or b"", dict(result.get("headers") or {})
    if not isinstance(data, str | bytes):
        data = json.dumps(data)
        headers.setdefault("content-type", "application/json")
    content = data.encode() if isinstance(data, str) else data
    return httpx.Response(int(result.get("status") or 200), headers=headers, content=content, request=request)


class HttpClientMock:
    """The mocked routes of one `mock` (a test, or the session), and its network switch."""

    def __init__(self, patches: Patches) -> None:
        self.table = RouteTable()
        self._patches = patches
        self._active = False

    def add(self, url: str | re.Pattern[str], method: str | list[str], result: object) -> None:
        self._activate()
        methods = [method] if isinstance(method, str) else list(method)
        route = Route(url, tuple(m.upper() for m in methods), result)
        self.table.routes.insert(0, route)  # the latest mock wins

    def forbid_network(self, allow_loopback: bool = True) -> None:
        install()
        self._patches.setattr(DISPATCHER, "forbid", True)
        self._patches.setattr(DISPATCHER, "allow_loopback", allow_loopback)

    def _activate(self) -> None:
        if self._active:
            return
        install()
        self._active = True
        DISPATCHER.tables.append(self.table)
        self._patches.on_restore(self._deactivate)

    def _deactivate(self) -> None:
        self._active = False
        self.table.routes.clear()
        if self.table in DISPATCHER.tables:
            DISPATCHER.tables.remove(self.table)


Result = str | bytes | dict[str, Any] | httpx.Response | BaseException | Callable[..., Any]
