"""`ctx.cookies` through real requests, held to egg-cookies' headers: Expires with max-age, deletion, no
SameSite unless asked, signing with key rotation, encryption, and refusal of header-smuggling values."""

from __future__ import annotations

import math
import re
import time
from collections.abc import Callable
from email.utils import parsedate_to_datetime
from pathlib import Path
from typing import Any

import pytest

from tests.web.conftest import Booted

JSON = {"accept": "application/json"}
EPOCH = "Thu, 01 Jan 1970 00:00:00 GMT"


@pytest.fixture
def egg(boot_app: Callable[..., Booted]) -> Booted:
    return boot_app("cookies_app")


def set_cookies(egg: Booted, query: str) -> list[str]:
    response = egg.http.get(f"/set?{query}", headers=JSON)
    assert response.status_code == 200, response.text
    return response.headers.get_list("set-cookie")


def test_max_age_writes_expires_too_and_no_samesite(egg: Booted) -> None:
    before = time.time()
    value, signature = set_cookies(egg, "name=remember&value=1&max_age=60")
    pattern = r"^remember=1; path=/; max-age=60; expires=([^;]+); httponly$"
    found = re.match(pattern, value)
    assert found, value
    expires = parsedate_to_datetime(found.group(1)).timestamp()
    assert before + 59 <= expires <= time.time() + 61
    assert re.match(r"^remember\.sig=[\w-]{43}; path=/; max-age=60; expires=[^;]+; httponly$", signature)
    assert "samesite" not in value.lower()


def test_egg_option_object_spelling_matches_keywords(egg: Booted) -> None:
    by_keyword = set_cookies(egg, "name=a&value=1&max_age=60&http_only=false&signed=false")
    by_dict = set_cookies(egg, "name=a&value=1&max_age=60&http_only=false&signed=false&style=dict")
    strip = [re.sub(r"expires=[^;]+", "expires=…", c) for c in (*by_keyword, *by_dict)]
    assert strip == ["a=1; path=/; max-age=60; expires=…"] * 2


def test_camel_case_option_is_refused_naming_the_snake_case_spelling(egg: Booted) -> None:
    response = egg.http.get("/set?name=a&value=1&maxAge=60", headers=JSON)
    assert response.status_code == 500
    assert "unknown cookie option `maxAge` (eggbin spells it `max_age`)" in response.json()["message"]


def test_none_deletes_the_cookie_and_its_signature_as_egg_does(egg: Booted) -> None:
    response = egg.http.get("/delete?name=remember")
    assert response.headers.get_list("set-cookie") == [
        f"remember=; path=/; expires={EPOCH}; httponly",
        f"remember.sig=; path=/; expires={EPOCH}; httponly",
    ]


def test_empty_string_deletes_too(egg: Booted) -> None:
    assert set_cookies(egg, "name=a&value=&signed=false") == [f"a=; path=/; expires={EPOCH}; httponly"]


@pytest.mark.parametrize(
    ("query", "expected"),
    [
        ("same_site=lax", "a=1; path=/; samesite=lax; httponly"),
        ("same_site=true", "a=1; path=/; samesite=strict; httponly"),
        ("same_site=none", "a=1; path=/; httponly"),  # SameSite=None needs Secure: egg leaves it out
        ("domain=example.test&priority=high", "a=1; path=/; domain=example.test; priority=high; httponly"),
        ("path=/admin&http_only=false", "a=1; path=/admin"),
        ("secure=true&ignore_secure_error=true", "a=1; path=/; secure; httponly"),
    ],
)
def test_attributes(egg: Booted, query: str, expected: str) -> None:
    assert set_cookies(egg, f"name=a&value=1&signed=false&{query}") == [expected]


