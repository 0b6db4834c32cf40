"""`ctx` through real requests: request fields, egg's body typing, services, cookies, background work."""

from __future__ import annotations

import json
from collections.abc import Callable, Iterator
from http.server import BaseHTTPRequestHandler
from typing import Any

import pytest

from tests.support import http_server
from tests.web.conftest import Booted


@pytest.fixture
def egg(boot_app: Callable[..., Booted]) -> Booted:
    return boot_app("http_app")


def test_request_fields(egg: Booted) -> None:
    response = egg.http.get(
        "/echo?a=1&a=2&b=x",
        headers={"x-custom": "c", "accept": "application/json", "x-requested-with": "XMLHttpRequest"},
    )
    info = response.json()
    assert response.status_code == 200
    assert info["method"] == "GET"
    assert (info["path"], info["url"]) == ("/echo", "/echo?a=1&a=2&b=x")
    assert info["query"] == {"a": "1", "b": "x"}
    assert info["queries"] == {"a": ["1", "2"], "b": ["x"]}
    assert info["header"] == "c"
    assert (info["ip"], info["ips"], info["protocol"]) == ("127.0.0.1", [], "http")
    assert (info["host"], info["hostname"]) == ("127.0.0.1", "127.0.0.1")
    assert (info["accepts"], info["accept_json"], info["is_ajax"]) == ("json", True, True)
    assert info["starttime"] > 0


def test_a_request_without_a_query_string_reads_an_empty_query(
    egg: Booted, monkeypatch: pytest.MonkeyPatch
) -> None:
    """No query string: `ctx.query` and `ctx.queries` are empty without parsing (most requests, each time
    i18n looks for `?locale=`); a blank or bare one is still parsed as before."""
    from urllib.parse import parse_qsl

    import eggbin.web.request

    parsed: list[str] = []

    def counted(text: str, **options: Any) -> list[tuple[str, str]]:
        parsed.append(text)
        return parse_qsl(text, **options)

    monkeypatch.setattr(eggbin.web.request, "parse_qsl", counted)
    info = egg.http.get("/echo").json()
    assert (info["query"], info["queries"], info["url"], parsed) == ({}, {}, "/echo", [])
    info = egg.http.get("/echo?a&b=").json()
    assert (info["query"], info["queries"], parsed) == ({"a": "", "b": ""}, {"a": [""], "b": [""]}, ["a&b="])


@pytest.mark.parametrize(
    ("accept", "best", "json_wanted"),
    [
        ("text/html,application/xhtml+xml,*/*;q=0.8", "html", False),
        ("application/json, text/plain, */*", "json", True),
        ("*/*", "json", False),
        ("text/*;q=0.5, application/json;q=0.4", "html", False),
        ("image/png", None, False),
    ],
)
def test_accepts_negotiates_by_quality_and_specificity(
    egg: Booted, accept: str, best: str | None, json_wanted: bool
) -> None:
    info = egg.http.get("/echo", headers={"accept": accept}).json()
    assert (info["accepts"], info["accept_json"]) == (best, json_wanted)


@pytest.mark.parametrize(
    ("kind", "status", "content_type", "content"),
    [
        ("text", 200, "text/html; charset=utf-8", b"<p>html</p>"),
        ("json", 200, "application/json", b'{"ok":true}'),
        ("list", 200, "application/json", b"[1,2]"),
        ("bytes", 200, "application/octet-stream", b"\x00\x01"),
        ("stream", 200, "application/octet-stream", b"abc"),
        ("empty", 204, None, b""),
        ("ok-empty", 200, None, b""),
        ("created", 201, "text/plain; charset=utf-8", b"made"),
        ("nothing", 404, "text/html; charset=utf-8", b"<h1>404 Not Found</h1>"),
    ],
)
def test_body_typing_rules(
    egg: Booted, kind: str, status: int, content_type: str | None, content: bytes
) -> None:
    response = egg.http.get(f"/body/{kind}")
    assert response.status_code == status
    assert response.headers.get("content-type") == content_type
    assert response.content == content


def test_headers_set_by_handler_and_length(egg: Booted) -> None:
    assert egg.http.get("/body/ok-empty").headers["content-length"] == "0"
    assert egg.http.get("/body/created").headers["x-made"] == "yes"
    assert egg.http.get("/body/length").json() == {"length": 3}


def test_file_object_body_is_streamed(egg: Booted) -> None:
    response = egg.http.get("/body/file")
    assert response.status_code == 200
    assert response.headers["content-type"] == "text/plain; charset=utf-8"
    assert b"async def typed(ctx):" in response.content


def test_service_is_created_per_request_with_its_ctx(egg: Booted) -> None:
    assert egg.http.get("/service?name=ann").json() == {"greeting": "hello, ann (GET /service)"}


