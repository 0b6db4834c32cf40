"""CSRF, safe redirects and security headers through real requests."""

from __future__ import annotations

from collections.abc import Callable

import pytest

from eggbin.errors import BootError
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


def security_config(extra: str) -> Callable[[object], None]:
    """An edit for `boot_app` that adds `extra` (python dict items) to `config.security`."""

    def edit(base: object) -> None:
        config = base / "config" / "default.py"  # type: ignore[operator]
        config.write_text(config.read_text().replace('"security": {', '"security": {' + extra))

    return edit


def test_egg_security_default_headers(egg: Booted) -> None:
    headers = egg.http.get("/").headers
    assert headers["x-xss-protection"] == "1; mode=block"
    assert headers["x-download-options"] == "noopen"
    for opt_in in ("strict-transport-security", "content-security-policy", "referrer-policy", "x-csp-nonce"):
        assert opt_in not in headers


def test_nosniff_is_left_off_redirects(egg: Booted) -> None:
    response = egg.http.get("/go", params={"to": "/x"})
    assert response.status_code == 302
    assert "x-content-type-options" not in response.headers
    assert response.headers["x-frame-options"] == "SAMEORIGIN"


@pytest.mark.parametrize("method", ["TRACE", "TRACK"])
def test_trace_and_track_are_405(egg: Booted, method: str) -> None:
    response = egg.http.request(method, "/", headers=JSON)
    assert (response.status_code, response.json()) == (405, {"message": "Method Not Allowed"})


@pytest.mark.parametrize("path", ["/%2e%2e/config/default.py", "/a/%2e%2e/%2e%2e/x", "/..%5c..%5cx"])
def test_a_path_climbing_above_the_root_is_400(egg: Booted, path: str) -> None:
    response = egg.http.get(path, headers=JSON)
    assert (response.status_code, response.json()) == (400, {"message": "Bad Request"})


def test_dots_that_stay_inside_are_fine(egg: Booted) -> None:
    assert egg.http.get("/public/css/%2e%2e/css/site.css").status_code == 200
    assert egg.http.get("/echo", params={"q": ".."}, headers=JSON).status_code == 200


def test_hsts_and_referrer_policy_when_enabled(boot_app: Callable[..., Booted]) -> None:
    egg = boot_app(
        "http_app",
        edit=security_config(
            '"hsts": {"enable": True, "max_age": 600, "include_subdomains": True}, '
            '"referrer_policy": {"enable": True, "value": "same-origin"}, '
        ),
    )
    headers = egg.http.get("/").headers
    assert headers["strict-transport-security"] == "max-age=600; includeSubdomains"
    assert headers["referrer-policy"] == "same-origin"


def test_csp_carries_the_request_nonce(boot_app: Callable[..., Booted]) -> None:
    policy = '{"script-src": ["\'self\'"], "style-src": ".cdn.test", "sandbox": True}'
    egg = boot_app("http_app", edit=security_config(f'"csp": {{"enable": True, "policy": {policy}}}, '))
    response = egg.http.get("/nonce")
    nonce = response.json()["nonce"]
    assert response.json()["same"] is True
    assert response.headers["x-csp-nonce"] == nonce
    assert response.headers["content-security-policy"] == (
        f"script-src 'self' 'nonce-{nonce}';style-src *.cdn.test;sandbox"
    )
    assert egg.http.get("/nonce").json()["nonce"] != nonce


def test_csp_report_only(boot_app: Callable[..., Booted]) -> None:
    edit = security_config(
        '"csp": {"enable": True, "report_only": True, "policy": {"default-src": "\'self\'"}}, '
    )
    headers = boot_app("http_app", edit=edit).http.get("/").headers
    assert headers["content-security-policy-report-only"] == "default-src 'self'"
    assert "content-security-policy" not in headers


def test_each_default_can_be_switched_off_or_limited(boot_app: Callable[..., Booted]) -> None:
    egg = boot_app(
        "http_app",
        edit=security_config(
            '"xss_protection": {"enable": False}, "noopen": {"enable": False}, '
            '"methodnoallow": {"enable": False}, "dta": {"enable": False}, '
            '"nosniff": {"ignore": "/public"}, "xframe": {"match": "/csrf", "value": "DENY"}, '
        ),
    )
    home = egg.http.get("/").headers
    assert "x-xss-protection" not in home
    assert "x-download-options" not in home
    assert "x-frame-options" not in home
    assert home["x-content-type-options"] == "nosniff"
    assert egg.http.get("/csrf").headers["x-frame-options"] == "DENY"
    assert "x-content-type-options" not in egg.http.get("/public/css/site.css").headers
    assert egg.http.request("TRACE", "/", headers=JSON).status_code == 404
    assert egg.http.get("/%2e%2e/x", headers=JSON).status_code == 404


@pytest.mark.parametrize(
    ("extra", "message"),
    [
        ('"referrer_policy": {"enable": True, "value": "nope"}, ', "`nope` is not a referrer policy"),
        ('"xframe": {"value": "DENY\\r\\nx: 1"}, ', "`config.security.xframe`: invalid character"),
        ('"hsts": {"enable": True, "match": "/a", "ignore": "/b"}, ', "`match` and `ignore` can not both"),
    ],
)
def test_bad_security_options_fail_the_boot(
    boot_app: Callable[..., Booted], extra: str, message: str
) -> None:
    with pytest.raises(BootError, match=message):
        boot_app("http_app", edit=security_config(extra))


def test_ctx_is_safe_domain_reads_the_white_list(egg: Booted) -> None:
    assert egg.http.get("/nonce").json()["safe"] is True