@pytest.mark.parametrize(
    ("query", "message"),
    [
        ("secure=true", "Cannot send secure cookie over unencrypted connection"),
        (
            "value=a%3B%20domain%3Devil.test",
            "invalid character in the value of cookie `a`: 'a; domain=evil.test'",
        ),
        ("value=a%0D%0ASet-Cookie:%20x=1", "invalid character in the value of cookie `a`"),
        ("path=/%3B%20secure", "invalid character in the path of cookie `a`"),
        ("same_site=sideways", "cookie same_site `'sideways'` is invalid"),
    ],
)
def test_refused_cookies_answer_500_with_the_reason(egg: Booted, query: str, message: str) -> None:
    query = query if query.startswith("value=") else f"value=1&{query}"
    response = egg.http.get(f"/set?name=a&signed=false&{query}", headers=JSON)
    assert response.status_code == 500
    assert message in response.json()["message"]
    assert "set-cookie" not in response.headers


def test_the_first_cookie_of_a_name_wins(egg: Booted) -> None:
    response = egg.http.get("/get?name=a&signed=false", headers={"cookie": "a=first; a=second"})
    assert response.json() == {"value": "first"}


def test_a_bad_signature_reads_as_none_and_is_deleted(egg: Booted) -> None:
    response = egg.http.get("/get?name=user", headers={"cookie": "user=admin; user.sig=forged"})
    assert response.json() == {"value": None}
    assert response.headers.get_list("set-cookie") == [f"user.sig=; path=/; expires={EPOCH}; httponly"]


def test_a_cookie_signed_by_an_older_key_is_signed_again(egg: Booted) -> None:
    egg.app.config["keys"] = "old-key"
    signature = set_cookies(egg, "name=user&value=ann")[1].split(";")[0]
    egg.app.config["keys"] = "new-key,old-key"
    response = egg.http.get("/get?name=user", headers={"cookie": f"user=ann; {signature}"})
    assert response.json() == {"value": "ann"}
    (resigned,) = response.headers.get_list("set-cookie")
    assert resigned.startswith("user.sig=")
    assert resigned.split(";")[0] != signature
    again = egg.http.get("/get?name=user", headers={"cookie": f"user=ann; {resigned.split(';')[0]}"})
    assert again.json() == {"value": "ann"}
    assert "set-cookie" not in again.headers
    egg.app.config["keys"] = "new-key"
    stale = egg.http.get("/get?name=user", headers={"cookie": f"user=ann; {signature}"})
    assert stale.json() == {"value": None}


def test_encrypted_cookie_hides_its_value_and_has_no_sig(egg: Booted) -> None:
    (cookie,) = set_cookies(egg, "name=token&value=s3cret-value&encrypt=true")
    token = cookie.split(";")[0].removeprefix("token=")
    assert "s3cret" not in cookie
    assert egg.http.get("/get?name=token&encrypt=true", headers={"cookie": f"token={token}"}).json() == {
        "value": "s3cret-value"
    }
    (again,) = set_cookies(egg, "name=token&value=s3cret-value&encrypt=true")
    assert again.split(";")[0] != cookie.split(";")[0]  # a random IV: equal values do not show as equal


@pytest.mark.parametrize("tamper", ["flip", "truncate", "garbage", "empty"])
def test_tampered_encrypted_cookie_reads_as_none(egg: Booted, tamper: str) -> None:
    (cookie,) = set_cookies(egg, "name=token&value=admin&encrypt=true")
    token = cookie.split(";")[0].removeprefix("token=")
    changed = {
        "flip": token[:40] + ("A" if token[40] != "A" else "B") + token[41:],
        "truncate": token[:-4],
        "garbage": "not-a-token",
        "empty": "",
    }[tamper]
    response = egg.http.get("/get?name=token&encrypt=true", headers={"cookie": f"token={changed}"})
    assert response.json() == {"value": None}


def test_encrypted_cookie_survives_key_rotation_and_not_key_loss(egg: Booted) -> None:
    egg.app.config["keys"] = "old-key"
    (cookie,) = set_cookies(egg, "name=token&value=kept&encrypt=true")
    header = {"cookie": cookie.split(";")[0]}
    egg.app.config["keys"] = "new-key,old-key"
    assert egg.http.get("/get?name=token&encrypt=true", headers=header).json() == {"value": "kept"}
    egg.app.config["keys"] = "new-key"
    assert egg.http.get("/get?name=token&encrypt=true", headers=header).json() == {"value": None}


