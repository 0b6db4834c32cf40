"""`ctx.safe_curl` / `app.safe_curl` and `curl(check_address=...)` against real servers on 127.0.0.x.

`internal` (127.0.0.2) stands for an address inside the network; `public` (127.0.0.1) for one outside,
and it redirects to `internal` on `/jump`. Linux routes all of 127.0.0.0/8 to the loopback.
"""

from __future__ import annotations

import threading
from collections.abc import Callable, Iterator
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

import pytest

from eggbin.errors import BootError
from eggbin.web.ssrf import check_from_config, with_three_arguments
from tests.web.conftest import Booted

JSON = {"accept": "application/json"}


def serve(host: str, handler: type[BaseHTTPRequestHandler]) -> tuple[ThreadingHTTPServer, threading.Thread]:
    server = ThreadingHTTPServer((host, 0), handler)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    return server, thread


@pytest.fixture
def servers() -> Iterator[dict[str, str]]:
    """`internal` answers `secret`; `public` answers `public` and redirects `/jump` to `internal`."""
    urls: dict[str, str] = {}

    class Handler(BaseHTTPRequestHandler):
        def do_GET(self) -> None:
            host = self.server.server_address[0]
            if self.path == "/jump":
                self.send_response(302)
                self.send_header("location", urls["internal"] + "/")
                self.send_header("content-length", "0")
                self.end_headers()
                return
            payload = b"secret" if host == "127.0.0.2" else b"public"
            self.send_response(200)
            self.send_header("content-length", str(len(payload)))
            self.end_headers()
            self.wfile.write(payload)

        def log_message(self, *args: object) -> None:
            pass

    running = [serve("127.0.0.1", Handler), serve("127.0.0.2", Handler)]
    for name, (server, _) in zip(("public", "internal"), running, strict=True):
        urls[name] = f"http://{server.server_address[0]}:{server.server_address[1]}"
    try:
        yield urls
    finally:
        for server, thread in running:
            server.shutdown()
            server.server_close()
            thread.join(5)


def with_ssrf(ssrf: str) -> Callable[[object], None]:
    """An edit for `boot_app` giving `http_app` `config.security.ssrf = <ssrf>` (python literal)."""

    def edit(base: object) -> None:
        config = base / "config" / "default.py"  # type: ignore[operator]
        config.write_text(config.read_text().replace('"security": {', f'"security": {{"ssrf": {ssrf}, '))

    return edit


def test_an_internal_address_is_refused(boot_app: Callable[..., Booted], servers: dict[str, str]) -> None:
    egg = boot_app("http_app", edit=with_ssrf('{"ip_black_list": ["127.0.0.2/32", "10.0.0.0/8"]}'))
    response = egg.http.get("/safe-curl", params={"url": servers["internal"] + "/"}, headers=JSON)
    assert response.status_code == 500
    assert response.json()["message"] == (
        "illegal address `127.0.0.2` of `127.0.0.2`: refused by `config.security.ssrf`"
    )
    allowed = egg.http.get("/safe-curl", params={"url": servers["public"] + "/"})
    assert allowed.json() == {"status": 200, "data": "public"}


def test_a_redirect_to_an_internal_address_is_refused(
    boot_app: Callable[..., Booted], servers: dict[str, str]
) -> None:
    egg = boot_app("http_app", edit=with_ssrf('{"ip_black_list": ["127.0.0.2"]}'))
    jump = servers["public"] + "/jump"
    response = egg.http.get("/safe-curl", params={"url": jump, "follow": "1"}, headers=JSON)
    assert response.status_code == 500
    assert response.json()["message"].startswith("illegal address `127.0.0.2`")


def test_a_name_is_checked_on_the_addresses_it_resolves_to(
    boot_app: Callable[..., Booted], servers: dict[str, str]
) -> None:
    egg = boot_app("http_app", edit=with_ssrf('{"ip_black_list": ["127.0.0.0/8", "::1"]}'))
    port = servers["public"].rsplit(":", 1)[1]
    response = egg.http.get("/safe-curl", params={"url": f"http://localhost:{port}/"}, headers=JSON)
    assert response.status_code == 500
    assert "of `localhost`: refused" in response.json()["message"]


