"""What the router holds: a `Route` (methods, path, handler, its own middleware, compiled once) and a
`Mount` (an ASGI app serving every path under a prefix). Matching and conflicts are `eggbin.web.router`'s."""

from __future__ import annotations

import re
from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

from msgspec import Struct
from starlette.routing import compile_path

from eggbin.web.route_handlers import endpoint_for, resolve_handler

if TYPE_CHECKING:
    from starlette.types import ASGIApp, Scope

    from eggbin.web.application import Application

PARAM_NAME = re.compile(r"\(\?P<\w+>")
COLON_PARAM = re.compile(r"(?<=/):([A-Za-z_][A-Za-z0-9_]*)")  # a segment `:id`, never `{id:int}`


@dataclass  # not a `Struct`: its compiled fields are no arguments (`init=False`)
class Route:
    methods: tuple[str, ...]
    path: str | re.Pattern[str]
    handler: Any
    middlewares: tuple[Any, ...] = ()
    name: str | None = None
    where: str = "?"
    regex: re.Pattern[str] = field(init=False)
    path_format: str = field(init=False)
    convertors: dict[str, Any] = field(init=False)
    run: Callable[[Any], Awaitable[None]] | None = field(init=False, default=None)

    def __post_init__(self) -> None:
        if isinstance(self.path, re.Pattern):
            self.regex, self.path_format, self.convertors = self.path, self.path.pattern, {}
            return
        self.regex, self.path_format, self.convertors = compile_path(COLON_PARAM.sub(r"{\1}", self.path))

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
