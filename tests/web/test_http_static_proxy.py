"""Static files (`/public`, ETag, 304), and proxy mode deciding ip / ips / protocol / host."""

from __future__ import annotations

from collections.abc import Callable

import pytest

from eggbin.errors import BootError
from tests.web.conftest import Booted


def test_static_file_with_etag_and_304(boot_app: Callable[..., Booted]) -> None:
    egg = boot_app("http_app")
    response = egg.http.get("/public/css/site.css")
    assert response.status_code == 200
    assert response.text == "body { color: red; }\n"
    assert response.headers["content-type"].startswith("text/css")
    assert response.headers["x-content-type-options"] == "nosniff"
    etag = response.headers["etag"]
    again = egg.http.get("/public/css/site.css", headers={"if-none-match": etag})
    assert (again.status_code, again.content) == (304, b"")
    assert egg.http.head("/public/css/site.css").status_code == 200


@pytest.mark.parametrize("path", ["/public/css/missing.css", "/public/", "/public/../config/default.py"])
def test_static_missing_or_escaping_paths_are_404(boot_app: Callable[..., Booted], path: str) -> None:
    egg = boot_app("http_app")
    response = egg.http.get(path, headers={"accept": "application/json"})
    assert (response.status_code, response.json()) == (404, {"message": "Not Found"})


def test_static_max_age_outside_local(boot_app: Callable[..., Booted]) -> None:
    egg = boot_app("http_app", env="prod")
    assert egg.http.get("/public/css/site.css").headers["cache-control"] == "public, max-age=31536000"


def test_without_proxy_mode_forwarded_headers_are_ignored(boot_app: Callable[..., Booted]) -> None:
    egg = boot_app("http_app")
    headers = {"x-forwarded-for": "1.1.1.1", "x-forwarded-proto": "https", "x-forwarded-host": "evil.test"}
    info = egg.http.get("/echo", headers=headers).json()
    assert (info["ip"], info["ips"], info["protocol"], info["host"]) == ("127.0.0.1", [], "http", "127.0.0.1")


def test_proxy_mode_trusts_the_configured_headers(boot_app: Callable[..., Booted]) -> None:
    egg = boot_app("http_proxy")
    headers = {
        "x-forwarded-for": "9.9.9.9, 1.1.1.1, 2.2.2.2",
        "x-forwarded-proto": "HTTPS, http",
        "x-forwarded-host": "shop.test:8443",
    }
    assert egg.http.get("/who", headers=headers).json() == {
        "ip": "1.1.1.1",
        "ips": ["1.1.1.1", "2.2.2.2"],
        "protocol": "https",
        "secure": True,
        "host": "shop.test:8443",
        "hostname": "shop.test",
        "href": "https://shop.test:8443/who",
    }


def test_proxy_mode_uses_the_first_ip_header_present(boot_app: Callable[..., Booted]) -> None:
    egg = boot_app("http_proxy")
    info = egg.http.get("/who", headers={"x-real-ips": "3.3.3.3", "x-forwarded-for": "4.4.4.4"}).json()
    assert (info["ip"], info["ips"]) == ("3.3.3.3", ["3.3.3.3"])


def test_proxy_mode_without_headers_falls_back_to_the_socket(boot_app: Callable[..., Booted]) -> None:
    egg = boot_app("http_proxy")
    info = egg.http.get("/who", headers={"host": "[::1]:7001"}).json()
    assert (info["ip"], info["protocol"], info["host"], info["hostname"]) == (
        "127.0.0.1",
        "http",
        "[::1]:7001",
        "::1",
    )


def trusting(proxies: str) -> Callable[[object], None]:
    """An edit for `boot_app` setting `config.trusted_proxies` of `http_proxy` (python literal)."""

    def edit(base: object) -> None:
        config = base / "config" / "default.py"  # type: ignore[operator]
        text = config.read_text().replace('"max_ips_count": 2', '"max_ips_count": 0')
        config.write_text(text.replace('"proxy": True,', f'"proxy": True, "trusted_proxies": {proxies},'))

    return edit


FORGED = {"x-forwarded-for": "6.6.6.6", "x-forwarded-proto": "https", "x-forwarded-host": "evil.test"}


def test_a_peer_that_is_not_a_trusted_proxy_is_not_believed(boot_app: Callable[..., Booted]) -> None:
    egg = boot_app("http_proxy", edit=trusting('["10.0.0.0/8"]'))  # the test client is 127.0.0.1
    info = egg.http.get("/who", headers=FORGED).json()
    assert (info["ip"], info["ips"], info["protocol"], info["host"]) == ("127.0.0.1", [], "http", "127.0.0.1")


@pytest.mark.parametrize(
    ("proxies", "ip", "ips"),
    [
        ('["127.0.0.1"]', "127.0.0.2", ["127.0.0.2"]),  # 127.0.0.2 is not a trusted proxy
        ('["loopback"]', "10.0.0.5", ["10.0.0.5", "127.0.0.2"]),
        ('["loopback", "uniquelocal"]', "1.1.1.1", ["1.1.1.1", "10.0.0.5", "127.0.0.2"]),
        ('"127.0.0.0/8, 10.0.0.5"', "1.1.1.1", ["1.1.1.1", "10.0.0.5", "127.0.0.2"]),
        (
            '["::ffff:127.0.0.1/128", "10.0.0.0/8", "127.0.0.2"]',
            "1.1.1.1",
            ["1.1.1.1", "10.0.0.5", "127.0.0.2"],
        ),
    ],
)
def test_the_client_is_the_first_address_from_the_right_that_is_no_trusted_proxy(
    boot_app: Callable[..., Booted], proxies: str, ip: str, ips: list[str]
) -> None:
    egg = boot_app("http_proxy", edit=trusting(proxies))
    chain = {"x-forwarded-for": "6.6.6.6, 1.1.1.1, 10.0.0.5, 127.0.0.2", "x-forwarded-proto": "https"}
    info = egg.http.get("/who", headers=chain).json()
    assert (info["ip"], info["ips"], info["protocol"]) == (ip, ips, "https")


def test_a_chain_of_trusted_proxies_only_gives_the_furthest(boot_app: Callable[..., Booted]) -> None:
    egg = boot_app("http_proxy", edit=trusting('["loopback", "10.0.0.0/8"]'))
    info = egg.http.get("/who", headers={"x-forwarded-for": "10.1.1.1, 10.0.0.5"}).json()
    assert (info["ip"], info["ips"]) == ("10.1.1.1", ["10.1.1.1", "10.0.0.5"])


def test_a_bad_trusted_proxy_fails_the_boot(boot_app: Callable[..., Booted]) -> None:
    with pytest.raises(BootError, match=r"`config.trusted_proxies`: `nginx` is not an address, a network"):
        boot_app("http_proxy", edit=trusting('["10.0.0.0/8", "nginx"]'))
