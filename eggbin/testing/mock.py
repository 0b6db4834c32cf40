"""The `mock` fixture (egg-mock's `app.mock*`): per-test changes to the app, all undone after the test."""

from __future__ import annotations

import inspect
import logging
import re
from collections.abc import Callable
from typing import TYPE_CHECKING, Any

from msgspec.structs import replace

from eggbin.testing.mockctx import ContextPatch, context_class
from eggbin.testing.mockhttp import ANY_METHOD, HttpClientMock, Result
from eggbin.testing.mocklog import LogMock, Pattern, resolve_logger
from eggbin.testing.patching import Patches

if TYPE_CHECKING:
    from eggbin.web.application import Application
    from eggbin.web.context import Context

Logger = str | logging.Logger | logging.LoggerAdapter[Any] | None
CSRF_CHECKS = ("assert_csrf", "check_csrf")
_UNSET: Any = object()
REQUEST_KEYS = ("headers", "method", "url")  # what `mock.context(...)` gives the request, not the ctx


class Mock:
    """`mock.service(...)`, `mock.context(...)`, `mock.http_client(...)`, `mock.expect_log(...)`, …"""

    def __init__(self, get_app: Callable[[], Application]) -> None:
        self._get_app = get_app
        self._patches = Patches()
        self._context: ContextPatch | None = None
        self._http = HttpClientMock(self._patches)
        self._logs = LogMock(self._patches)

    @property
    def app(self) -> Application:
        return self._get_app()

    # services -----------------------------------------------------------------------------------
    def service(self, path: str, method: str, value: object) -> None:
        """`ctx.service.<path>.<method>(...)` returns `value`, raises it (an exception) or calls it."""
        cls = self._service_class(path)
        original = getattr(cls, method, None)
        if not callable(original):
            raise AttributeError(f"service `{path}` ({cls.__name__}) has no method `{method}` to mock")
        self._patches.setattr(cls, method, _fake_method(value, inspect.iscoroutinefunction(original)))

    def service_error(self, path: str, method: str, error: BaseException | str | None = None) -> None:
        """`ctx.service.<path>.<method>(...)` raises `error` (default: an Exception naming the method)."""
        if not isinstance(error, BaseException):
            error = Exception(error or f"mock {path}.{method} error")
        self.service(path, method, error)

    # protos (the decorated model) ------------------------------------------------------------------
    def proto(self, target: type | str, method: str, value: object) -> None:
        """`<proto>.<method>(...)` returns `value`, raises it or calls it: by class or proto name.

        Advice still runs around the mocked method; so do route middleware and parameter checks.
        """
        cls = self.app.protos.find(target).cls
        original = getattr(cls, method, None)
        if not callable(original):
            raise AttributeError(f"proto `{cls.__qualname__}` has no method `{method}` to mock")
        self._patches.setattr(cls, method, _fake_method(value, inspect.iscoroutinefunction(original)))

    def inject(self, target: type | str, replacement: object) -> None:
        """Every injection of the proto `target` (and `get_egg_object`) yields `replacement` in this test."""
        container = self.app.protos
        proto = container.find(target)
        self._patches.setitem(container.overrides, proto, replacement)
        for holder, obj in container.singleton_scope.objects.items():  # singletons made at boot
            for field in holder.fields:
                if field.target is proto:
                    self._patches.setattr(obj, field.attr, replacement)

    def _service_class(self, path: str) -> Any:
        node: Any = getattr(self.app, "service_classes", {})
        for part in re.split(r"[./]", path):
            if not isinstance(node, dict) or part not in node:
                known = ", ".join(sorted(_service_paths(self.app.service_classes))) or "none"
                raise LookupError(f"no service `{path}` in the app (services: {known})")
            node = node[part]
        return node

    # context and request ------------------------------------------------------------------------
    def context(self, data: dict[str, Any] | None = None, **attrs: object) -> Context:
        """egg-mock's `mockContext(data)`: a context whose request has `data`'s `headers`, `method`, `url`.

        Its other keys (`user=...`) become attributes of that context and of every context created
        during the test. `mock.context({"headers": {...}})` and `mock.context(headers={...})` are alike.
        """
        merged = {**(data or {}), **attrs}
        request = {key: merged.pop(key) for key in REQUEST_KEYS if key in merged}
        if merged:
            self._ctx_patch().set_attrs(merged)
        return self.app.create_anonymous_context(request)

    def headers(self, headers: dict[str, str]) -> None:
        """Requests to the app carry these headers (replacing the client's)."""
        patch = self._ctx_patch()
        patch.headers.update(headers)
        patch.install()

    def cookies(self, cookies: dict[str, str]) -> None:
        """Requests to the app carry these cookies (merged with the client's)."""
        patch = self._ctx_patch()
        patch.cookies.update(cookies)
        patch.install()

    def session(self, data: dict[str, Any]) -> None:
        """Every request of the test starts with the real `ctx.session` holding `data` (a copy each time)."""
        self._ctx_patch().set_attrs({"session": data})

    def csrf(self) -> None:
        """Skip the CSRF check for the rest of the test."""
        cls = context_class(self.app)
        for name in CSRF_CHECKS:
            if callable(getattr(cls, name, None)):
                self._patches.setattr(cls, name, lambda ctx, *args, **kwargs: None)
        security = self.app.config.get("security", {})
        if isinstance(security.get("csrf"), dict):
            self._patches.setitem(security["csrf"], "enable", False)

    def _ctx_patch(self) -> ContextPatch:
        if self._context is None:
            self._context = ContextPatch(context_class(self.app), self._patches)
        return self._context

    # outside world ------------------------------------------------------------------------------
    def http_client(
        self,
        url: str | re.Pattern[str],
        method: str | list[str] | Result = ANY_METHOD,
        result: object = _UNSET,
    ) -> None:
        """Outgoing requests (`ctx.curl`) to `url` get `result` back (egg-mock's `mockHttpclient`).

        `mock.http_client(url, result)` or `mock.http_client(url, "POST", result)`; see
        `eggbin.testing.mockhttp` for the URL rule and the result forms (`{"data", "status", "headers"}`).
        """
        if result is _UNSET:
            method, result = ANY_METHOD, method
        if not isinstance(method, str | list | tuple):
            raise TypeError(f"mock.http_client method must be a string or a list of them, got {method!r}")
        self._http.add(url, list(method) if isinstance(method, tuple) else method, result)

    def forbid_network(self, allow_loopback: bool = True) -> None:
        """For the rest of the test, a request no `http_client` mock answers fails instead of going out."""
        self._http.forbid_network(allow_loopback)

    def env(self, name: str) -> None:
        """`app.env` / `app.config.env` read `name` for the rest of the test."""
        app = self.app
        self._patches.setattr(app, "info", replace(app.info, env=name))
        if "env" in app.config:
            self._patches.setitem(app.config, "env", name)

    # logs ---------------------------------------------------------------------------------------
    def log(self, logger: Logger = None) -> None:
        """Capture what `logger` (default: the app's) logs from now on, for `expect_log`."""
        self._logs.start(resolve_logger(self.app, logger))

    def expect_log(self, pattern: Pattern, logger: Logger = None) -> str:
        """Assert `logger` logged a line containing `pattern` (a string, or a regex); return the line."""
        return self._logs.expect(pattern, resolve_logger(self.app, logger))

    def not_expect_log(self, pattern: Pattern, logger: Logger = None) -> None:
        """Assert `logger` logged no line containing `pattern`."""
        self._logs.not_expect(pattern, resolve_logger(self.app, logger))

    def restore(self) -> None:
        """Undo every mock (run after each test)."""
        self._patches.restore()
        self._context = None


def _fake_method(value: object, is_async: bool) -> Callable[..., object]:
    def result(args: tuple[object, ...], kwargs: dict[str, object]) -> object:
        if isinstance(value, BaseException) or (isinstance(value, type) and issubclass(value, BaseException)):
            raise value
        return value(*args, **kwargs) if callable(value) else value

    if not is_async:
        return lambda service, *args, **kwargs: result(args, kwargs)

    async def fake(service: object, *args: object, **kwargs: object) -> object:
        value = result(args, kwargs)
        return await value if inspect.isawaitable(value) else value

    return fake


def _service_paths(tree: dict[str, Any], prefix: str = "") -> list[str]:
    paths = []
    for name, node in tree.items():
        paths += _service_paths(node, f"{prefix}{name}.") if isinstance(node, dict) else [prefix + name]
    return paths
