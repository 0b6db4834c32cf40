"""`ctx`: Koa's context, delegating to `ctx.request` and `ctx.response`; everything costly is lazy.

A hello-world request touches only `scope`, two small objects and one dict: cookies, services, the helper,
parsed headers and query strings are built on first use.
"""

from __future__ import annotations

import builtins
import functools
import inspect
import time
from collections.abc import Awaitable, Callable, Mapping
from pathlib import PurePath
from typing import TYPE_CHECKING, Any, NoReturn, TypeVar, overload

from eggbin.web.http_error import HttpError, http_error
from eggbin.web.request import Request
from eggbin.web.response import Response
from eggbin.web.tracer import trace_id_from

if TYPE_CHECKING:
    from pydantic import BaseModel
    from starlette.datastructures import Headers
    from starlette.types import Receive, Scope, Send
    from starlette.websockets import WebSocket

    from eggbin.web.application import Application
    from eggbin.web.background import BackgroundTaskHelper
    from eggbin.web.cookies import Cookies
    from eggbin.web.curl import CurlResult
    from eggbin.web.protos.scope import ContextScope

    M = TypeVar("M", bound=BaseModel)

T = TypeVar("T")

__all__ = ["Context", "Helper", "HttpError"]


class Helper:
    """`ctx.helper`: `app/extend/helper.py` functions become its methods."""

    def __init__(self, ctx: Context) -> None:
        self.ctx = ctx
        self.app = ctx.app


