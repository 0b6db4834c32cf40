"""eggbin's own `ctx` extensions: loggers whose lines carry the request (`[user/ip/trace/ms METHOD url]`)."""

from __future__ import annotations

from typing import Any

from eggbin.web.logger import ContextLogger


def _logger(ctx: Any) -> ContextLogger:
    return ContextLogger(ctx, ctx.app.logger)


def _core_logger(ctx: Any) -> ContextLogger:
    return ContextLogger(ctx, ctx.app.core_logger)


logger = property(_logger, doc="`app.logger` with the request prefix")
core_logger = property(_core_logger, doc="`app.core_logger` with the request prefix")