def test_config_cookies_holds_defaults_for_every_cookie(boot_app: Callable[..., Booted]) -> None:
    def same_site_lax(base: Path) -> None:
        config = base / "config" / "default.py"
        config.write_text(config.read_text() + 'config["cookies"] = {"same_site": "lax"}\n')

    egg = boot_app("cookies_app", edit=same_site_lax)
    assert set_cookies(egg, "name=a&value=1&signed=false") == ["a=1; path=/; samesite=lax; httponly"]
    assert set_cookies(egg, "name=a&value=1&signed=false&same_site=false") == ["a=1; path=/; httponly"]


def test_oversized_cookie_is_logged_and_emitted(egg: Booted) -> None:
    seen: list[str] = []
    egg.app.on("cookie_limit_exceed", lambda info: seen.append(info["name"]))
    set_cookies(egg, f"name=big&value={'x' * 5000}&signed=false")
    assert seen == ["big"]


def test_expires_dates_are_formatted_once_a_second_and_stay_exact() -> None:
    """`http_date` keeps the dates of the last few seconds (cookies set within a second expire alike); a
    kept date is the text `formatdate` gives for every timestamp of its second, and the memory is bounded."""
    from email.utils import formatdate

    from eggbin.web import cookies

    now = time.time()
    stamps = [0.0, 0.999, 1.0, 59.5, 86399.99, 86400.0, now, now + 0.25, now + 1, now + 31536000.5, 4e9 + 0.7]
    for stamp in stamps + stamps[::-1] + [-0.5, -86400.25]:
        assert cookies.http_date(stamp) == formatdate(stamp, usegmt=True)
    assert cookies.http_date(now) is cookies.http_date(int(now) + 0.999)  # the same second: the kept text
    for second in range(1000):
        cookies.http_date(now + second)
    assert 0 < len(cookies._recent_dates) <= cookies._RECENT_DATES


def test_kept_cookie_lines_equal_fresh_ones_and_refusals_are_not_kept() -> None:
    """`format_cookie` keeps the lines of the last seconds: each is what formatting afresh gives, for
    options that compare equal across types too (`same_site=1` is refused though `True` is kept), and a
    refused cookie is refused every time."""
    import itertools
    from datetime import UTC, datetime

    from eggbin.web import cookies

    layers: dict[str, list[Any]] = {
        "max_age": [None, 60, 60.4, True, "session", 0],
        "expires": [None, datetime(2030, 1, 2, 3, 4, 5, tzinfo=UTC)],
        "path": ["/", None, "/shop"],
        "same_site": [None, True, "Lax", "none"],
        "http_only": [True, False],
    }
    for value, secure in itertools.product(["en-us", ""], [False, True]):
        for combination in itertools.product(*layers.values()):
            opts = cookies.options_from(dict(zip(layers, combination, strict=True)))
            flags = cookies._flags(opts, secure)
            max_age = cookies._seconds(opts.max_age)
            expires_at = math.floor(time.time() + max_age) if value and max_age else None
            fresh = cookies._format_cookie("locale", value, opts, flags, max_age, expires_at)
            assert cookies.format_cookie("locale", value, opts, flags) == fresh
            assert cookies.format_cookie("locale", value, opts, flags) == fresh  # kept, or made again
    assert len(cookies._recent_lines) <= cookies._RECENT_LINES
    kept = cookies.options_from({"same_site": True})
    assert "samesite=strict" in cookies.format_cookie("a", "1", kept, cookies._flags(kept, False))
    for bad in ({"same_site": 1}, {"path": "/\r\nx"}, {"priority": "urgent"}, {"domain": "a;b"}):
        opts = cookies.options_from(bad)
        for _ in range(2):
            with pytest.raises(cookies.CookieError):
                cookies.format_cookie("a", "1", opts, cookies._flags(opts, False))
    with pytest.raises(cookies.CookieError):
        cookies.format_cookie("a", "1\n", kept, cookies._flags(kept, False))
    odd = cookies.CookieOptions(path=["/"])  # type: ignore[arg-type]  # not hashable: formatted as it is
    with pytest.raises(TypeError):
        cookies.format_cookie("a", "1", odd, cookies._flags(odd, False))
