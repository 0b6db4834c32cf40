"""`ctx.session` (koa-session, as egg-session configures it): a dict kept in a cookie or an external store.

Per request, nothing happens until `ctx.session` is read or set: then the session is decoded from its
cookie (or fetched from `app.session_store` by the key its cookie holds, before the handler runs), and
after the handler it is written back only when it changed (compared as JSON), when `max_age` was set,
with `rolling`, or with `renew` once half its life is gone. A cookie that does not decrypt or verify, a
payload that is not a session, an expired one, or one `valid(ctx, data)` refuses starts a new, empty
session (`session:invalid` / `session:expired` / `session:missed` events, logged by the plugin).

    ctx.session["user"] = "ann"            # or ctx.session.user = "ann"
    ctx.session.max_age = 3600             # seconds, for this session; "session": until the browser closes
    ctx.session = None                     # destroy it (cookie deleted, store entry destroyed)
    await ctx.session.regenerate()         # a new external key for the same data (after a login)
"""

from __future__ import annotations

import base64
import binascii
import json
import time
import uuid
import weakref
from collections.abc import Mapping
from typing import TYPE_CHECKING, Any

from eggbin.web.cookies import OPTION_NAMES as COOKIE_OPTIONS
from eggbin.web.session_store import SessionStore

if TYPE_CHECKING:
    from eggbin.web.context import Context

ONE_DAY = 24 * 3600
ATTRIBUTE = "_context_session"


class Session(dict[str, Any]):
    """The session data of one request: a dict whose keys also read and write as attributes."""

    # The owner holds this session: it is held back weakly (its options, which hold nothing back, are
    # held directly), so a request reading its session is freed by reference counting, not left to
    # the cyclic GC (~7 collections a 1000 such requests, whose walks are a latency tail under load).
    __slots__ = ("_options", "_owner_ref", "is_new", "require_save")

    def __init__(self, owner: ContextSession, data: Mapping[str, Any] | None = None) -> None:
        super().__init__()
        object.__setattr__(self, "_owner_ref", weakref.ref(owner))
        object.__setattr__(self, "_options", owner.options)
        object.__setattr__(self, "is_new", data is None)
        object.__setattr__(self, "require_save", False)
        for key, value in (data or {}).items():
            if key == "_max_age":
                owner.options["max_age"] = value
            elif key == "_session":
                owner.options["max_age"] = "session"
            elif not key.startswith("_"):
                self[key] = value

    @property
    def _owner(self) -> ContextSession:
        owner: ContextSession | None = self._owner_ref()
        if owner is None:
            raise RuntimeError("the request this session belonged to has ended")
        return owner

    def __getattr__(self, name: str) -> Any:
        try:
            return self[name]
        except KeyError:
            raise AttributeError(f"the session has no key {name!r}") from None

    def __setattr__(self, name: str, value: object) -> None:
        if name in Session.__dict__ and isinstance(Session.__dict__[name], property):
            object.__setattr__(self, name, value)
        else:
            self[name] = value

    def __delattr__(self, name: str) -> None:
        del self[name]

    @property
    def max_age(self) -> float | str | None:
        """Seconds this session lives (`"session"`: until the browser closes); setting it saves it."""
        value = self._options.get("max_age")
        return value if isinstance(value, int | float | str) else None

    @max_age.setter
    def max_age(self, value: float | str) -> None:
        self._options["max_age"] = value
        object.__setattr__(self, "require_save", True)

    @property
    def populated(self) -> bool:
        return bool(self)

    def to_json(self) -> dict[str, Any]:
        return dict(self)

    async def save(self) -> None:
        """Write the session now, changed or not."""
        await self._owner.commit(save=True)

    async def regenerate(self) -> None:
        """Destroy the stored session and store this data under a new key (against session fixation)."""
        await self._owner.commit(regenerate=True)


def _hash(data: Mapping[str, Any]) -> str:
    return json.dumps(data, sort_keys=True, default=repr)


def encode(data: Mapping[str, Any]) -> str:
    """koa-session's default `encode`: base64 of the JSON (url-safe, unpadded: a plain cookie value)."""
    raw = json.dumps(data, separators=(",", ":"), ensure_ascii=False).encode()
    return base64.urlsafe_b64encode(raw).rstrip(b"=").decode()


def decode(text: str) -> Any:
    padded = text + "=" * (-len(text) % 4)
    return json.loads(base64.urlsafe_b64decode(padded.encode()))


