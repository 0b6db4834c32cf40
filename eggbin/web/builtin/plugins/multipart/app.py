"""Boot of the multipart plugin: checks `config.multipart` and adds its middleware to the core ones."""

from __future__ import annotations

from typing import TYPE_CHECKING

from eggbin.errors import BootError
from eggbin.web.multipart import MultipartLimits

if TYPE_CHECKING:
    from eggbin.web.application import Application

MODES = ("buffer", "stream", "file")


class Boot:
    def __init__(self, app: Application) -> None:
        self.app = app

    def config_will_load(self) -> None:
        options = self.app.config.multipart
        where = self.app.config_meta.get("multipart.mode", "config")
        if options.get("mode") not in MODES:
            raise BootError(
                f"`multipart.mode` is `{options.get('mode')!r}` (set in `{where}`)",
                hint=f"use one of {', '.join(repr(m) for m in MODES)}",
            )
        if options.get("file_mode_match") and options["mode"] != "stream":
            raise BootError(
                f"`multipart.file_mode_match` works only in stream mode (mode set in `{where}`)",
                hint="remove it, or set `multipart.mode` to `stream`",
            )
        try:
            MultipartLimits.from_options(options)
        except ValueError as exc:
            raise BootError(f"`config.multipart`: {exc}") from exc
        self.app.core_logger.info("[egg-multipart] %s mode enable", options["mode"])
        self.app.config.core_middleware.append("multipart")
