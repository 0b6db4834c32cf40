"""The session plugin (egg-session / koa-session) through real requests: cookie store, encryption and
tampering, expiry, max_age, destroy, external stores, mock.session, and switching the plugin off."""

from __future__ import annotations

import asyncio
import gc
import json
import re
import time
import weakref
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest

from eggbin.testing.mock import Mock
from eggbin.web.keygrip import keygrip
from eggbin.web.session import ATTRIBUTE
from tests.web.conftest import Booted

JSON = {"accept": "application/json"}
EPOCH = "Thu, 01 Jan 1970 00:00:00 GMT"
SESSION_COOKIE = re.compile(r"^EGG_SESS=([^;]+); path=/; max-age=86400; expires=[^;]+; httponly$")


@pytest.fixture
def egg(boot_app: Callable[..., Booted]) -> Booted:
    return boot_app("session_app")


def session_cookie(response: Any) -> str:
    (cookie,) = response.headers.get_list("set-cookie")
    found = SESSION_COOKIE.match(cookie)
    assert found, cookie
    return found.group(1)


def core_log(egg: Booted) -> str:
    return (egg.base / "logs" / "session-app" / "egg-web.log").read_text()


def encrypted(egg: Booted, data: dict[str, Any]) -> str:
    return keygrip(egg.app.config["keys"]).encrypt(json.dumps(data))


def test_the_session_lives_in_one_encrypted_cookie(egg: Booted) -> None:
    first = egg.http.get("/counter")
    assert first.json() == {"count": 1}
    token = session_cookie(first)
    assert "count" not in token
    assert egg.http.get("/counter").json() == {"count": 2}
    fresh = egg.http.get("/counter", headers={"cookie": f"EGG_SESS={token}"})
    assert fresh.json() == {"count": 2}


def test_unchanged_or_untouched_sessions_write_no_cookie(egg: Booted) -> None:
    egg.http.get("/counter")
    assert "set-cookie" not in egg.http.get("/read").headers
    egg.http.cookies.clear()
    assert "set-cookie" not in egg.http.get("/read").headers  # new and empty: nothing to keep
    assert "set-cookie" not in egg.http.get("/untouched").headers


@pytest.mark.parametrize(
    "forge",
    [
        lambda token: token[:30] + ("x" if token[30] != "x" else "y") + token[31:],
        lambda token: token[:-6],
        lambda token: "eyJjb3VudCI6OTl9",  # base64 of {"count":99}: unencrypted
        lambda token: keygrip("someone-elses-key").encrypt('{"count": 99}'),
        lambda token: "",
    ],
    ids=["bit-flip", "truncated", "plain-base64", "foreign-key", "empty"],
)
def test_a_tampered_cookie_is_ignored_for_a_new_empty_session(egg: Booted, forge: Any) -> None:
    token = session_cookie(egg.http.get("/counter"))
    egg.http.cookies.clear()
    response = egg.http.get("/read", headers={"cookie": f"EGG_SESS={forge(token)}"})
    assert response.json()["session"] == {}
    counted = egg.http.get("/counter", headers={"cookie": f"EGG_SESS={forge(token)}"})
    assert counted.json() == {"count": 1}
    assert session_cookie(counted) != token


def test_an_expired_session_is_ignored_and_logged(egg: Booted) -> None:
    stale = encrypted(egg, {"count": 5, "_expire": (time.time() - 5) * 1000, "_max_age": 60})
    response = egg.http.get("/read", headers={"cookie": f"EGG_SESS={stale}"})
    assert response.json()["session"] == {}
    log = core_log(egg)
    assert "[session][expired] key(None) value({'count': 5" in log


def test_a_session_made_under_an_older_key_survives_rotation(egg: Booted) -> None:
    token = session_cookie(egg.http.get("/counter"))
    egg.app.config["keys"] = "new-key,first-key"
    assert egg.http.get("/counter", headers={"cookie": f"EGG_SESS={token}"}).json() == {"count": 2}
    egg.app.config["keys"] = "new-key"
    assert egg.http.get("/counter", headers={"cookie": f"EGG_SESS={token}"}).json() == {"count": 1}


def test_setting_none_destroys_the_session(egg: Booted) -> None:
    egg.http.get("/counter")
    response = egg.http.get("/logout")
    assert response.json() == {"session": None}
    assert response.headers.get_list("set-cookie") == [f"EGG_SESS=; path=/; expires={EPOCH}; httponly"]
    assert egg.http.get("/counter").json() == {"count": 1}


