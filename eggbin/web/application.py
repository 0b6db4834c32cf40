"""`Application` (what workers serve) and `Agent` (the background process), on one `EggCore`.

`boot()` runs the loader phases over the load units (eggbin → plugins → framework(s) → app), then the
boot hooks (see `eggbin.web.lifecycle`), then writes `run/`. A framework subclasses these two classes
and sets `egg_path` to its own directory (`config/`, `app/`, `config/plugin.py`).
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable, Mapping
from pathlib import Path
from typing import TYPE_CHECKING, Any, ClassVar, TypeVar

from eggbin.errors import BootError
from eggbin.web.appinfo import AppInfo, load_app_info
from eggbin.web.background import BackgroundTaskHelper, BackgroundTasks
from eggbin.web.boots import load_boots
from eggbin.web.cluster_client import ClusterClientBuilder
from eggbin.web.config import Config, config_warnings
from eggbin.web.context import Context
from eggbin.web.controller import Tree, classic_classes
from eggbin.web.dump import dump_run_files
from eggbin.web.egg_api import EggApi
from eggbin.web.env import ServerEnv
from eggbin.web.events import EventEmitter
from eggbin.web.extend import build_context_class, extend_instance, read_extension
from eggbin.web.lifecycle import Lifecycle, Timing
from eggbin.web.loader import (
    LoadUnit,
    app_unit,
    framework_units,
    load_config,
    load_controllers,
    load_router,
    load_services,
    with_plugins,
)
from eggbin.web.log_output import configure_process_logging
from eggbin.web.logger import EggLogger, Loggers
from eggbin.web.loop_errors import log_loop_errors, stop_logging_loop_errors
from eggbin.web.messenger import Messenger
from eggbin.web.middleware import MiddlewareFactories, Pipeline, build_pipelines
from eggbin.web.plugins import Plugin, load_plugins
from eggbin.web.protos.container import Container
from eggbin.web.proxy import trusted_networks
from eggbin.web.router import Router, RouterDelegates
from eggbin.web.schedule import run_schedule
from eggbin.web.settings import LoadedConfig, check_settings
from eggbin.web.settings.forked import ForkedCheck
from eggbin.web.singleton import Create, Singleton
from eggbin.web.tracer import DEFAULT_HEADER, TraceIds, trace_header, trace_ids
from eggbin.web.units import EGGBIN_PATH

if TYPE_CHECKING:
    from starlette.types import ASGIApp, Receive, Scope, Send

    from eggbin.web.decorated.routes import DecoratedRoute

T = TypeVar("T")


class EggCore(EventEmitter, EggApi):
    """What the app and the agent share: identity, load units, config, loggers, boot hooks."""

    role: ClassVar[str] = "app"
    egg_path: ClassVar[Path] = EGGBIN_PATH

    def __init__(self, base_dir: Path, env: ServerEnv | None = None) -> None:
        super().__init__()
        self.info: AppInfo = load_app_info(base_dir, env)
        self.units: list[LoadUnit] = [*framework_units(type(self)), app_unit(self.info)]
        self.plugins: list[Plugin] = []
        self.built_in_plugins: dict[str, bool] = {}  # `static = False` in config/plugin.py, ...
        self.extra_plugins: dict[str, Any] = {}  # entries added after the app's own (the tests' plugin)
        self.config = Config()
        self.config_meta: dict[str, str] = {}
        self.checks_settings = True  # built-in settings checked at boot; in a cluster, by the agent only
        # in a forked child, awaited later (`settings_check`): the cluster's agent (web/settings/forked.py)
        self.checks_settings_apart = False
        self.settings_check: ForkedCheck | None = None
        self.timing = Timing()
        self.lifecycle = Lifecycle(self, [], self.timing)
        self._loggers: Loggers | None = None
        self._pending_singletons: list[Awaitable[None]] = []
        self.messenger = Messenger(self.role)
        self.cluster_key = ""  # set by the cluster: where leaders of `cluster()` clients listen
        self.worker_slot = 0  # set by the cluster: this worker's slot, 1..N (0: the agent, or no cluster)
        self.worker_restarts = 0  # set by the cluster: how often the master respawned this slot's worker
        self.background_tasks = BackgroundTasks(lambda exc, ctx: self.emit("error", exc, ctx))
        self._background: BackgroundTaskHelper | None = None

    @property
    def name(self) -> str:
        return self.info.name

    @property
    def base_dir(self) -> Path:
        return self.info.base_dir

    @property
    def env(self) -> str:
        return self.info.env

    @property
    def loggers(self) -> Loggers:
        """Every logger of this process's role, built from `config.logger` on first use."""
        if self._loggers is None:
            options: Mapping[str, Any] = self.config.get("logger") or {}
            directory = self.base_dir / (options.get("dir") or self.info.root / "logs" / self.name)
            self._loggers = Loggers(self.name, self.role, directory, options, self.config_meta)
        return self._loggers

    @property
    def logger(self) -> EggLogger:
        return self.loggers.logger

    @property
    def core_logger(self) -> EggLogger:
        return self.loggers.core_logger

    @property
    def schedule_logger(self) -> EggLogger:
        return self.loggers.schedule_logger

    async def boot(self, *, write_run_files: bool = True) -> None:
        """Load plugins, config and code, run the boot hooks in order, then write `run/`.

        Cluster children write `run/` themselves once they have reported their start (egg dumps
        after ready too): those writes flush to disk and would delay `egg-ready`.
        """
        with self.timing.phase("load plugins"):
            found = load_plugins(self.units, self.env, self.extra_plugins)
            self.plugins, self.units = found.plugins, with_plugins(self.units, found.plugins)
            self.built_in_plugins = found.built_in
        with self.timing.phase("load config"):
            warnings = [*found.warnings]
            self.config, self.config_meta = load_config(self.units, self.info, warnings)
            if self.checks_settings:
                loaded = LoadedConfig(
                    self.config, self.config_meta, self.units, self.plugins, self.built_in_plugins
                )
                if self.checks_settings_apart:
                    self.settings_check = ForkedCheck.start(loaded)
                else:
                    warnings += check_settings(loaded)
            self._close_loggers()  # anything logged so far used defaults: reopen with the real config
            configure_process_logging(self.role, self.config.get("logger"), self.config_meta)
            self.loggers  # noqa: B018 (built now, so a bad `config.logger` fails here, naming its file)
        log_loop_errors(self)
        for note in found.notes:
            self.core_logger.info("[egg:plugin] %s", note)
        with self.timing.phase("load extends"):  # egg loads extends before the boot classes run
            self.load_extends()
        with self.timing.phase("load boots"):
            boots = load_boots(self.units, self.role, self)
            self.lifecycle = Lifecycle(self, boots.entries, self.timing, self.lifecycle.functions)
        for warning in [*warnings, *config_warnings(self.config, self.config_meta), *boots.warnings]:
            self.core_logger.warning("[egg:loader] %s", warning)
        self.lifecycle.config_will_load()
        await self.lifecycle.run("config_did_load")
        with self.timing.phase("load files"):
            self.load()
        await self.lifecycle.run("did_load")
        await self.lifecycle.run_before_start()
        await self._await_singletons()
        await self.start_objects()
        await self.lifecycle.run("will_ready")
        await self._await_singletons()
        await self.lifecycle.run("did_ready")
        await self.lifecycle.mark_ready()
        if write_run_files:
            dump_run_files(self)

    def load_extends(self) -> None:
        """`app/extend/<role>.py` of every unit onto this object."""
        extend_instance(self, read_extension(self.units, "application" if self.role == "app" else "agent"))

    def load(self) -> None:
        """Role-specific loading after config and extends."""

    async def start_objects(self) -> None:
        """Role-specific objects made once `did_load` hooks ran (the app's singleton protos)."""

    @property
    def background(self) -> BackgroundTaskHelper:
        """The process's `BackgroundTaskHelper`: `app.background.run(fn)`, tied to no request."""
        if self._background is None:
            self._background = BackgroundTaskHelper(self.background_tasks, self.logger, None)
        return self._background

    async def background_tasks_finished(self) -> None:
        """Wait until every background task of this process has ended (egg-mock's helper, for tests)."""
        await self.background_tasks.finished()

    def add_singleton(self, name: str, create: Create) -> None:
        """`self.<name>` from `config[name]` (`client` or `clients` + `default`), made by `create`."""
        pending = Singleton(name, create, self).init()
        if pending is not None:
            self._pending_singletons.append(pending)

    async def _await_singletons(self) -> None:
        while self._pending_singletons:
            await self._pending_singletons.pop(0)

    def cluster(self, client_class: type[Any]) -> ClusterClientBuilder:
        """egg's `app.cluster(Client).create(...)`: the leader in the agent, followers in workers."""
        return ClusterClientBuilder(self, client_class)

    async def server_did_ready(self) -> None:
        """The cluster serves: `egg-ready` reached this process."""
        try:
            await self.lifecycle.run("server_did_ready")
        except Exception:
            self.core_logger.exception("[egg:lifecycle] server_did_ready failed")

    async def close(self, background_timeout: float | None = None) -> None:
        """Background tasks (up to `background_timeout` s, default `config.background_task.timeout`,
        then cancelled and logged), objects, `before_close` hooks in reverse unit order, log files."""
        if background_timeout is None:
            background_timeout = float((self.config.get("background_task") or {}).get("timeout") or 5)
        await self.background_tasks.drain(background_timeout, self.core_logger)
        await self.close_objects()
        await self.lifecycle.close()
        await self.close_curl_clients()
        stop_logging_loop_errors(self)
        self._close_loggers()

    async def close_objects(self) -> None:
        """Role-specific objects to destroy before the `before_close` hooks run."""

    def _close_loggers(self) -> None:
        if self._loggers is not None:
            self._loggers.close()
            self._loggers = None


