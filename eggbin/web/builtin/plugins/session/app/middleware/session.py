"""session: fetch an external-store session before the handler, commit the session after it."""

from __future__ import annotations

from typing import TYPE_CHECKING

from eggbin.web.middleware import Middleware, Next, runs_when
from eggbin.web.session import ATTRIBUTE, context_session

if TYPE_CHECKING:
    from eggbin.web.application import Application
    from eggbin.web.config import Config
    from eggbin.web.context import Context


def session(options: Config, app: Application) -> Middleware:
    auto_commit = options.get("auto_commit", True) is not False

    state = app.__dict__

    @runs_when(None)  # always runs, leaves the request be
    async def handle(ctx: Context, next_: Next) -> None:
        if state.get("_session_store") is not None:
            await context_session(ctx).init_from_external()
        try:
            await next_()
        finally:
            touched = ctx.__dict__.get(ATTRIBUTE)  # None: nobody read or set the session
            if touched is not None and auto_commit:
                await touched.commit()

    return handle
