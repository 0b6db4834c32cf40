"""Egg's router: `app.router.get([name,] "/user/:id", *middleware, handler)`, compiled once, checked at load.

Matching: paths without parameters sit in a dict keyed by (method, path), looked up first; the others
are tried in definition order by regex. A trailing slash is optional (egg's non-strict routing).
A path may be a compiled regex (egg's `RegExp` paths): its groups are `ctx.params[0]`, `[1]`... or by name.
Handlers: a controller method (`app.controller.home.index`), a string naming one (`"home.index"`),
or any `def`/`async def handler(ctx)`; a returned value becomes the body. A route's name is a keyword
(`name="user"`) or, as in egg, a first string argument followed by the path and a handler.

`websocket(path, handler)` routes WebSocket handshakes the same way (method `WEBSOCKET`, see
`eggbin.web.websocket`); `mount(prefix, asgi_app)` hands every request under `prefix` to another ASGI app
(a Starlette or FastAPI app, a metrics endpoint) before any egg middleware runs.
"""

from __future__ import annotations

import inspect
import re
import sys
from collections.abc import Awaitable, Callable
from typing import TYPE_CHECKING, Any, cast
from urllib.parse import urlencode

from eggbin.errors import BootError
from eggbin.web.routes import Mount, Route

if TYPE_CHECKING:
    from starlette.types import ASGIApp

    from eggbin.web.application import Application
    from eggbin.web.context import Context

Handler = Callable[[Any], Awaitable[Any]]
RoutePath = str | re.Pattern[str]
# what follows a route's path: route middleware, then the handler (a callable or `"file.method"`);
# egg's named form puts the path itself first: `get("user", "/user/:id", handler)`
RouteArg = str | re.Pattern[str] | Callable[..., Any]
ROUTER_CONFLICT = "EGG_ROUTER_CONFLICT"
METHODS = ("GET", "POST", "PUT", "PATCH", "DELETE", "HEAD", "OPTIONS")
WEBSOCKET = "WEBSOCKET"  # the method of WebSocket routes: no HTTP request has it
# egg's RESTful table: action → (methods, path suffix, route-name pattern)
RESOURCE_ACTIONS = (
    ("index", ("GET", "HEAD"), "", "{plural}"),
    ("new", ("GET", "HEAD"), "/new", "new_{singular}"),
    ("show", ("GET", "HEAD"), "/{id}", "{singular}"),
    ("edit", ("GET", "HEAD"), "/{id}/edit", "edit_{singular}"),
    ("create", ("POST",), "", None),
    ("update", ("PUT", "PATCH"), "/{id}", None),
    ("destroy", ("DELETE",), "/{id}", None),
)


