"""The health plugin in app workers: probes installed at load, ready at `egg-ready`, stopping on the
master's `cluster-stopping`."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from eggbin.web.builtin.plugins.health.probes import STOPPING_ACTION, health_from_config

if TYPE_CHECKING:
    pass


class Boot:
    def __init__(self, app: Any) -> None:  # `app.health`: set below
        self.app = app

    async def did_load(self) -> None:
        app = self.app

        def where(key: str) -> str:
            origin = app.config_meta.get(f"health.{key}" if key else "health")
            return f" (set in `{origin}`)" if origin else ""

        health = app.health = health_from_config(app.config.get("health"), where)
        if health.liveness_path:
            app.add_probe(health.liveness_path, health.liveness_endpoint)
        if health.readiness_path:
            app.add_probe(health.readiness_path, health.readiness_endpoint)
        app.messenger.on(STOPPING_ACTION, lambda _: setattr(health, "stopping", True))

    async def server_did_ready(self) -> None:
        self.app.health.ready = True
