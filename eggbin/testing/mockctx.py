"""`mock.context / headers / cookies / session`: every context the app creates during the test gets them.

The app's context class keeps its own code: its `__init__` is wrapped for the test (and unwrapped after),
so the request scope gains the mocked headers and cookies before starlette reads it, and the instance gets
the mocked attributes right after it is built.
"""

from __future__ import annotations

import inspect
from http.cookies import SimpleCookie
from typing import TYPE_CHECKING, Any

from eggbin.testing.patching import Patches

if TYPE_CHECKING:
    from eggbin.web.application import Application
    from eggbin.web.context import Context


def context_class(app: Application) -> type[Any]:
    """The class the app builds its contexts from (a framework or `app/extend` may subclass it)."""
    cls = getattr(app, "context_class", None)
    if isinstance(cls, type):
        return cls
    from eggbin.web.context import Context

    return Context


class ContextPatch:
    """The mocked headers, cookies and attributes of one test."""

    def __init__(self, cls: type[Any], patches: Patches) -> None:
        self.cls = cls
        self.headers: dict[str, str] = {}
        self.cookies: dict[str, str] = {}
        self.attrs: dict[str, Any] = {}
        self._patches = patches
        self._installed = False

    def set_attrs(self, attrs: dict[str, Any]) -> None:
        """Read-only properties are replaced on the class (for the test); the rest set on each instance."""
        for name, value in attrs.items():
            descriptor = inspect.getattr_static(self.cls, name, None)
            if isinstance(descriptor, property) and descriptor.fset is None:
                self._patches.setattr(self.cls, name, value)
            else:
                self.attrs[name] = value
        self.install()

    def install(self) -> None:
        if self._installed:
            return
        self._installed = True
        original = self.cls.__init__
        patch = self

        def __init__(ctx: Context, *args: object, **kwargs: object) -> None:
            args, kwargs = patch._with_scope(args, kwargs)
            original(ctx, *args, **kwargs)
            for name, value in patch.attrs.items():
                setattr(ctx, name, value)

        self._patches.setattr(self.cls, "__init__", __init__)

    def _with_scope(
        self, args: tuple[Any, ...], kwargs: dict[str, Any]
    ) -> tuple[tuple[Any, ...], dict[str, Any]]:
        if not (self.headers or self.cookies):
            return args, kwargs
        if "scope" in kwargs:
            return args, {**kwargs, "scope": self.scope(kwargs["scope"])}
        items = [self.scope(a) if isinstance(a, dict) and "headers" in a else a for a in args]
        return tuple(items), kwargs

    def scope(self, scope: dict[str, Any]) -> dict[str, Any]:
        """A copy of the ASGI scope with the mocked headers set and the mocked cookies merged in."""
        mocked = {name.lower(): value for name, value in self.headers.items()}
        headers = [(k, v) for k, v in scope.get("headers", []) if k.decode("latin-1") not in mocked]
        if self.cookies:
            headers, cookie = _merge_cookies(headers, self.cookies)
            headers.append((b"cookie", cookie.encode("latin-1")))
        headers += [(k.encode("latin-1"), v.encode("latin-1")) for k, v in mocked.items()]
        return {**scope, "headers": headers}


def _merge_cookies(
    headers: list[tuple[bytes, bytes]], cookies: dict[str, str]
) -> tuple[list[tuple[bytes, bytes]], str]:
    jar: SimpleCookie = SimpleCookie()
    for key, value in headers:
        if key == b"cookie":
            jar.load(value.decode("latin-1"))
    merged = {name: morsel.value for name, morsel in jar.items()} | cookies
    rest = [(k, v) for k, v in headers if k != b"cookie"]
    return rest, "; ".join(f"{name}={value}" for name, value in merged.items())
