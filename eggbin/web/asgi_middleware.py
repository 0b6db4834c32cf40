"""ASGI middleware reuse: a middleware file may expose an ASGI middleware class instead of an egg factory.

    # app/middleware/cors.py                      # config/default.py
    from starlette.middleware.cors import         config = {"middleware": ["cors"],
        CORSMiddleware as cors                              "cors": {"allow_origins": ["https://a.example"]}}

The class is built once as `cls(app, **config[<name>])`, less the universal keys (`enable`, `match`,
`ignore`, `websocket`); a Starlette `Middleware(cls, *args, **kwargs)` works too, config overriding its
kwargs. ASGI middleware work on raw ASGI messages, so they wrap the whole egg pipeline, outermost first in
the order `core_middleware` + `middleware` list them, around onerror and mounted apps (as Starlette's
user middleware sit around its routing): they see every response egg writes and every scope type.
`match` / `ignore` choose per request whether a request passes through the middleware or around it.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from typing import TYPE_CHECKING, Any

from msgspec import Struct
from starlette.middleware import Middleware as StarletteMiddleware

from eggbin.errors import BootError

if TYPE_CHECKING:
    from starlette.types import ASGIApp, Receive, Scope, Send

    from eggbin.web.application import Application

UNIVERSAL_KEYS = frozenset({"enable", "match", "ignore", "websocket"})
Selector = tuple[Callable[[Any], bool], bool]  # (test of a ctx, the result that means "run it")


def is_asgi_middleware(found: object) -> bool:
    """An ASGI middleware class (or a Starlette `Middleware` entry) rather than an egg factory."""
    return isinstance(found, type | StarletteMiddleware)


def plain(value: object) -> Any:
    """Config values as the plain dicts and lists a third-party class expects."""
    if isinstance(value, Mapping):
        return {key: plain(item) for key, item in value.items()}
    if isinstance(value, list):
        return [plain(item) for item in value]
    return value


class AsgiLayer(Struct):
    """One configured ASGI middleware, ready to wrap the app."""

    name: str
    cls: Callable[..., Any]
    args: tuple[Any, ...]
    kwargs: dict[str, Any]
    selector: Selector | None

    @classmethod
    def of(cls, name: str, found: Any, options: Mapping[str, Any], selector: Selector | None) -> AsgiLayer:
        configured = {k: plain(v) for k, v in options.items() if k not in UNIVERSAL_KEYS}
        if isinstance(found, StarletteMiddleware):
            return cls(name, found.cls, tuple(found.args), {**found.kwargs, **configured}, selector)
        return cls(name, found, (), configured, selector)

    def wrap(self, app: Application, inner: ASGIApp) -> ASGIApp:
        try:
            wrapped: ASGIApp = self.cls(inner, *self.args, **self.kwargs)
        except TypeError as exc:
            raise BootError(
                f"ASGI middleware `{self.name}` ({self.cls.__name__}) rejected `config.{self.name}`: {exc}",
                hint=f"give `config.{self.name}` only the keyword arguments {self.cls.__name__} takes",
            ) from exc
        if self.selector is None:
            return wrapped
        return Selective(app, wrapped, inner, *self.selector)


class Selective:
    """`match` / `ignore` for an ASGI middleware: each request goes through it or straight to `inner`."""

    def __init__(
        self, app: Application, wrapped: ASGIApp, inner: ASGIApp, test: Callable[[Any], bool], wanted: bool
    ) -> None:
        self.app, self.wrapped, self.inner, self.test, self.wanted = app, wrapped, inner, test, wanted

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] in ("http", "websocket"):
            ctx = self.app.context_class(self.app, scope, receive)  # what a `match` callable expects
            if self.test(ctx) is self.wanted:
                await self.wrapped(scope, receive, send)
                return
        await self.inner(scope, receive, send)


def build_asgi_stack(app: Application, inner: ASGIApp, layers: list[AsgiLayer]) -> ASGIApp:
    """`inner` wrapped by `layers`, the first one outermost."""
    for layer in reversed(layers):
        inner = layer.wrap(app, inner)
    return inner
