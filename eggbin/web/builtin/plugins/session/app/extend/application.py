"""`app.session_store`: an external store for sessions (egg-session), `None` for the cookie store."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from eggbin.web.session_store import make_store

if TYPE_CHECKING:
    from eggbin.web.application import Application


def _get_store(app: Application) -> Any:
    store = app.__dict__.get("_session_store")
    return None if store is None else store.store


def _set_store(app: Application, store: object) -> None:
    if app.__dict__.get("_session_store") is not None and app.env != "unittest":
        app.core_logger.warning("[egg-session] sessionStore already exists and will be overwrite")
    app.__dict__["_session_store"] = make_store(app, store)


session_store = property(_get_store, _set_store, doc="`{get, set, destroy}` (object, class or dict)")