class Context:
    """One request and its response (or, for a WebSocket route, its connection: `ctx.websocket`)."""

    websocket: WebSocket | None = None  # set per connection by `eggbin.web.websocket`; HTTP pays nothing

    # Context protos and background tasks, made on first use (`scope()`): a request using neither
    # pays nothing for them. The same for the other lazily made parts: class-level `None` until then.
    _scope: ContextScope | None = None
    _service: Any = None
    _cookies: Cookies | None = None
    _helper: Helper | None = None
    _csrf: str | None = None
    _trace_id: str | None = None  # set by the app for a request when `config.tracer.header` is on

    def __init__(self, app: Application, scope: Scope, receive: Receive) -> None:
        self.app = app
        self.request = Request(app, scope, receive)
        self.response = Response()
        self.params: dict[str, Any] = {}
        self.state: dict[str, Any] = {}
        self.starttime = time.time()

    @property
    def trace_id(self) -> str:
        """This request's id: `X-Request-Id` (`config.tracer.header`) when safe, else a new one."""
        if self._trace_id is None:
            name = getattr(self.app, "trace_header", "")
            self._trace_id = trace_id_from(self.request.scope.get("headers", ()), name.encode("latin-1"))
        return self._trace_id

    # request delegates
    @property
    def method(self) -> str:
        return self.request.method

    @property
    def path(self) -> str:
        return self.request.path

    @property
    def url(self) -> str:
        return self.request.url

    @property
    def href(self) -> str:
        return self.request.href

    @property
    def querystring(self) -> str:
        return self.request.querystring

    @property
    def query(self) -> dict[str, str]:
        return self.request.query

    @property
    def queries(self) -> dict[str, list[str]]:
        return self.request.queries

    @property
    def headers(self) -> Headers:
        return self.request.headers

    @property
    def ip(self) -> str:
        return self.request.ip

    @property
    def ips(self) -> list[str]:
        return self.request.ips

    @property
    def protocol(self) -> str:
        return self.request.protocol

    @property
    def secure(self) -> bool:
        return self.request.secure

    @property
    def host(self) -> str:
        return self.request.host

    @property
    def hostname(self) -> str:
        return self.request.hostname

    @property
    def is_ajax(self) -> bool:
        return self.request.is_ajax

    def get(self, name: str) -> str:
        """A request header, `""` when absent."""
        return self.request.get(name)

    def accepts(self, *types: str) -> str | None:
        return self.request.accepts(*types)

    @property
    def accept_json(self) -> bool:
        """Egg's rule: a `.json` path, a JSON response type, or an `Accept` preferring JSON to HTML/text."""
        if self.path.endswith(".json") or "json" in self.response.type:
            return True
        return self.request.accepts("html", "text", "json") == "json"

    # response delegates
    def set(self, name: str | Mapping[str, Any], value: Any = None) -> None:
        """Set a response header, or several: `ctx.set({"x-a": "1", "x-b": "2"})` (Koa's forms)."""
        if isinstance(name, Mapping):
            for key, item in name.items():
                self.response.set(key, item)
        else:
            self.response.set(name, value)

    def attachment(self, filename: str | None = None) -> None:
        """Koa's `ctx.attachment(filename)`: `Content-Disposition: attachment` and the file's type."""
        from eggbin.web.response import content_disposition

        if filename:
            self.type = PurePath(filename).suffix.lstrip(".") or "bin"
        self.response.set("content-disposition", content_disposition(filename))

    @property
    def status(self) -> int:
        return self.response.status

    @status.setter
    def status(self, value: int) -> None:
        self.response.status = value

    @property
    def body(self) -> Any:
        return self.response.body

    @body.setter
    def body(self, value: object) -> None:
        self.response.body = value

    @property
    def type(self) -> str:
        return self.response.type

    @type.setter
    def type(self, value: str) -> None:
        self.response.type = value

    @property
    def length(self) -> int | None:
        return self.response.length

    @length.setter
    def length(self, value: int) -> None:
        self.response.length = value

    # lazily built helpers
    @property
    def cookies(self) -> Cookies:
        if self._cookies is None:
            from eggbin.web.cookies import Cookies

            self._cookies = Cookies(self)
        return self._cookies

    @property
    def service(self) -> Any:
        if self._service is None:
            from eggbin.web.service import ServiceTree

            self._service = ServiceTree(self, self.app.service_classes)
        return self._service

    @property
    def helper(self) -> Helper:
        if self._helper is None:
            self._helper = Helper(self)
        return self._helper

    @property
    def logger(self) -> Any:
        return self.app.logger

    @property
    def csrf(self) -> str:
        """The CSRF token to put in forms (`_csrf`) or the `x-csrf-token` header."""
        if self._csrf is None:
            from eggbin.web.security import csrf_token

            self._csrf = csrf_token(self)
        return self._csrf

    def assert_csrf(self) -> None:
        """A 403 unless the request echoes its CSRF token (the security middleware asks on unsafe methods)."""
        from eggbin.web.security import csrf_failure, csrf_options

        failure = csrf_failure(self, csrf_options(self))
        if failure:
            raise HttpError(403, failure)

    # actions
    def throw(self, *args: object, **props: object) -> NoReturn:
        """Stop here with an HTTP error, as Koa's `ctx.throw`: `throw(404)`, `throw(400, "name required")`,
        `throw("name required", 400)`, `throw(500, "failed", {"data": ...})` or `data=...`, or
        `throw(403, err)` (the exception itself, given that status). Props reach the JSON error body.
        """
        raise http_error(*args, **props)

    def redirect(self, url: str, status: int = 302) -> None:
        """Redirect to `url` if a browser would stay on this site or reach `security.domain_white_list`,
        else to `/`."""
        from eggbin.web.redirect import safe_redirect_target

        self.unsafe_redirect(safe_redirect_target(self, url), status)

    def unsafe_redirect(self, url: str, status: int = 302) -> None:
        """Redirect to any `url` (percent-encoded as Koa does, so it can not split the response)."""
        from eggbin.web.redirect import location

        url = location(url)
        self.response.set("location", url)
        self.status = status
        if self.accepts("html", "text") == "html":
            from html import escape

            self.body = f'Redirecting to <a href="{escape(url)}">{escape(url)}</a>.'
        else:
            self.type = "text"
            self.body = f"Redirecting to {url}."

    async def render(self, template: str, data: dict[str, Any] | None = None) -> str:
        """Render a jinja2 template of `app/view` into the body (HTML) and return it."""
        from eggbin.web.view import render

        self.body = await render(self, template, data)
        return str(self.body)

    async def render_string(self, source: str, data: dict[str, Any] | None = None) -> str:
        from eggbin.web.view import render_string

        return await render_string(self, source, data)

    async def curl(self, url: str, options: dict[str, Any] | None = None, **kwargs: object) -> CurlResult:
        """egg's `ctx.curl(url, options)`: an outgoing HTTP request (httpx): `status`, `headers`, `data`."""
        from eggbin.web.curl import curl

        return await curl(url, options, clients=self.app.curl_clients, **kwargs)

    @overload
    def validate(self, model: builtins.type[M], data: object = None) -> M: ...
    @overload
    def validate(self, model: Mapping[str, Any], data: object = None) -> Any: ...

    def validate(self, model: object, data: object = None) -> Any:
        """`data` (default: the request body) checked against a pydantic model (the instance is returned) or
        egg-validate's rules (`{"title": "string"}`, the data is returned); else a 422 in egg's format."""
        from eggbin.web.validation import validate

        return validate(model, self.request.body if data is None else data, self.app)

    # decorated model: context protos, background work
    def scope(self) -> ContextScope:
        """This request's context protos and background tasks (see `eggbin.web.protos.scope`)."""
        if self._scope is None:
            from eggbin.web.protos.scope import ContextScope

            self._scope = ContextScope(self.app.protos, self)
        return self._scope

    @property
    def background(self) -> BackgroundTaskHelper:
        """egg's `BackgroundTaskHelper` of this request: `ctx.background.run(fn)`, `.timeout` (seconds)."""
        return self.scope().background

    def run_in_background(self, fn: Callable[[Context], Awaitable[Any] | Any]) -> None:
        """Run `fn(ctx)` without delaying the response (on `ctx.background`); a failure is logged and
        emitted as the app's `error`."""
        task: Callable[[], Any] = functools.partial(fn, self) if _takes_an_argument(fn) else fn  # type: ignore[assignment]
        self.background.run(task)

    async def get_egg_object(self, target: builtins.type[T] | str) -> T:
        """The instance of a proto in this request, by class or name (tegg's `ctx.getEggObject`)."""
        return await self.scope().get_egg_object(target)  # type: ignore[no-any-return]

    def build_response(self) -> Callable[[Scope, Receive, Send], Awaitable[None]]:
        """The ASGI callable that writes the response `status`, `headers` and `body` describe."""
        return self.response.send


def _takes_an_argument(fn: Callable[..., object]) -> bool:
    """egg passes `ctx` to a background function; a JS function ignores it, a Python one may not take it."""
    try:
        parameters = inspect.signature(fn).parameters.values()
    except (TypeError, ValueError):
        return True
    return any(p.kind in (p.POSITIONAL_ONLY, p.POSITIONAL_OR_KEYWORD, p.VAR_POSITIONAL) for p in parameters)
