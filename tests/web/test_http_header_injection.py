"""A CR, LF or NUL in a header value or a cookie is refused where it is set: onerror answers 500."""

from __future__ import annotations

from collections.abc import Callable

import pytest

from eggbin.web.response import Response, check_header
from tests.web.conftest import Booted

JSON = {"accept": "application/json"}


@pytest.fixture
def egg(boot_app: Callable[..., Booted]) -> Booted:
    return boot_app("http_app")


@pytest.mark.parametrize("value", ["a\r\nSet-Cookie: x=1", "a\nb", "a\rb", "a\x00b", "a\x7fb", "\u20ac"])
@pytest.mark.parametrize("raw", ["", "1"])
def test_a_bad_header_value_is_a_500_naming_the_header(egg: Booted, value: str, raw: str) -> None:
    response = egg.http.get("/set-header", params={"value": value, "raw": raw}, headers=JSON)
    assert response.status_code == 500
    assert "x-echo" not in response.headers
    assert "set-cookie" not in response.headers
    assert "invalid character in response header `x-echo`" in response.json()["message"]


@pytest.mark.parametrize("value", ["tab\there", "caf\u00e9", "plain; q=1"])
def test_tabs_and_latin1_text_are_valid_header_values(egg: Booted, value: str) -> None:
    response = egg.http.get("/set-header", params={"value": value})
    assert response.status_code == 200
    assert dict(response.headers.raw)[b"x-echo"] == value.encode("latin-1")


@pytest.mark.parametrize(
    ("params", "part"),
    [
        ({"value": "a\r\nb"}, "value"),
        ({"value": "a\x00b"}, "value"),
        ({"value": "ok", "path": "/\r\nSet-Cookie: x=1"}, "path"),
        ({"value": "ok", "path": "/; Domain=evil.test"}, "path"),
    ],
)
def test_a_bad_cookie_is_a_500_naming_the_part(egg: Booted, params: dict[str, str], part: str) -> None:
    response = egg.http.get("/set-cookie", params=params, headers=JSON)
    assert response.status_code == 500
    assert "set-cookie" not in response.headers
    assert f"invalid character in the {part} of cookie `echo`" in response.json()["message"]


def test_check_header_refuses_bad_names_and_non_strings() -> None:
    for name in ("", "x y", "x:y", "x\r\ny", "caf\u00e9"):
        with pytest.raises(ValueError, match="invalid response header name"):
            check_header(name, "v")
    with pytest.raises(TypeError, match="must be a str"):
        check_header("x", 1)  # type: ignore[arg-type]


def test_every_way_of_writing_a_header_is_checked() -> None:
    response = Response()
    with pytest.raises(ValueError, match="x-a"):
        response.set("X-A", "1\r\n2")
    with pytest.raises(ValueError, match="x-b"):
        response.headers.update({"x-b": "\n"})
    with pytest.raises(ValueError, match="x-c"):
        response.headers.setdefault("x-c", "\x00")
    with pytest.raises(ValueError, match="content-type"):
        response.type = "text/html\r\nx: 1"
    with pytest.raises(ValueError, match="invalid literal"):
        response.length = "5\r\nx: 1"  # type: ignore[assignment]
    assert response.headers == {}
    response.length = "5\r\n"  # type: ignore[assignment]
    assert response.headers == {"content-length": "5"}