class Router:
    """The routes of one app (`app` resolves the string controllers of `resources`)."""

    def __init__(self, app: Application | None = None) -> None:
        self.app = app
        self.routes: list[Route] = []
        self.mounts: list[Mount] = []
        self._seen: dict[tuple[str, str], Route] = {}
        self._named: dict[str, Route] = {}
        self._static: dict[tuple[str, str], Route] = {}
        self._dynamic: dict[str, list[Route]] = {}

    def add(
        self,
        methods: tuple[str, ...],
        path: RouteArg,
        *args: RouteArg,
        name: str | None = None,
        where: str | None = None,
    ) -> Route:
        """Register `path` for `methods`; `args` are route middleware then the handler.

        egg's `(name, path, ..., handler)` form is recognised: a string first, then a string or regex path.
        `where` (`file:line`) defaults to the caller's line: decorated controllers give their method's.
        """
        if (
            len(args) >= 2
            and isinstance(path, str)
            and isinstance(args[0], str | re.Pattern)
            and name is None
        ):
            name, path, args = path, args[0], args[1:]
        where = where or _caller()
        if not args:
            raise BootError(f"route `{' '.join(methods)} {path}` at `{where}` has no handler")
        try:
            route = Route(methods, cast(RoutePath, path), args[-1], tuple(args[:-1]), name, where)
        except Exception as exc:
            raise BootError(
                f"route `{' '.join(methods)} {path}` at `{where}` has a bad path: "
                f"{type(exc).__name__}: {exc}",
                hint="use `/user/:id`, `/user/{id}`, `/user/{id:int}` or a compiled regex",
            ) from exc
        self._check(route)
        for method in methods:
            self._seen[(method, route.shape)] = route
            if route.is_static:
                self._static[(method, route.path_format)] = route
            else:
                self._dynamic.setdefault(method, []).append(route)
        if name:
            self._named[name] = route
        self.routes.append(route)
        return route

    def _check(self, route: Route) -> None:
        for method in route.methods:
            other = self._seen.get((method, route.shape))  # `/u/:id` and `/u/{name}` are one path
            if other is not None:
                raise BootError(
                    f"route `{method} {route.shown_path}` is defined twice: "
                    f"at `{other.where}` and `{route.where}`",
                    hint="remove or rename one of them",
                    code=ROUTER_CONFLICT,
                )
        if route.name and route.name in self._named:
            raise BootError(
                f"route name `{route.name}` is used twice: at `{self._named[route.name].where}` "
                f"and `{route.where}`",
                hint="give one of them another name",
                code=ROUTER_CONFLICT,
            )

    def get(self, path: RoutePath, *args: RouteArg, name: str | None = None) -> Route:
        return self.add(("GET", "HEAD"), path, *args, name=name)

    def post(self, path: RoutePath, *args: RouteArg, name: str | None = None) -> Route:
        return self.add(("POST",), path, *args, name=name)

    def put(self, path: RoutePath, *args: RouteArg, name: str | None = None) -> Route:
        return self.add(("PUT",), path, *args, name=name)

    def patch(self, path: RoutePath, *args: RouteArg, name: str | None = None) -> Route:
        return self.add(("PATCH",), path, *args, name=name)

    def delete(self, path: RoutePath, *args: RouteArg, name: str | None = None) -> Route:
        return self.add(("DELETE",), path, *args, name=name)

    def head(self, path: RoutePath, *args: RouteArg, name: str | None = None) -> Route:
        return self.add(("HEAD",), path, *args, name=name)

    def options(self, path: RoutePath, *args: RouteArg, name: str | None = None) -> Route:
        return self.add(("OPTIONS",), path, *args, name=name)

    def all(self, path: RoutePath, *args: RouteArg, name: str | None = None) -> Route:
        return self.add(METHODS, path, *args, name=name)

    def websocket(self, path: str, *args: RouteArg, name: str | None = None) -> Route:
        """A WebSocket endpoint: `handler(ctx)` talks through `ctx.websocket` (accept, receive, send...)."""
        return self.add((WEBSOCKET,), path, *args, name=name)

    def mount(self, prefix: str, app: ASGIApp, name: str | None = None) -> Mount:
        """Serve every request under `prefix` (HTTP and WebSocket) with the ASGI `app`."""
        where = _caller()
        if not callable(app):
            raise BootError(f"mount `{prefix}` at `{where}`: `{app!r}` is not an ASGI app")
        normal = "/" + prefix.strip("/")
        if normal == "/" or not prefix.startswith("/"):
            raise BootError(
                f"mount prefix `{prefix}` at `{where}` must be a path below `/`, such as `/metrics`",
                hint="the egg app itself serves `/`",
            )
        for other in self.mounts:
            if other.prefix == normal:
                raise BootError(f"`{normal}` is mounted twice: at `{other.where}` and `{where}`")
        mount = Mount(normal, app, name, where)
        self.mounts.append(mount)
        self.mounts.sort(key=lambda m: len(m.prefix), reverse=True)  # the longest prefix wins
        return mount

    def mount_for(self, path: str) -> Mount | None:
        """The mount serving `path`, if any."""
        for mount in self.mounts:
            if mount.covers(path):
                return mount
        return None

    def redirect(self, source: str, destination: str, status: int = 302) -> Route:
        """Every method on `source` answers with a redirect to `destination`."""

        async def redirect(ctx: Context) -> None:
            ctx.unsafe_redirect(destination, status)

        return self.add(METHODS, source, redirect)

    def resources(self, *args: RouteArg) -> list[Route]:
        """`resources([name,] prefix, *middlewares, controller)`: egg's RESTful routes of its actions.

        `controller` is a controller (`app.controller.topics`) or its name (`"topics"`, `"v1.users"`).
        """
        named = len(args) > 2 and isinstance(args[1], str)
        name, prefix = (cast(str, args[0]), cast(str, args[1])) if named else (None, cast(str, args[0]))
        rest = args[2:] if name is not None else args[1:]
        middlewares, controller = rest[:-1], rest[-1]
        if isinstance(controller, str):
            controller = self._controller_named(controller, prefix)
        plural = name or prefix.rstrip("/").rsplit("/", 1)[-1]
        singular = plural[:-1] if plural.endswith("s") else plural
        routes = []
        for action, methods, suffix, pattern in RESOURCE_ACTIONS:
            handler = getattr(controller, action, None)
            if handler is None:
                continue
            route_name = pattern.format(plural=plural, singular=singular) if pattern and name else None
            path = prefix.rstrip("/") + suffix
            routes.append(self.add(methods, path, *middlewares, handler, name=route_name))
        return routes

    def _controller_named(self, dotted: str, prefix: str) -> Any:
        target = getattr(self.app, "controller", None)
        try:
            for part in dotted.split("."):
                target = getattr(target, part)
        except AttributeError:
            target = None
        if target is None or isinstance(target, str):
            raise BootError(
                f"resources `{prefix}` at `{_caller()}` names controller `{dotted}`, which does not exist",
                hint="name a file of app/controller (`topics`, `v1.users`) or pass `app.controller.<name>`",
            )
        return target

    def match(self, method: str, path: str) -> tuple[Route, dict[str, Any]] | None:
        """The route for `method` and `path` and its parameters, or `None`."""
        route = self._static.get((method, path))
        if route is not None:
            return route, {}
        for route in self._dynamic.get(method, ()):
            params = route.match(path)
            if params is not None:
                return route, params
        if len(path) > 1 and path.endswith("/"):
            return self.match(method, path.rstrip("/") or "/")
        return None

    def url_for(self, name: str, **params: object) -> str:
        """The path of the route called `name`; parameters not in the path become the query string."""
        route = self._named.get(name)
        if route is None:
            raise KeyError(f"no route named {name!r}; named routes: {sorted(self._named)}")
        if isinstance(route.path, re.Pattern):
            raise KeyError(f"route {name!r} has a regex path: it has no URL to build")
        missing = [key for key in route.convertors if key not in params]
        if missing:
            raise KeyError(f"route {name!r} ({route.path}) needs {missing}")
        values = {key: route.convertors[key].to_string(params.pop(key)) for key in route.convertors}
        url = route.path_format.format(**values)
        return f"{url}?{urlencode(params, doseq=True)}" if params else url

    def prepare(self, app: Application) -> None:
        """Resolve every handler now, so a wrong one fails the boot rather than a request."""
        for route in self.routes:
            route.prepare(app)
            shadow = self.mount_for(route.path_format)
            if shadow is not None:
                raise BootError(
                    f"route `{route.path}` at `{route.where}` is under `{shadow.prefix}`, mounted at "
                    f"`{shadow.where}`: the mounted app would serve it",
                    hint="move the route or the mount",
                )

    def describe(self) -> list[dict[str, Any]]:
        """What `run/router.json` holds."""
        routes = [
            {"name": r.name, "methods": list(r.methods), "path": r.shown_path, "where": r.where}
            for r in self.routes
        ]
        mounts = [
            {"name": m.name, "methods": ["*"], "path": m.prefix, "where": m.where, "mount": _app_name(m.app)}
            for m in self.mounts
        ]
        return routes + mounts


