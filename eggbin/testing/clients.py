"""The in-process clients (`http`, `ahttp`) and the anonymous `ctx`.

CSRF (egg-security's double-submit): for an unsafe method the clients send the token cookie and the
same token in the header, using the app's cookie and header names, so tests post without `mock.csrf()`.
"""

from __future__ import annotations

import secrets
from http.cookies import SimpleCookie
from typing import TYPE_CHECKING, TypeAlias

import httpx

from eggbin.testing.loop import LoopThread, LoopTransport, async_transport

if TYPE_CHECKING:
    from eggbin.web.application import Application

HttpClient: TypeAlias = httpx.Client  # the `http` fixture
AsyncHttpClient: TypeAlias = httpx.AsyncClient  # the `ahttp` fixture

BASE_URL = "http://127.0.0.1"
UNSAFE_METHODS = frozenset({"POST", "PUT", "PATCH", "DELETE"})
CSRF_DEFAULTS = {"cookie_name": "csrfToken", "header_name": "x-csrf-token"}


class CsrfSigner:
    """Adds the CSRF cookie and header to unsafe requests that carry neither header nor token of their own."""

    def __init__(self, app: Application) -> None:
        self._app = app
        self._token = secrets.token_urlsafe(24)

    def _names(self) -> tuple[str, str]:
        security = self._app.config.get("security") or {}
        options = {**CSRF_DEFAULTS, **(security.get("csrf") or {})}
        return str(options["cookie_name"]), str(options["header_name"])

    def __call__(self, request: httpx.Request) -> None:
        cookie_name, header_name = self._names()
        if request.method not in UNSAFE_METHODS or header_name in request.headers:
            return
        jar: SimpleCookie = SimpleCookie(request.headers.get("cookie", ""))
        if cookie_name in jar:
            token = jar[cookie_name].value
        else:
            token = self._token
            cookies = [request.headers.get("cookie", ""), f"{cookie_name}={token}"]
            request.headers["cookie"] = "; ".join(c for c in cookies if c)
        request.headers[header_name] = token


class SignedLoopTransport(LoopTransport):
    def __init__(self, app: Application, loop: LoopThread) -> None:
        super().__init__(app, loop)
        self._sign = CsrfSigner(app)

    def handle_request(self, request: httpx.Request) -> httpx.Response:
        self._sign(request)
        return super().handle_request(request)


class SignedAsyncTransport(httpx.AsyncBaseTransport):
    def __init__(self, app: Application) -> None:
        self._asgi = async_transport(app)
        self._sign = CsrfSigner(app)

    async def handle_async_request(self, request: httpx.Request) -> httpx.Response:
        self._sign(request)
        return await self._asgi.handle_async_request(request)


def sync_client(app: Application, loop: LoopThread) -> HttpClient:
    """`http`: a sync client whose requests run on the session loop."""
    return httpx.Client(transport=SignedLoopTransport(app, loop), base_url=BASE_URL)


def async_client(app: Application) -> AsyncHttpClient:
    """`ahttp`: an async client for tests that already run on the session loop."""
    return httpx.AsyncClient(transport=SignedAsyncTransport(app), base_url=BASE_URL)
