"""`ctx.session` and `ctx.session_options` (koa-session's context properties)."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from eggbin.web.session import Session, context_session


def _get_session(ctx: Any) -> Session | None:
    return context_session(ctx).get()


def _set_session(ctx: Any, value: Mapping[str, Any] | None) -> None:
    context_session(ctx).set(value)


def _session_options(ctx: Any) -> dict[str, Any]:
    return context_session(ctx).options


session = property(_get_session, _set_session, doc="the request's session (a dict); `None` destroys it")
session_options = property(_session_options, doc="this request's copy of `config.session`")
