"""The i18n plugin (egg-i18n / koa-locales) through real requests: locale files, where the locale comes
from, the cookie it is written back to, egg's formatting, templates, and switching the plugin off."""

from __future__ import annotations

import json
import re
from collections.abc import Callable
from pathlib import Path
from urllib.parse import quote

import pytest

from eggbin.errors import BootError
from tests.web.conftest import Booted

JSON = {"accept": "application/json"}
ZH = {
    "locale": "zh-cn",
    "email": "邮箱",
    "welcome": "欢迎回来, ann!",
    "nested": "用户名",
    "array": "bar bar foo foo",
    "missing": "Not translated",
}


@pytest.fixture
def egg(boot_app: Callable[..., Booted]) -> Booted:
    return boot_app("i18n_app")


def test_default_locale_and_its_cookie(egg: Booted) -> None:
    response = egg.http.get("/texts")
    assert response.json() == {
        "locale": "en-us",
        "origin": "default",
        "email": "Email",
        "welcome": "Welcome back, ann!",
        "nested": "User name",
        "array": "foo foo bar bar",
        "missing": "Not translated",
    }
    (cookie,) = response.headers.get_list("set-cookie")
    assert re.match(r"^locale=en-us; path=/; max-age=31557600; expires=[^;]+$", cookie)  # readable by scripts


@pytest.mark.parametrize("value", ["zh_CN", "zh-CN", "ZH-cn"])
def test_query_picks_the_locale_and_remembers_it(egg: Booted, value: str) -> None:
    response = egg.http.get(f"/texts?locale={value}")
    assert response.json() == {**ZH, "origin": "query"}
    assert response.headers["set-cookie"].startswith("locale=zh-cn;")
    again = egg.http.get("/texts")  # the client sends the cookie back
    assert again.json() == {**ZH, "origin": "cookie"}
    assert "set-cookie" not in again.headers


@pytest.mark.parametrize(
    ("header", "locale"),
    [
        ("fr;q=0.9, zh-CN;q=0.8, en;q=0.1", "zh-cn"),
        ("en-US, zh-CN", "en-us"),
        ("zh-CN;q=0, en-US;q=0.5", "en-us"),
        ("fr, de", "en-us"),
        ("*", "en-us"),
        ("", "en-us"),  # sent empty, as when none is sent: the default
        (" , ;q=1", "en-us"),
    ],
)
def test_accept_language_picks_the_first_locale_with_texts(egg: Booted, header: str, locale: str) -> None:
    response = egg.http.get("/texts", headers={"accept-language": header})
    assert response.json()["locale"] == locale


@pytest.mark.parametrize("value", ["xx", "zh-TW", "x; domain=evil.test", "<script>"])
def test_a_locale_without_texts_falls_back_to_the_default(egg: Booted, value: str) -> None:
    response = egg.http.get(f"/texts?locale={quote(value)}")
    assert response.json()["locale"] == "en-us"
    assert response.headers["set-cookie"].startswith("locale=en-us; path=/;")


def test_setting_the_locale_writes_the_cookie(egg: Booted) -> None:
    response = egg.http.get("/set?to=zh-cn")
    assert response.json() == {"locale": "zh-cn", "origin": "set"}
    assert egg.http.get("/texts").json()["email"] == "邮箱"


@pytest.mark.parametrize(
    ("key", "args", "text"),
    [
        ("%s is %d years, %j", ["ann", 42.0, {"a": 1}], 'ann is 42 years, {"a": 1}'),
        ("%s and %s", ["a"], "a and %s"),
        ("100%% %s", ["sure"], "100% sure"),
        ("extra", ["a", 1, True, None], "extra a 1 true null"),
        ("{a} {b} {b} {a} {c}", [{"a": "x", "b": "y"}], "x y y x {c}"),
        ("{0} {2}", [["zero"]], "zero {2}"),
        ("", [], ""),
    ],
)
def test_eggs_formatting(egg: Booted, key: str, args: list[object], text: str) -> None:
    query = f"key={quote(key)}&args={quote(json.dumps(args))}"
    assert egg.http.get(f"/format?{query}").json() == {"text": text}


def test_templates_get_gettext_and_double_underscore(egg: Booted) -> None:
    page = egg.http.get("/page?locale=zh-CN").text
    assert "<li>邮箱: ann@example.test</li>" in page
    assert "<li>欢迎回来, ann!</li>" in page


def test_the_app_translates_outside_requests(egg: Booted) -> None:
    assert egg.app.__("zh_CN", "Welcome back, %s!", "bob") == "欢迎回来, bob!"  # type: ignore[attr-defined]
    assert egg.app.gettext("en-US", "Email") == "Email"  # type: ignore[attr-defined]


def test_the_default_locale_and_cookie_are_configurable(boot_app: Callable[..., Booted]) -> None:
    def configure(base: Path) -> None:
        settings = {"default_locale": "zh-CN", "cookie_field": "lang", "cookie_max_age": "30d"}
        (base / "config" / "default.py").write_text(f'config = {{"keys": "k", "i18n": {settings!r}}}\n')

    egg = boot_app("i18n_app", edit=configure)
    response = egg.http.get("/texts")
    assert response.json()["email"] == "邮箱"
    assert re.match(r"^lang=zh-cn; path=/; max-age=2592000; expires=[^;]+$", response.headers["set-cookie"])


def test_a_locale_file_without_a_dict_fails_the_boot(boot_app: Callable[..., Booted]) -> None:
    def broken(base: Path) -> None:
        (base / "config" / "locale" / "de.py").write_text("texts = 1\n")

    with pytest.raises(BootError, match=r"locale file `.*config/locale/de.py` must define its texts"):
        boot_app("i18n_app", edit=broken)


def test_the_plugin_can_be_disabled(boot_app: Callable[..., Booted]) -> None:
    def disable(base: Path) -> None:
        (base / "config" / "plugin.py").write_text('plugins = {"i18n": False}\n')

    egg = boot_app("i18n_app", edit=disable)
    assert "__" not in egg.app.locals  # type: ignore[attr-defined]
    response = egg.http.get("/texts", headers=JSON)
    assert response.status_code == 500
    assert "set-cookie" not in response.headers


def test_the_request_options_are_read_from_config_once(egg: Booted) -> None:
    """koa-locales reads its options when the app starts: a request does not read `config.i18n` again."""
    assert egg.http.get("/texts?locale=zh-CN").json()["origin"] == "query"
    egg.app.config["i18n"]["query_field"] = "lang"  # after the first request: not read any more
    assert egg.http.get("/texts?locale=zh-CN").json()["origin"] == "query"
    assert egg.http.get("/texts?lang=zh-CN").json()["origin"] == "cookie"  # `lang` is no query field
