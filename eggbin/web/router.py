"""Egg's router: `app.router.get("/user/:id", mw, handler, name="user")`, compiled once, checked at load."""

from __future__ import annotations

import re
import sys
from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field
from typing import Any

from starlette.routing import compile_path

from eggbin.errors import BootError

Handler = Callable[[Any], Awaitable[Any]]
METHODS = ("GET", "POST", "PUT", "PATCH", "DELETE", "HEAD", "OPTIONS")
_COLON_PARAM = re.compile(r":([A-Za-z_][A-Za-z0-9_]*)")


@dataclass
class Route:
    methods: tuple[str, ...]
    path: str
    handler: Any
    middlewares: tuple[Any, ...] = ()
    name: str | None = None
    where: str = "?"
    regex: re.Pattern[str] = field(init=False)
    path_format: str = field(init=False)
    convertors: dict[str, Any] = field(init=False)

    def __post_init__(self) -> None:
        self.regex, self.path_format, self.convertors = compile_path(_COLON_PARAM.sub(r"{\1}", self.path))

    def match(self, path: str) -> dict[str, Any] | None:
        found = self.regex.match(path)
        if found is None:
            return None
        return {key: self.convertors[key].convert(value) for key, value in found.groupdict().items()}


class Router:
    """Routes in definition order; the first match wins."""

    def __init__(self) -> None:
        self.routes: list[Route] = []
        self._seen: dict[tuple[str, str], Route] = {}
        self._named: dict[str, Route] = {}

    def add(self, methods: tuple[str, ...], path: str, *args: Any, name: str | None = None) -> Route:
        if not args:
            raise BootError(f"route `{' '.join(methods)} {path}` at `{_caller()}` has no handler")
        route = Route(methods, path, args[-1], tuple(args[:-1]), name, _caller())
        for method in methods:
            key = (method, route.path_format)
            if key in self._seen:
                raise BootError(
                    f"route `{method} {path}` is defined twice: "
                    f"at `{self._seen[key].where}` and `{route.where}`",
                    hint="remove or rename one of them",
                )
            self._seen[key] = route
        if name:
            self._named[name] = route
        self.routes.append(route)
        return route

    def get(self, path: str, *args: Any, name: str | None = None) -> Route:
        return self.add(("GET", "HEAD"), path, *args, name=name)

    def post(self, path: str, *args: Any, name: str | None = None) -> Route:
        return self.add(("POST",), path, *args, name=name)

    def put(self, path: str, *args: Any, name: str | None = None) -> Route:
        return self.add(("PUT",), path, *args, name=name)

    def patch(self, path: str, *args: Any, name: str | None = None) -> Route:
        return self.add(("PATCH",), path, *args, name=name)

    def delete(self, path: str, *args: Any, name: str | None = None) -> Route:
        return self.add(("DELETE",), path, *args, name=name)

    def head(self, path: str, *args: Any, name: str | None = None) -> Route:
        return self.add(("HEAD",), path, *args, name=name)

    def options(self, path: str, *args: Any, name: str | None = None) -> Route:
        return self.add(("OPTIONS",), path, *args, name=name)

    def all(self, path: str, *args: Any, name: str | None = None) -> Route:
        return self.add(METHODS, path, *args, name=name)

    def match(self, method: str, path: str) -> tuple[Route, dict[str, Any]] | None:
        for route in self.routes:
            if method in route.methods:
                params = route.match(path)
                if params is not None:
                    return route, params
        return None

    def url_for(self, name: str, **params: Any) -> str:
        route = self._named.get(name)
        if route is None:
            raise KeyError(f"no route named {name!r}")
        return route.path_format.format(**params)

    def describe(self) -> list[dict[str, Any]]:
        """What `run/router.json` holds."""
        return [
            {"name": r.name, "methods": list(r.methods), "path": r.path, "where": r.where}
            for r in self.routes
        ]


def _caller() -> str:
    """`file:line` of the user's router code that defined a route."""
    frame = sys._getframe(1)
    while frame.f_back is not None and frame.f_code.co_filename == __file__:
        frame = frame.f_back
    return f"{frame.f_code.co_filename}:{frame.f_lineno}"
