"""The jsonp plugin (egg-jsonp) through real requests: egg-jsonp's own test suite, translated, plus the
callbacks eggbin refuses and switching the plugin off."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path
from urllib.parse import quote

import pytest

from eggbin.errors import BootError
from eggbin.web.jsonp import jsonp_body
from tests.web.conftest import Booted

JSON = {"accept": "application/json"}
FN = '/**/ typeof fn === \'function\' && fn({"foo":"bar"});'
DENIED = "jsonp request security validate failed"


@pytest.fixture
def egg(boot_app: Callable[..., Booted]) -> Booted:
    return boot_app("jsonp_app")


def test_json_without_a_callback(egg: Booted) -> None:
    assert egg.http.get("/default").json() == {"foo": "bar"}


@pytest.mark.parametrize("query", ["callback=fn", "_callback=fn"])
def test_jsonp_with_a_callback(egg: Booted, query: str) -> None:
    response = egg.http.get(f"/default?{query}")
    assert (response.status_code, response.text) == (200, FN)
    assert response.headers["content-type"] == "application/javascript; charset=utf-8"
    assert response.headers["x-content-type-options"] == "nosniff"


def test_an_empty_body_is_null(egg: Booted) -> None:
    assert egg.http.get("/empty?callback=fn").text == "/**/ typeof fn === 'function' && fn(null);"


def test_routes_without_the_middleware_ignore_callbacks(egg: Booted) -> None:
    assert egg.http.get("/disable?_callback=fn").json() == {"foo": "bar"}


def test_a_custom_callback_name(egg: Booted) -> None:
    assert egg.http.get("/fn?fn=fn").text == FN
    assert egg.http.get("/fn?callback=fn").json() == {"foo": "bar"}


def test_csrf_check(egg: Booted) -> None:
    assert egg.http.get("/csrf").status_code == 403
    headers = {"cookie": "csrfToken=token", "x-csrf-token": "token"}
    assert egg.http.get("/csrf", headers=headers).json() == {"foo": "bar"}
    assert egg.http.get("/csrf?callback=fn", headers=headers).text == FN


@pytest.mark.parametrize(
    ("path", "referrer", "allowed"),
    [
        ("/referrer/subdomain", "http://test.com/", True),
        ("/referrer/subdomain", "http://sub.test.com/", True),
        ("/referrer/subdomain", "https://sub.sub.test.com/", True),
        ("/referrer/subdomain", "https://sub.sub.test1.com/", False),
        ("/referrer/subdomain", "https://eviltest.com/", False),
        ("/referrer/equal", "http://test.com/", True),
        ("/referrer/equal", "https://test.com/", True),
        ("/referrer/equal", "https://sub.sub.test.com/", False),
        ("/referrer/regexp", "http://test.com/", True),
        ("/referrer/regexp", "https://foo.com/", True),
        ("/referrer/regexp", "https://sub.sub.test.com/", False),
        ("/both", "https://test.com/", True),
        ("/both", "/hello", False),
        ("/both", "", False),
    ],
)
def test_referrer_white_list(egg: Booted, path: str, referrer: str, allowed: bool) -> None:
    response = egg.http.get(path, headers={"referer": referrer, **JSON} if referrer else JSON)
    if allowed:
        assert response.json() == {"foo": "bar"}
    else:
        assert response.status_code == 403
        assert response.json()["message"] == DENIED


def test_csrf_passes_where_the_referrer_does_not(egg: Booted) -> None:
    headers = {"cookie": "csrfToken=token", "x-csrf-token": "token"}
    assert egg.http.get("/both", headers=headers).json() == {"foo": "bar"}


def test_accept_jsonp_and_create_jsonp_body(egg: Booted) -> None:
    assert egg.http.get("/mark?_callback=fn").text == (
        "/**/ typeof fn === 'function' && fn({\"jsonpFunction\":true});"
    )
    assert egg.http.get("/mark").json() == {"jsonpFunction": False}
    assert egg.http.get("/error?_callback=fn").text == (
        '/**/ typeof fn === \'function\' && fn({"msg":"jsonpFunction is error"});'
    )


@pytest.mark.parametrize(
    "callback",
    [
        "alert(document.cookie)//",
        "fn;alert(1)",
        "</script><script>alert(1)</script>",
        "a b",
        "fn\u2028",
        "x" * 51,
        "CWS\x00",
    ],
)
def test_a_malicious_callback_is_refused(egg: Booted, callback: str) -> None:
    response = egg.http.get(f"/default?callback={quote(callback)}", headers=JSON)
    assert response.status_code == 400
    assert response.json()["message"].startswith("invalid jsonp callback")
    assert callback not in response.text


def test_names_with_dots_and_brackets_pass(egg: Booted) -> None:
    response = egg.http.get("/default?callback=jQuery.cbs[0]")
    assert response.text.startswith("/**/ typeof jQuery.cbs[0] === 'function' && jQuery.cbs[0]({")


def test_line_separators_are_escaped() -> None:
    expected = '/**/ typeof cb === \'function\' && cb({"a":"x\\u2028y\\u2029"});'
    assert jsonp_body({"a": "x\u2028y\u2029"}, "cb") == expected


def test_the_plugin_can_be_disabled(boot_app: Callable[..., Booted]) -> None:
    def disable(base: Path) -> None:
        (base / "config" / "plugin.py").write_text('plugins = {"jsonp": False}\n')

    with pytest.raises(BootError, match="jsonp"):
        boot_app("jsonp_app", edit=disable)


def test_csrf_off_in_security_turns_the_jsonp_csrf_check_off(boot_app: Callable[..., Booted]) -> None:
    def csrf_off(base: Path) -> None:
        (base / "config" / "default.py").write_text('config = {"keys": "k", "security": {"csrf": False}}\n')

    egg = boot_app("jsonp_app", edit=csrf_off)
    assert egg.http.get("/csrf").json() == {"foo": "bar"}