def test_max_age_per_session(egg: Booted) -> None:
    response = egg.http.get("/max-age?value=60")
    assert response.json() == {"max_age": 60}
    (cookie,) = response.headers.get_list("set-cookie")
    assert re.match(r"^EGG_SESS=[^;]+; path=/; max-age=60; expires=[^;]+; httponly$", cookie)
    assert egg.http.get("/read").json() == {"session": {}, "max_age": 60}  # kept in the session


def test_a_browser_session_cookie_has_no_expiry(egg: Booted) -> None:
    response = egg.http.get("/max-age?value=session")
    (cookie,) = response.headers.get_list("set-cookie")
    assert re.match(r"^EGG_SESS=[^;]+; path=/; httponly$", cookie)
    assert egg.http.get("/read").json()["max_age"] == "session"


def test_assigning_a_dict_replaces_it_and_anything_else_is_a_500(egg: Booted) -> None:
    assert egg.http.get("/replace").json() == {"replaced": True}
    assert egg.http.get("/read").json()["session"] == {"replaced": True}
    bad = egg.http.get("/bad", headers=JSON)
    assert bad.status_code == 500
    assert bad.json()["message"] == "ctx.session can only be set to None or a dict"


def test_a_failing_handler_still_commits_the_session(egg: Booted) -> None:
    assert egg.http.get("/boom", headers=JSON).status_code == 500
    assert egg.http.get("/read").json()["session"] == {"before_error": True}


def test_save_forces_a_write_and_rolling_rewrites_every_time(egg: Booted) -> None:
    egg.http.get("/counter")
    assert "set-cookie" in egg.http.get("/save").headers
    egg.app.config["session"]["rolling"] = True
    assert "set-cookie" in egg.http.get("/read").headers


def test_renew_rewrites_a_session_past_half_its_life(egg: Booted) -> None:
    egg.app.config["session"]["renew"] = True
    young = encrypted(egg, {"count": 1, "_expire": (time.time() + 80000) * 1000, "_max_age": 86400})
    old = encrypted(egg, {"count": 1, "_expire": (time.time() + 100) * 1000, "_max_age": 86400})
    assert "set-cookie" not in egg.http.get("/read", headers={"cookie": f"EGG_SESS={young}"}).headers
    renewed = egg.http.get("/read", headers={"cookie": f"EGG_SESS={old}"})
    assert SESSION_COOKIE.match(renewed.headers["set-cookie"])


class MemoryStore:
    """egg's README store, in memory: `async get(key)`, `async set(key, value, max_age)`, `destroy(key)`."""

    def __init__(self, app: Any) -> None:
        self.app = app
        self.data: dict[str, Any] = {}
        self.ages: dict[str, Any] = {}

    async def get(self, key: str) -> Any:
        return self.data.get(key)

    async def set(self, key: str, value: Any, max_age: Any) -> None:
        self.data[key], self.ages[key] = value, max_age

    def destroy(self, key: str) -> None:
        self.data.pop(key, None)


def test_an_external_store_keeps_the_data_and_the_cookie_only_its_key(egg: Booted) -> None:
    egg.app.session_store = MemoryStore  # type: ignore[attr-defined]
    store = egg.app.session_store  # type: ignore[attr-defined]
    assert isinstance(store, MemoryStore)
    assert store.app is egg.app
    first = egg.http.get("/counter")
    assert first.json() == {"count": 1}
    (key,) = store.data
    assert store.data[key]["count"] == 1
    assert store.ages[key] == 86400 + 10  # the store outlives the cookie
    assert keygrip("first-key").decrypt(session_cookie(first)) == (key, 0)
    assert egg.http.get("/counter").json() == {"count": 2}
    assert list(store.data) == [key]
    egg.http.get("/logout")
    assert store.data == {}
    assert egg.http.get("/read").json()["session"] == {}


def test_regenerate_moves_the_data_to_a_new_key(egg: Booted) -> None:
    store: dict[str, Any] = {}
    egg.app.session_store = {  # type: ignore[attr-defined]
        "get": store.get,
        "set": lambda key, value, max_age: store.__setitem__(key, value),
        "destroy": lambda key: store.pop(key, None),
    }
    egg.http.get("/counter")
    (before,) = store
    assert egg.http.get("/login?user=bob").json() == {"user": "bob"}
    (after,) = store
    assert after != before
    assert store[after]["user"] == "bob"
    assert store[after]["count"] == 1


