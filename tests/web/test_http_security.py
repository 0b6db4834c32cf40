"""CSRF, safe redirects and security headers through real requests."""

from __future__ import annotations

from collections.abc import Callable

import pytest

from tests.web.conftest import Booted

JSON = {"accept": "application/json"}


@pytest.fixture
def egg(boot_app: Callable[..., Booted]) -> Booted:
    return boot_app("http_app")


def test_security_headers_on_every_response(egg: Booted) -> None:
    for path in ("/", "/nope"):
        headers = egg.http.get(path).headers
        assert headers["x-content-type-options"] == "nosniff"
        assert headers["x-frame-options"] == "SAMEORIGIN"


def test_ctx_csrf_sets_a_readable_cookie_and_keeps_it(egg: Booted) -> None:
    response = egg.http.get("/csrf")
    token = response.json()["csrf"]
    cookie = response.headers["set-cookie"]
    assert cookie.startswith(f"csrfToken={token};")
    assert "HttpOnly" not in cookie
    again = egg.http.get("/csrf")
    assert again.json()["csrf"] == token
    assert "set-cookie" not in again.headers


@pytest.mark.parametrize("method", ["POST", "PUT"])
def test_unsafe_method_without_any_token_is_403(egg: Booted, method: str) -> None:
    response = egg.http.request(method, "/echo", json={"a": 1}, headers=JSON)
    assert response.status_code == 403
    assert response.json() == {"message": "missing csrf token"}


def test_cookie_without_the_echoed_token_is_403(egg: Booted) -> None:
    egg.http.get("/csrf")
    response = egg.http.post("/echo", json={"a": 1}, headers=JSON)
    assert response.status_code == 403
    assert response.json() == {"message": "missing csrf token"}


def test_wrong_token_is_403_invalid(egg: Booted) -> None:
    egg.http.get("/csrf")
    response = egg.http.post("/echo", json={"a": 1}, headers={"x-csrf-token": "forged", **JSON})
    assert response.status_code == 403
    assert response.json() == {"message": "invalid csrf token"}


def test_token_in_header_passes(egg: Booted) -> None:
    token = egg.http.get("/csrf").json()["csrf"]
    response = egg.http.post("/echo", json={"a": 1}, headers={"x-csrf-token": token})
    assert response.json() == {"body": {"a": 1}}


def test_token_in_form_field_passes(egg: Booted) -> None:
    token = egg.http.get("/csrf").json()["csrf"]
    response = egg.http.post("/echo", data={"_csrf": token, "a": "1"})
    assert response.json() == {"body": {"_csrf": token, "a": "1"}}


def test_403_is_html_for_browsers(egg: Booted) -> None:
    response = egg.http.post("/echo", data={"a": "1"}, headers={"accept": "text/html"})
    assert response.status_code == 403
    assert "<h1>403 Forbidden</h1>" in response.text
    assert "missing csrf token" in response.text


@pytest.mark.parametrize(
    ("target", "location"),
    [
        ("/inside?x=1", "/inside?x=1"),
        ("http://127.0.0.1/same-host", "http://127.0.0.1/same-host"),
        ("https://api.trusted.test/x", "https://api.trusted.test/x"),
        ("https://trusted.test/x", "https://trusted.test/x"),
        ("https://evil.test/x", "/"),
        ("//evil.test/x", "/"),
        ("/\\evil.test/x", "/"),
        ("javascript:alert(1)", "/"),
        ("https://nottrusted.test/", "/"),
    ],
)
def test_redirect_only_to_this_site_or_the_white_list(egg: Booted, target: str, location: str) -> None:
    response = egg.http.get("/go", params={"to": target})
    assert response.status_code == 302
    assert response.headers["location"] == location


def test_unsafe_redirect_goes_anywhere_with_its_status(egg: Booted) -> None:
    response = egg.http.get(
        "/go-anywhere", params={"to": "https://evil.test/x"}, headers={"accept": "text/html"}
    )
    assert response.status_code == 301
    assert response.headers["location"] == "https://evil.test/x"
    assert response.text == 'Redirecting to <a href="https://evil.test/x">https://evil.test/x</a>.'


def test_csrf_can_be_disabled_and_ignored_by_path(boot_app: Callable[..., Booted]) -> None:
    def relax(base: object) -> None:
        config = base / "config" / "default.py"  # type: ignore[operator]
        config.write_text(
            config.read_text().replace(
                '"security": {', '"security": {"csrf": {"ignore": "/echo"}, "xframe": {"value": "DENY"}, '
            )
        )

    egg = boot_app("http_app", edit=relax)
    assert egg.http.post("/echo", json={"a": 1}).json() == {"body": {"a": 1}}
    assert egg.http.post("/users", json={"name": "ann", "age": 3}).status_code == 403
    assert egg.http.get("/").headers["x-frame-options"] == "DENY"


def test_csrf_switched_off_at_run_time_is_honoured(egg: Booted) -> None:
    egg.app.config.security.csrf.enable = False
    assert egg.http.post("/echo", json={"a": 1}).json() == {"body": {"a": 1}}
    egg.app.config.security.csrf.enable = True
    assert egg.http.post("/echo", json={"a": 1}).status_code == 403