def test_signed_cookie_round_trip(egg: Booted) -> None:
    response = egg.http.get("/cookies/set?user=ann")
    set_cookies = response.headers.get_list("set-cookie")
    assert any(c.startswith("user=ann;") and c.endswith("; httponly") for c in set_cookies)
    assert any(c.startswith("user.sig=") for c in set_cookies)
    assert any(c.startswith("plain=visible;") and "httponly" not in c for c in set_cookies)
    assert egg.http.get("/cookies/get").json() == {"user": "ann", "plain": "visible"}


def test_tampered_signed_cookie_reads_as_none(egg: Booted) -> None:
    egg.http.get("/cookies/set?user=ann")
    signature = egg.http.cookies["user.sig"]
    egg.http.cookies.clear()
    tampered = {"cookie": f"user=admin; user.sig={signature}; plain=visible"}
    assert egg.http.get("/cookies/get", headers=tampered).json() == {"user": None, "plain": "visible"}


def test_cookie_signed_with_a_rotated_key_still_verifies(boot_app: Callable[..., Booted]) -> None:
    old = boot_app("http_app")
    old.http.get("/cookies/set?user=ann")
    cookies = dict(old.http.cookies)

    def rotate(base: object) -> None:
        config = base / "config" / "default.py"  # type: ignore[operator]
        config.write_text(config.read_text().replace('"first-key,second-key"', '"new-key,first-key"'))

    rotated = boot_app("http_app", edit=rotate)
    rotated.http.cookies.update(cookies)
    assert rotated.http.get("/cookies/get").json()["user"] == "ann"


def test_signed_cookie_without_keys_is_a_500_naming_config_keys(boot_app: Callable[..., Booted]) -> None:
    def no_keys(base: object) -> None:
        config = base / "config" / "default.py"  # type: ignore[operator]
        config.write_text(config.read_text().replace('"first-key,second-key"', '""'))

    egg = boot_app("http_app", env="local", edit=no_keys)
    response = egg.http.get("/cookies/set", headers={"accept": "application/json"})
    assert response.status_code == 500
    assert response.json()["message"] == (
        "signed cookies need `config.keys`; set `keys` in config/default.py"
    )


def test_run_in_background_runs_after_the_response(egg: Booted) -> None:
    assert egg.http.get("/later").json() == {"scheduled": True}
    assert egg.http.get("/done").json() == {"done": True}


def test_render_uses_jinja_with_autoescape(egg: Booted) -> None:
    response = egg.http.get("/render", params={"name": "<b>x</b>"})
    assert response.status_code == 200
    assert response.headers["content-type"] == "text/html; charset=utf-8"
    assert response.text.strip() == "<h1>Hello &lt;b&gt;x&lt;/b&gt;</h1><p>/render</p>"


@pytest.fixture
def upstream() -> Iterator[str]:
    """A real HTTP server on a free port, answering JSON."""

    class Handler(BaseHTTPRequestHandler):
        def do_GET(self) -> None:
            payload = json.dumps({"path": self.path}).encode()
            self.send_response(200)
            self.send_header("content-type", "application/json")
            self.send_header("content-length", str(len(payload)))
            self.end_headers()
            self.wfile.write(payload)

        def do_POST(self) -> None:
            sent = self.rfile.read(int(self.headers["content-length"]))
            payload = f"{self.headers['content-type']} {sent.decode()}".encode()
            self.send_response(201)
            self.send_header("content-length", str(len(payload)))
            self.end_headers()
            self.wfile.write(payload)

        def log_message(self, *args: object) -> None:
            pass

    with http_server(Handler) as url:
        yield url


def test_curl_returns_status_headers_and_parsed_data(egg: Booted, upstream: str) -> None:
    response = egg.http.get("/proxy", params={"url": f"{upstream}/hello?x=1"})
    assert response.json() == {"status": 200, "type": "application/json", "data": {"path": "/hello?x=1"}}


def test_curl_posts_json_and_reads_text(egg: Booted, upstream: str) -> None:
    response = egg.http.get("/proxy-post", params={"url": upstream})
    assert response.json() == {"status": 201, "data": 'application/json {"n":1}'}


def test_curl_to_a_closed_port_is_a_500(egg: Booted) -> None:
    from tests.support import free_port

    url = f"http://127.0.0.1:{free_port()}/"
    response = egg.http.get("/proxy", params={"url": url}, headers={"accept": "application/json"})
    assert response.status_code == 500
    assert response.json()["message"] == "All connection attempts failed"  # unittest shows 5xx messages
    log = (egg.base / "logs" / "http-app" / "common-error.log").read_text()
    assert "%3A" in log  # the URL in the request prefix is not taken for a format string
    assert "ConnectError" in log


def test_render_string(egg: Booted) -> None:
    assert egg.http.get("/render-string").text == "&lt;1&gt;+GET"


def test_render_of_a_missing_template_names_the_view_dirs(boot_app: Callable[..., Booted]) -> None:
    egg = boot_app("http_app", env="local")
    response = egg.http.get("/render-missing", headers={"accept": "application/json"})
    assert response.status_code == 500
    view = egg.base / "app" / "view"
    assert response.json()["message"].startswith(f"template `nope.html` not found in `{view}`, ")