class Application(EggCore, RouterDelegates):
    """The web app: an ASGI callable over the router, middleware and controllers.

    ASGI middleware (config order) → mounts → HTTP: `_handle` (egg middleware → router)
                                             → WebSocket: `websocket_pipeline` (see `eggbin.web.websocket`)
    """

    role = "app"
    agent: Agent  # only in tests' single-process mode (egg-mock's `app.agent`): set by `app_factory`

    def __init__(self, base_dir: Path, env: ServerEnv | None = None) -> None:
        super().__init__(base_dir, env)
        self.router = Router(self)
        self.controller: Any = Tree({})
        self.service_classes: dict[str, Any] = {}
        self.context_class: type[Context] = Context
        self.middleware = MiddlewareFactories(self)  # `app.middleware.<name>(options)` for one route
        self.probes: dict[str, ASGIApp] = {}  # path → ASGI app answering it before everything (health)
        self.trace_header = DEFAULT_HEADER  # `config.tracer.header`: read into `ctx.trace_id`, echoed
        self._trace_ids: TraceIds | None = trace_ids(DEFAULT_HEADER)  # its ids (None: the header is off)
        self._handle: Pipeline
        self.websocket_pipeline: Pipeline
        self._asgi: ASGIApp | None  # ASGI middleware and mounts around `serve`; None: plain HTTP fast path
        self._handle, self.websocket_pipeline, self._asgi = build_pipelines(self)
        self.protos = Container(self, [])  # the decorated model: filled by `load`
        self.decorated_routes: list[DecoratedRoute] = []

    def load_extends(self) -> None:
        super().load_extends()
        self.context_class = build_context_class(Context, self.units)

    def load(self) -> None:
        app = self.units[-1]
        self.service_classes = load_services(self.units)
        self.controller = Tree(load_controllers(app))
        load_router(app, self)
        self.load_decorated()
        self._handle, self.websocket_pipeline, self._asgi = build_pipelines(self)
        trusted_networks(self.config)  # a bad `trusted_proxies` entry fails the boot, not every request
        self.trace_header = trace_header(self.config, self.config_meta)
        self._trace_ids = trace_ids(self.trace_header) if self.trace_header else None

    def load_decorated(self) -> None:
        """Protos, advice and decorated controllers of every unit (see `eggbin.web.protos`)."""
        from eggbin.web.openapi import serve_openapi
        from eggbin.web.protos.discover import discover_protos

        self.protos = Container(self, discover_protos(self.units))
        self.protos.build(classic_classes(self.controller), classic_classes(self.service_classes))
        if self.protos.graph.protos:  # parameters use pydantic: imported only when there is a proto
            from eggbin.web.decorated.routes import add_decorated_routes

            self.decorated_routes = add_decorated_routes(self.router, self.protos)
        serve_openapi(self)

    async def start_objects(self) -> None:
        await self.protos.start()

    async def close_objects(self) -> None:
        await self.protos.close(self.logger)

    async def get_egg_object(self, target: type[T] | str) -> T:
        """A singleton proto's instance, by class or name (tegg's `app.getEggObject`)."""
        return await self.protos.get_egg_object(target)  # type: ignore[no-any-return]

    def url_for(self, name: str, **params: object) -> str:
        """The path of the route called `name` (`app.url_for("user", id=1)` → `/user/1`)."""
        return self.router.url_for(name, **params)

    def add_probe(self, path: str, endpoint: ASGIApp) -> None:
        """Answer HTTP requests for exactly `path` with the ASGI `endpoint`, before the context, the
        middleware and the router: no app code runs and nothing is logged (the health plugin's probes)."""
        if path in self.probes:
            raise BootError(f"two probes answer `{path}`", hint="give each probe its own path in config")
        self.probes[path] = endpoint

    def wrap_requests(self, layer: Callable[[ASGIApp], ASGIApp]) -> None:
        """Put the ASGI app `layer(inner)` around everything but the probes: ASGI middleware, mounts,
        egg's middleware and the router (the metrics plugin times and counts requests there)."""
        self._asgi = layer(self._asgi or self.serve)

    def create_anonymous_context(self, request: Mapping[str, Any] | None = None) -> Context:
        """A `ctx` outside any request (a fake `GET /`, or the `method`/`url`/`headers` given)."""
        from eggbin.web.anonymous import anonymous_scope, empty_receive

        return self.context_class(self, anonymous_scope(request or {}), empty_receive)

    async def run_schedule(self, name: str) -> None:
        """Run the schedule `app/schedule/<name>.py` once, now (for tests)."""
        await run_schedule(self, name)

    async def __call__(self, scope: Scope, receive: Receive, send: Send, inner: bool = False) -> None:
        """The ASGI entry; `inner`: called by `serve`, under the ASGI middleware (see the class docstring)."""
        if not inner:
            if self.probes and scope["type"] == "http":  # health probes: before ASGI middleware and egg's
                probe = self.probes.get(scope["path"])
                if probe is not None:
                    await probe(scope, receive, send)
                    return
            if self._asgi is not None or scope["type"] != "http":
                await (self._asgi or self.serve)(scope, receive, send)
                return
        # HTTP, inline rather than in a coroutine of its own: one frame less for every request.
        ctx = self.context_class(self, scope, receive)
        if self._trace_ids is not None:  # the id is safe or ours (`eggbin.web.tracer`): no check needed
            ctx._trace_id = self._trace_ids.take(scope.get("headers", ()))
            ctx.response.headers.put(self.trace_header, ctx._trace_id)
        listened = self._listeners  # `emit` only when someone listens: most apps do not, every request
        if "request" in listened:
            self.emit("request", ctx)
        try:
            await self._handle(ctx)
            await ctx.build_response()(scope, receive, send)
            if "response" in listened:
                self.emit("response", ctx)
        finally:
            if ctx._scope is not None:  # context protos or background tasks: release them
                await ctx._scope.release()

    async def serve(self, scope: Scope, receive: Receive, send: Send) -> None:
        """What the ASGI middleware wrap: mounted apps, HTTP, WebSockets, lifespan."""
        kind = scope["type"]
        mount = self.router.mount_for(scope["path"]) if kind != "lifespan" and self.router.mounts else None
        if mount is not None:
            await mount.app(mount.scope_for(scope), receive, send)
        elif kind == "http":
            await self(scope, receive, send, inner=True)
        elif kind == "websocket":
            from eggbin.web.websocket import serve_websocket

            await serve_websocket(self, scope, receive, send)
        elif kind == "lifespan":
            await _lifespan(receive, send)


class Agent(EggCore):
    """The background process: no HTTP, runs `agent.py` boots, schedules and leaders."""

    role = "agent"


async def _lifespan(receive: Receive, send: Send) -> None:
    while True:
        message = await receive()
        if message["type"] == "lifespan.startup":
            await send({"type": "lifespan.startup.complete"})
        elif message["type"] == "lifespan.shutdown":
            await send({"type": "lifespan.shutdown.complete"})
            return