class ContextSession:
    """koa-session's `ContextSession`: loads, tracks and commits the session of one request."""

    def __init__(self, ctx: Context, options: Mapping[str, Any], store: SessionStore | None) -> None:
        # `ctx` holds this object: held back weakly, so a request using its session is freed by reference
        # counting, not left to the cyclic GC (whose collections are a latency tail under load).
        self._ctx = weakref.ref(ctx)
        self.options = dict(options)  # `ctx.session_options`: this request's own copy
        self.store = store
        self.session: Session | bool | None = None  # None: not loaded yet; False: removed
        self.prev_hash: str | None = None
        self.external_key: str | None = None
        self.loaded_expire: float | None = None  # `_expire` (ms) of the session as it was loaded

    @property
    def ctx(self) -> Context:
        """The request this session belongs to."""
        ctx = self._ctx()
        if ctx is None:
            raise RuntimeError("the request this session belonged to has ended")
        return ctx

    # access --------------------------------------------------------------------------------------
    def get(self) -> Session | None:
        if isinstance(self.session, Session):
            return self.session
        if self.session is False:
            return None
        if self.store is not None:
            self.create()
        else:
            self.init_from_cookie()
        assert isinstance(self.session, Session)
        return self.session

    def set(self, value: Mapping[str, Any] | None) -> None:
        if value is None:
            self.session = False
        elif isinstance(value, Mapping):
            self.create(value, self.external_key)  # keep the key: no new store entry for the same visitor
        else:
            raise TypeError("ctx.session can only be set to None or a dict")

    def create(self, data: Mapping[str, Any] | None = None, external_key: str | None = None) -> None:
        if self.store is not None:
            self.external_key = external_key or self.genid()
        self.session = Session(self, data)

    def genid(self) -> str:
        genid = self.options.get("genid")
        return (
            str(genid(self.ctx)) if callable(genid) else f"{self.options.get('prefix') or ''}{uuid.uuid4()}"
        )

    # loading -------------------------------------------------------------------------------------
    def init_from_cookie(self) -> None:
        text = self.ctx.cookies.get(self.options["key"], self.cookie_options())
        if not text:
            self.create()
            return
        try:
            data = json.loads(text) if self.options.get("encrypt") else decode(text)
        except (ValueError, binascii.Error):
            data = None
        if not isinstance(data, Mapping) or not self.valid(data, None):
            self.create()
            return
        self.loaded(data)

    async def init_from_external(self) -> None:
        if self.session is not None or self.store is None:  # already set (a test's `mock.session`)
            return
        key = self.ctx.cookies.get(self.options["key"], self.cookie_options())
        if not key:
            self.create()
            return
        data = await self.store.get(key, self.options.get("max_age"), {"ctx": self.ctx})
        if not isinstance(data, Mapping) or not self.valid(data, key):
            self.create()
            return
        self.loaded(data, key)

    def loaded(self, data: Mapping[str, Any], key: str | None = None) -> None:
        self.create(data, key)
        self.prev_hash = _hash(self._current().to_json())
        expire = data.get("_expire")
        self.loaded_expire = float(expire) if isinstance(expire, int | float) else None

    def valid(self, data: Mapping[str, Any], key: str | None) -> bool:
        event = None
        if not data:
            event = "session:missed"
        elif isinstance(data.get("_expire"), int | float) and data["_expire"] < time.time() * 1000:
            event = "session:expired"
        else:
            check = self.options.get("valid")
            if callable(check) and not check(self.ctx, data):
                event = "session:invalid"
        if event is not None:
            self.ctx.app.emit(event, {"ctx": self.ctx, "key": key, "value": dict(data)})
        return event is None

    # committing ----------------------------------------------------------------------------------
    async def commit(self, *, save: bool = False, regenerate: bool = False) -> None:
        """Write the session if it needs writing (called after every request that touched it)."""
        if self.session is None:
            return
        if self.session is False:
            await self.remove()
            return
        if regenerate:
            await self.remove()
            if self.store is not None:
                self.external_key = self.genid()
        reason = "force" if save or regenerate else self.should_save()
        if not reason:
            return
        before_save = self.options.get("before_save")
        if callable(before_save):
            before_save(self.ctx, self._current())
        await self.save(reason == "changed")

    def should_save(self) -> str:
        session = self._current()
        if session.require_save:
            return "force"
        data = session.to_json()
        if self.prev_hash is None and not data:
            return ""  # a new session nobody wrote to
        if self.prev_hash != _hash(data):
            return "changed"
        if self.options.get("rolling"):
            return "rolling"
        max_age, expire = self.options.get("max_age"), self.loaded_expire
        if not (self.options.get("renew") and isinstance(max_age, int | float) and expire):
            return ""
        if expire - time.time() * 1000 < max_age * 1000 / 2:  # half its life is gone
            return "renew"
        return ""

    async def save(self, changed: bool) -> None:
        session = self._current()
        data: dict[str, Any] = session.to_json()
        max_age = self.options.get("max_age") or ONE_DAY
        if max_age == "session":
            data["_session"] = True
        else:
            data["_expire"] = round((time.time() + float(max_age)) * 1000)
            data["_max_age"] = max_age
        cookie_options = self.cookie_options()
        if self.store is not None and self.external_key is not None:
            store_age = max_age + 10 if isinstance(max_age, int | float) else max_age  # outlive the cookie
            options = {"changed": changed, "rolling": bool(self.options.get("rolling")), "ctx": self.ctx}
            await self.store.set(self.external_key, data, store_age, options)
            self.ctx.cookies.set(self.options["key"], self.external_key, cookie_options)
        else:
            text = json.dumps(data, separators=(",", ":")) if self.options.get("encrypt") else encode(data)
            self.ctx.cookies.set(self.options["key"], text, cookie_options)
        self.prev_hash = _hash(session.to_json())
        object.__setattr__(session, "require_save", False)

    async def remove(self) -> None:
        if self.store is not None and self.external_key is not None:
            await self.store.destroy(self.external_key, {"ctx": self.ctx})
        options = {**self.cookie_options(), "max_age": None}
        self.ctx.cookies.set(self.options["key"], None, options)

    def cookie_options(self) -> dict[str, Any]:
        """The session options that are cookie options (`max_age`, `http_only`, `encrypt`, …)."""
        options = self.options  # read per request: config.session may change at run time
        return {key: options[key] for key in COOKIE_OPTIONS & options.keys()}  # the few shared keys, in C

    def _current(self) -> Session:
        assert isinstance(self.session, Session)
        return self.session


def context_session(ctx: Context) -> ContextSession:
    """The request's `ContextSession`, made on first use from `config.session` and `app.session_store`."""
    found: ContextSession | None = ctx.__dict__.get(ATTRIBUTE)
    if found is None:
        app = ctx.app
        found = ContextSession(ctx, app.config.get("session") or {}, app.__dict__.get("_session_store"))
        ctx.__dict__[ATTRIBUTE] = found
    return found
