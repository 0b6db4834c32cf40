"""`Application` (what workers serve) and `Agent` (the background process), on one `EggCore`."""

from __future__ import annotations

import inspect
import logging
from pathlib import Path
from typing import TYPE_CHECKING, Any, ClassVar

from eggbin.web.appinfo import AppInfo, load_app_info
from eggbin.web.config import Config
from eggbin.web.context import Context
from eggbin.web.env import ServerEnv
from eggbin.web.loader import (
    LoadUnit,
    app_unit,
    eggbin_unit,
    load_boots,
    load_config,
    load_controllers,
    load_router,
    load_services,
)
from eggbin.web.middleware import build_pipeline
from eggbin.web.router import Router

if TYPE_CHECKING:
    from starlette.types import Receive, Scope, Send

BOOT_HOOKS = ("config_did_load", "did_load", "will_ready", "did_ready")


class _Tree:
    """Attribute access over a nested dict (`app.controller.sub.file`)."""

    def __init__(self, tree: dict[str, Any]) -> None:
        self._tree = tree

    def __getattr__(self, name: str) -> Any:
        try:
            value = self._tree[name]
        except KeyError:
            raise AttributeError(name) from None
        return _Tree(value) if isinstance(value, dict) else value


class EggCore:
    """What the app and the agent share: identity, load units, config, boot hooks."""

    role: ClassVar[str] = "app"

    def __init__(self, base_dir: Path, env: ServerEnv | None = None) -> None:
        self.info: AppInfo = load_app_info(base_dir, env)
        self.units: list[LoadUnit] = [eggbin_unit(), app_unit(self.info)]
        self.config = Config()
        self.config_meta: dict[str, str] = {}
        self.boots: list[Any] = []
        self.logger = logging.getLogger(f"eggbin.{self.info.name}")

    @property
    def name(self) -> str:
        return self.info.name

    @property
    def base_dir(self) -> Path:
        return self.info.base_dir

    @property
    def env(self) -> str:
        return self.info.env

    async def boot(self) -> None:
        """Load config and code, then run the boot hooks in order."""
        self.config, self.config_meta = load_config(self.units, self.info)
        self.boots = load_boots(self.units, self.role, self)
        self.load()
        for hook in BOOT_HOOKS:
            await self._run_hook(hook)

    def load(self) -> None:
        """Role-specific loading after config."""

    async def server_did_ready(self) -> None:
        await self._run_hook("server_did_ready")

    async def close(self) -> None:
        await self._run_hook("before_close", reverse=True)

    async def _run_hook(self, name: str, reverse: bool = False) -> None:
        for boot in reversed(self.boots) if reverse else self.boots:
            method = getattr(boot, name, None)
            if method is not None:
                result = method()
                if inspect.isawaitable(result):
                    await result


class Application(EggCore):
    """The web app: an ASGI callable over the router, middleware and controllers."""

    role = "app"

    def __init__(self, base_dir: Path, env: ServerEnv | None = None) -> None:
        super().__init__(base_dir, env)
        self.router = Router()
        self.controller: Any = _Tree({})
        self.service_classes: dict[str, Any] = {}
        self._handle = build_pipeline(self)

    def load(self) -> None:
        app = self.units[-1]
        self.service_classes = load_services(self.units)
        self.controller = _Tree(load_controllers(app))
        load_router(app, self)
        self._handle = build_pipeline(self)

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] == "lifespan":
            await _lifespan(receive, send)
            return
        ctx = Context(self, scope, receive)
        await self._handle(ctx)
        await ctx.build_response()(scope, receive, send)


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