def test_exception_lists_let_addresses_and_names_through(
    boot_app: Callable[..., Booted], servers: dict[str, str]
) -> None:
    ssrf = (
        '{"ip_black_list": ["127.0.0.0/8", "::1/128"], "ip_exception_list": ["127.0.0.2"], '
        '"hostname_exception_list": ["localhost"]}'
    )
    egg = boot_app("http_app", edit=with_ssrf(ssrf))
    internal = egg.http.get("/safe-curl", params={"url": servers["internal"] + "/"})
    assert internal.json() == {"status": 200, "data": "secret"}
    port = servers["public"].rsplit(":", 1)[1]
    by_name = egg.http.get("/safe-curl", params={"url": f"http://localhost:{port}/"})
    assert by_name.json() == {"status": 200, "data": "public"}
    refused = egg.http.get("/safe-curl", params={"url": servers["public"] + "/"}, headers=JSON)
    assert refused.status_code == 500


def test_check_address_wins_over_the_black_list(
    boot_app: Callable[..., Booted], servers: dict[str, str]
) -> None:
    ssrf = '{"ip_black_list": ["127.0.0.0/8"], "check_address": lambda ip: ip != "127.0.0.2"}'
    egg = boot_app("http_app", edit=with_ssrf(ssrf))
    assert egg.http.get("/safe-curl", params={"url": servers["public"] + "/"}).json()["data"] == "public"
    assert egg.http.get("/safe-curl", params={"url": servers["internal"] + "/"}).status_code == 500
    assert egg.http.get("/app-safe-curl", params={"url": servers["internal"] + "/"}).status_code == 500


def test_curl_takes_check_address_as_urllib_does(egg_app: Booted, servers: dict[str, str]) -> None:
    public = egg_app.http.get("/curl-checked", params={"url": servers["public"] + "/"})
    assert public.json() == {"status": 200}
    jump = egg_app.http.get("/curl-checked", params={"url": servers["public"] + "/jump"}, headers=JSON)
    assert jump.status_code == 500


def test_without_ssrf_config_safe_curl_warns_and_sends(egg_app: Booted, servers: dict[str, str]) -> None:
    response = egg_app.http.get("/safe-curl", params={"url": servers["internal"] + "/"})
    assert response.json() == {"status": 200, "data": "secret"}
    jump = egg_app.http.get("/safe-curl", params={"url": servers["public"] + "/jump", "follow": "1"})
    assert jump.json() == {"status": 200, "data": "secret"}  # the redirect the guard refuses, unguarded
    log = (egg_app.base / "logs" / "http-app" / "http-app-web.log").read_text()
    assert "please configure `config.security.ssrf` first" in log


def test_a_bad_black_list_fails_the_boot(boot_app: Callable[..., Booted]) -> None:
    with pytest.raises(BootError, match=r"`config.security.ssrf.ip_black_list`: .*intranet"):
        boot_app("http_app", edit=with_ssrf('{"ip_black_list": ["intranet"]}'))


@pytest.fixture
def egg_app(boot_app: Callable[..., Booted]) -> Booted:
    return boot_app("http_app")


def test_check_functions_take_one_to_three_arguments() -> None:
    seen: list[tuple[object, ...]] = []
    assert with_three_arguments(lambda ip: seen.append((ip,)) is None)("1.1.1.1", 4, "a")
    assert with_three_arguments(lambda ip, family, hostname: seen.append((ip, family, hostname)) is None)(
        "::1", 6, "b"
    )
    assert with_three_arguments(lambda *args: False)("::1", 6, "b") is False
    assert seen == [("1.1.1.1",), ("::1", 6, "b")]
    check = check_from_config({"ip_black_list": "10.0.0.0/8"})
    assert check is not None
    assert check("10.1.2.3", 4, "x") is False
    assert check("::ffff:10.1.2.3", 6, "x") is False
    assert check("11.1.2.3", 4, "x") is True
    assert check_from_config({"ip_black_list": None}) is None
