"""Boot of the session plugin: its middleware joins the core ones, its events are logged (egg-session)."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from eggbin.web.application import Application

EVENTS = ("session:missed", "session:expired", "session:invalid")


class Boot:
    def __init__(self, app: Application) -> None:
        self.app = app

    def config_will_load(self) -> None:
        options = self.app.config.session
        if not options.get("http_only", True):
            self.app.core_logger.warning(
                "[egg-session]: please set `config.session.http_only` to True. "
                "It is very dangerous if session can read by client JavaScript."
            )
        self.app.config.core_middleware.append("session")
        for event in EVENTS:
            self.app.on(event, self._logger(event.split(":")[1], options))

    def _logger(self, kind: str, options: object) -> Any:
        def log(info: dict[str, Any]) -> None:
            value = info["value"] if options.get("log_value", True) else ""
            info["ctx"].core_logger.warning("[session][%s] key(%s) value(%s)", kind, info["key"], value)

        return log
