"""`app.add_singleton(name, create)`: clients made from `config[name]` (egg's `addSingleton`).

    config["mysql"] = {"client": {...}}                       → app.mysql is create(client, app)
    config["mysql"] = {"clients": {"a": {...}}, "default": {...}}  → app.mysql.get("a")
    neither                                                   → app.mysql.create_instance(config)

`default` is merged under every client's config. `create` may be async; the boot awaits it before
`will_ready` (or, when added later, before ready).
"""

from __future__ import annotations

import inspect
from collections.abc import Awaitable, Callable, Mapping
from typing import TYPE_CHECKING, Any

from eggbin.errors import BootError
from eggbin.web.config import Config, extend

if TYPE_CHECKING:
    from eggbin.web.application import EggCore

Create = Callable[[Config, Any], Any]


class Singleton:
    """One named family of clients on an app."""

    def __init__(self, name: str, create: Create, app: EggCore) -> None:
        self.name = name
        self.create = create
        self.app = app
        self.clients: dict[str, Any] = {}
        options = app.config.get(name) or {}
        self.default: Mapping[str, Any] = options.get("default") or {}
        self.client: Mapping[str, Any] | None = options.get("client")
        self.client_configs: Mapping[str, Any] = options.get("clients") or {}
        if self.client is not None and self.client_configs:
            meta = app.config_meta.items()
            where = next((file for key, file in meta if key.startswith(f"{name}.client")), "config")
            raise BootError(f"config `{name}` has both `client` and `clients` (`{where}`)", hint="keep one")

    def init(self) -> Awaitable[None] | None:
        """Create the configured clients; an awaitable when `create` is async."""
        if inspect.iscoroutinefunction(self.create):
            return self._init_async()
        if self.client is not None:
            setattr(self.app, self.name, self.create_instance(self.client))
            return None
        for client_id, config in self.client_configs.items():
            self.clients[client_id] = self.create_instance(config)
        setattr(self.app, self.name, self)
        return None

    async def _init_async(self) -> None:
        if self.client is not None:
            setattr(self.app, self.name, await self.create_instance_async(self.client))
            return
        for client_id, config in self.client_configs.items():
            self.clients[client_id] = await self.create_instance_async(config)
        setattr(self.app, self.name, self)

    def get(self, client_id: str) -> Any:
        """The client configured as `clients[client_id]`."""
        try:
            return self.clients[client_id]
        except KeyError:
            known = ", ".join(f"`{c}`" for c in self.clients) or "none"
            raise KeyError(f"no `{self.name}` client `{client_id}` (configured: {known})") from None

    def create_instance(self, config: Mapping[str, Any]) -> Any:
        """A new client from `config` merged over `default` (sync `create` only)."""
        if inspect.iscoroutinefunction(self.create):
            raise TypeError(f"`{self.name}` is created asynchronously: use `create_instance_async`")
        return self.create(self._merged(config), self.app)

    async def create_instance_async(self, config: Mapping[str, Any]) -> Any:
        """A new client from `config` merged over `default`; `create` may be sync or async."""
        made = self.create(self._merged(config), self.app)
        return await made if inspect.isawaitable(made) else made

    def _merged(self, config: Mapping[str, Any]) -> Config:
        merged = Config()
        extend(merged, self.default, {}, "default")
        extend(merged, config, {}, "client")
        return merged
