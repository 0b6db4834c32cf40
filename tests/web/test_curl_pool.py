"""`app.curl` / `ctx.curl` on the app's pooled clients: keep-alive, per-call options, no shared state, closed
with the app. Against a real HTTP/1.1 server on 127.0.0.1."""

from __future__ import annotations

import contextlib
import time
from collections.abc import Callable, Iterator
from http.server import BaseHTTPRequestHandler

import httpx
import pytest

from tests.support import http_server
from tests.web.conftest import Booted


class Upstream(BaseHTTPRequestHandler):
    """`/peer`: the client's port; `/cookie` sets one, `/echo-cookie` shows what came; `/slow` waits."""

    protocol_version = "HTTP/1.1"  # keep-alive

    def do_GET(self) -> None:
        if self.path == "/slow":
            time.sleep(1.5)
        elif self.path == "/jump":
            self._answer(302, b"", {"location": "/peer"})
            return
        body = {
            "/peer": str(self.client_address[1]),
            "/cookie": "set",
            "/echo-cookie": self.headers.get("cookie") or "none",
        }.get(self.path, "slow")
        headers = {"set-cookie": "sid=secret; Path=/"} if self.path == "/cookie" else {}
        self._answer(200, body.encode(), headers)

    def _answer(self, status: int, body: bytes, headers: dict[str, str]) -> None:
        self.send_response(status)
        for name, value in {**headers, "content-length": str(len(body))}.items():
            self.send_header(name, value)
        self.end_headers()
        with contextlib.suppress(BrokenPipeError):  # `/slow`: the client timed out, as the test wants
            self.wfile.write(body)

    def log_message(self, *args: object) -> None:
        pass


@pytest.fixture
def upstream() -> Iterator[str]:
    with http_server(Upstream) as url:
        yield url


@pytest.fixture
def egg(boot_app: Callable[..., Booted]) -> Booted:
    return boot_app("http_app")


def _text(egg: Booted, url: str, **options: object) -> str:
    result = egg.run(egg.app.curl(url, data_type="text", **options))
    assert result.status == 200, result
    return str(result.data)


def test_calls_reuse_one_keep_alive_connection(egg: Booted, upstream: str) -> None:
    ports = {_text(egg, f"{upstream}/peer") for _ in range(5)}
    assert len(ports) == 1
    ctx = egg.app.create_anonymous_context()
    assert egg.run(ctx.curl(f"{upstream}/peer", data_type="text")).data in ports  # ctx.curl: the same pool


def test_no_cookie_travels_from_one_call_to_the_next(egg: Booted, upstream: str) -> None:
    assert _text(egg, f"{upstream}/cookie") == "set"
    assert _text(egg, f"{upstream}/echo-cookie") == "none"
    assert _text(egg, f"{upstream}/echo-cookie", headers={"cookie": "mine=1"}) == "mine=1"


def test_per_call_timeout_and_redirects_are_still_per_call(egg: Booted, upstream: str) -> None:
    with pytest.raises(httpx.ReadTimeout):
        egg.run(egg.app.curl(f"{upstream}/slow", timeout=200))
    assert _text(egg, f"{upstream}/slow", timeout=10_000) == "slow"  # the pooled client kept no timeout
    assert egg.run(egg.app.curl(f"{upstream}/jump")).status == 302
    assert _text(egg, f"{upstream}/jump", follow_redirect=True).isdigit()
    with pytest.raises(httpx.TooManyRedirects):
        egg.run(egg.app.curl(f"{upstream}/jump", follow_redirect=True, max_redirects=0))


def test_the_app_closes_its_clients_and_a_call_without_an_app_closes_its_own(
    egg: Booted, upstream: str
) -> None:
    from eggbin.web.curl import curl

    _text(egg, f"{upstream}/peer")
    clients = [client for _, client in egg.app.curl_clients._clients.values()]
    assert clients
    assert not any(client.is_closed for client in clients)
    egg.run(egg.app.close_curl_clients())
    assert all(client.is_closed for client in clients)
    assert egg.run(curl(f"{upstream}/peer")).status == 200  # no pool: a client of its own, closed after