def test_a_key_the_store_no_longer_has_starts_a_new_session(egg: Booted) -> None:
    egg.app.session_store = MemoryStore  # type: ignore[attr-defined]
    egg.http.get("/counter")
    egg.app.session_store.data.clear()  # type: ignore[attr-defined]
    assert egg.http.get("/counter").json() == {"count": 1}


def test_a_store_without_destroy_is_refused(egg: Booted) -> None:
    with pytest.raises(TypeError, match="`destroy` missing"):
        egg.app.session_store = {"get": dict.get, "set": dict.get}  # type: ignore[attr-defined]
    egg.app.session_store = None  # type: ignore[attr-defined]
    assert egg.app.session_store is None  # type: ignore[attr-defined]


def test_mock_session_sets_the_real_session(egg: Booted) -> None:
    mock = Mock(lambda: egg.app)
    try:
        mock.session({"count": 41, "user": "ann"})
        response = egg.http.get("/counter")
        assert response.json() == {"count": 42}
        session_cookie(response)  # written back like any changed session
        assert egg.http.get("/read").json() == {"session": {"count": 41, "user": "ann"}, "max_age": 86400}
    finally:
        mock.restore()
    egg.http.cookies.clear()
    assert egg.http.get("/read").json()["session"] == {}


def test_the_plugin_can_be_disabled(boot_app: Callable[..., Booted]) -> None:
    def disable(base: Path) -> None:
        (base / "config" / "plugin.py").write_text('plugins = {"session": False}\n')

    egg = boot_app("session_app", edit=disable)
    assert "session" not in egg.app.config.core_middleware
    assert "session" not in egg.app.config
    response = egg.http.get("/counter", headers=JSON)
    assert response.status_code == 500
    assert "session" in response.json()["message"]


def test_http_only_off_is_warned_about(boot_app: Callable[..., Booted]) -> None:
    def expose(base: Path) -> None:
        config = base / "config" / "default.py"
        config.write_text('config = {"keys": "k", "session": {"http_only": False}}\n')

    egg = boot_app("session_app", edit=expose)
    log = core_log(egg)
    assert "please set `config.session.http_only` to True" in log
    (cookie,) = egg.http.get("/counter").headers.get_list("set-cookie")
    assert "httponly" not in cookie


def freed_without_the_cyclic_gc(
    egg: Booted, request: Callable[[], Any], watched: Callable[[Any], Any] = lambda ctx: ctx
) -> bool:
    """Whether `watched(ctx)` (the context) of `request` is freed by reference counting alone (the cyclic
    GC off): a reference cycle per request leaves it to the GC, whose collections add to the latency tail."""
    contexts: list[weakref.ref[Any]] = []
    egg.app.on("response", lambda ctx: contexts.append(weakref.ref(watched(ctx))))
    gc.collect()
    gc.disable()
    try:
        request()
        deadline = time.monotonic() + 5  # the app's task ends just after the client has the response
        while time.monotonic() < deadline:
            if contexts and contexts[0]() is None:
                return True
            time.sleep(0.01)
        return False
    finally:
        gc.enable()


def test_a_request_using_its_session_and_cookies_leaves_no_reference_cycle(egg: Booted) -> None:
    assert egg.http.get("/counter").json() == {"count": 1}  # warm: lazily built parts are in place
    assert freed_without_the_cyclic_gc(egg, lambda: egg.http.get("/counter"))


def test_a_session_read_in_a_request_is_freed_without_the_cyclic_gc(egg: Booted) -> None:
    assert egg.http.get("/counter").json() == {"count": 1}
    # the request's `ContextSession` (it holds the session, which points back to it) dies with it
    assert freed_without_the_cyclic_gc(
        egg, lambda: egg.http.get("/counter"), lambda ctx: ctx.__dict__[ATTRIBUTE]
    )


def test_a_session_kept_past_its_request_still_reads_but_cannot_be_saved(egg: Booted) -> None:
    kept: list[Any] = []
    egg.app.on("response", lambda ctx: kept.append(ctx.session))
    egg.http.get("/counter")
    gc.collect()
    (session,) = kept
    assert session == {"count": 1}
    assert session.max_age == 24 * 3600
    with pytest.raises(RuntimeError, match="the request this session belonged to has ended"):
        asyncio.run(session.save())