def _app_name(app: object) -> str:
    kind = app if isinstance(app, type) or inspect.isfunction(app) else type(app)
    return f"{kind.__module__}.{kind.__qualname__}"


def _caller() -> str:
    """`file:line` of the user's router code that defined a route."""
    frame = sys._getframe(1)
    while frame.f_back is not None and frame.f_code.co_filename == __file__:
        frame = frame.f_back
    return f"{frame.f_code.co_filename}:{frame.f_lineno}"


class RouterDelegates:
    """egg's `app.get(...)`, `app.redirect(...)`, `app.resources(...)`: the app's router, from `app`."""

    router: Router

    def get(self, path: RoutePath, *args: RouteArg, name: str | None = None) -> Route:
        return self.router.get(path, *args, name=name)

    def post(self, path: RoutePath, *args: RouteArg, name: str | None = None) -> Route:
        return self.router.post(path, *args, name=name)

    def put(self, path: RoutePath, *args: RouteArg, name: str | None = None) -> Route:
        return self.router.put(path, *args, name=name)

    def patch(self, path: RoutePath, *args: RouteArg, name: str | None = None) -> Route:
        return self.router.patch(path, *args, name=name)

    def delete(self, path: RoutePath, *args: RouteArg, name: str | None = None) -> Route:
        return self.router.delete(path, *args, name=name)

    def head(self, path: RoutePath, *args: RouteArg, name: str | None = None) -> Route:
        return self.router.head(path, *args, name=name)

    def options(self, path: RoutePath, *args: RouteArg, name: str | None = None) -> Route:
        return self.router.options(path, *args, name=name)

    def all(self, path: RoutePath, *args: RouteArg, name: str | None = None) -> Route:
        return self.router.all(path, *args, name=name)

    def redirect(self, source: str, destination: str, status: int = 302) -> Route:
        return self.router.redirect(source, destination, status)

    def resources(self, *args: RouteArg) -> list[Route]:
        return self.router.resources(*args)
