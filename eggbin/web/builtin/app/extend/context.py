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


def _get_locals(ctx: Any) -> dict[str, Any]:
    found: dict[str, Any] | None = ctx.__dict__.get("_locals")
    if found is None:
        found = ctx.__dict__["_locals"] = dict(ctx.app.__dict__.get("_locals") or {})
    return found


def _merge_locals(ctx: Any, values: dict[str, Any]) -> None:
    _get_locals(ctx).update(values)


locals = property(_get_locals, _merge_locals, doc="what this request's templates see; setting merges")
