"""`ctx.session` and `ctx.session_options` (koa-session's context properties)."""

from __future__ import annotations

from collections.abc import Mapping
from typing import TYPE_CHECKING, Any

from eggbin.web.session import Session, context_session

if TYPE_CHECKING:
    from eggbin.web.context import Context


def _get_session(ctx: Context) -> Session | None:
    return context_session(ctx).get()


def _set_session(ctx: Context, value: Mapping[str, Any] | None) -> None:
    context_session(ctx).set(value)


def _session_options(ctx: Context) -> dict[str, Any]:
    return context_session(ctx).options


session = property(_get_session, _set_session, doc="the request's session (a dict); `None` destroys it")
session_options = property(_session_options, doc="this request's copy of `config.session`")
