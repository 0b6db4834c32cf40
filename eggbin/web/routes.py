"""What the router holds: a `Route` (methods, path, handler, its own middleware, compiled once) and a
`Mount` (an ASGI app serving every path under a prefix). Matching and conflicts are `eggbin.web.router`'s."""

from __future__ import annotations

import re
from collections.abc import Awaitable, Callable
from typing import TYPE_CHECKING, Any

from msgspec import Struct
from starlette.routing import compile_path

from eggbin.web.route_handlers import endpoint_for, resolve_handler

if TYPE_CHECKING:
    from starlette.types import ASGIApp, Scope

    from eggbin.web.application import Application

PARAM_NAME = re.compile(r"\(\?P<\w+>")
COLON_PARAM = re.compile(r"(?<=/):([A-Za-z_][A-Za-z0-9_]*)")  # a segment `:id`, never `{id:int}`


def _braced(found: re.Match[str]) -> str:
    """`{id}` for `:id`: a function, not the template `{\\1}`, which `re` parses in Python the first time
    in each process (its template parser's first use, ~0.1 ms of every worker's boot)."""
    return "{" + found[1] + "}"


class Route:
    """One route: its methods, path, handler and own middleware, the path compiled once.

    A plain class with slots, not a dataclass (whose generated methods are `exec`ed at every import:
    ~1.1 ms of every zygote's start) nor a `Struct` (its compiled fields are no arguments)."""

    __slots__ = (
        "convertors",
        "handler",
        "methods",
        "middlewares",
        "name",
        "path",
        "path_format",
        "regex",
        "run",
        "where",
    )

    def __init__(
        self,
        methods: tuple[str, ...],
        path: str | re.Pattern[str],
        handler: Any,
        middlewares: tuple[Any, ...] = (),
        name: str | None = None,
        where: str = "?",
    ) -> None:
        self.methods, self.path, self.handler = methods, path, handler
        self.middlewares, self.name, self.where = middlewares, name, where
        self.run: Callable[[Any], Awaitable[None]] | None = None
        self.regex: re.Pattern[str]
        self.path_format: str
        self.convertors: dict[str, Any]
        if isinstance(path, re.Pattern):
            self.regex, self.path_format, self.convertors = path, path.pattern, {}
        else:
            self.regex, self.path_format, self.convertors = compile_path(COLON_PARAM.sub(_braced, path))

    def __repr__(self) -> str:
        return (
            f"Route(methods={self.methods!r}, path={self.path!r}, name={self.name!r}, where={self.where!r})"
        )

    @property
    def shape(self) -> str:
        """What the route matches, whatever its parameters are called (two routes of one shape conflict)."""
        return PARAM_NAME.sub("(?:", self.regex.pattern)

    @property
    def is_static(self) -> bool:
        return not self.convertors and not isinstance(self.path, re.Pattern)

    def match(self, path: str) -> dict[Any, Any] | None:
        if isinstance(self.path, re.Pattern):  # egg: `regexp.exec(path)`, groups by position (and name)
            found = self.path.search(path)
            return None if found is None else {**dict(enumerate(found.groups())), **found.groupdict()}
        found = self.regex.match(path)
        if found is None:
            return None
        return {key: self.convertors[key].convert(value) for key, value in found.groupdict().items()}

    @property
    def shown_path(self) -> str:
        return self.path if isinstance(self.path, str) else f"/{self.path.pattern}/"

    def prepare(self, app: Application) -> Callable[[Any], Awaitable[None]]:
        """Resolve the handler and compose the route's own middleware, once."""
        if self.run is None:
            from eggbin.web.middleware import compose

            endpoint = endpoint_for(resolve_handler(self, app), app)
            run: Callable[[Any], Awaitable[None]] = endpoint
            if self.middlewares:
                run = compose([*self.middlewares, endpoint])
            self.run = run
            return run
        return self.run


class Mount(Struct):
    """An ASGI app serving every path under `prefix` (Starlette's `Mount` semantics)."""

    prefix: str
    app: ASGIApp
    name: str | None = None
    where: str = "?"

    def covers(self, path: str) -> bool:
        return path == self.prefix or path.startswith(self.prefix + "/")

    def scope_for(self, scope: Scope) -> dict[str, Any]:
        """The sub-app's scope: `root_path` grows by the prefix, `path` stays whole (as uvicorn sends it)."""
        root_path = scope.get("root_path", "")
        return {
            **scope,
            "app_root_path": scope.get("app_root_path", root_path),
            "root_path": root_path + self.prefix,
        }
