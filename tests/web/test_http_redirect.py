"""`ctx.redirect` against every form a browser reads as another host, and Koa's `Location` encoding.

Each hostile target below is resolved off-site by a WHATWG URL parser (what browsers use): it must
come out as `/` unless its host is this site or in `security.domain_white_list` (`.trusted.test`).
"""

from __future__ import annotations

from collections.abc import Callable

import pytest

from eggbin.web.redirect import is_safe_domain, landing_hosts, location
from tests.web.conftest import Booted

OFF_SITE = [
    "https://evil.test/x",
    "//evil.test/x",
    "///evil.test",
    "////evil.test",
    "/\\evil.test/x",
    "/\\/evil.test",
    "\\\\evil.test",
    "\\/evil.test",
    "/\t/evil.test",
    "/\n/evil.test",
    "/\r\n/evil.test",
    "\t//evil.test",
    " //evil.test",
    "\x00//evil.test",
    "\x1f//evil.test",
    "https:evil.test",
    "HTTPS:evil.test",
    "http:evil.test",  # on-site from an http page, `http://evil.test/` from an https one
    "http:/\\evil.test",
    "http:\\\\evil.test",
    "https://trusted.test@evil.test",
    "https://trusted.test:pw@evil.test/",
    "https://evil.test\\@trusted.test",
    "https://evil.test#@trusted.test",
    "https://evil.test?@trusted.test",
    "//evil\u3002test",  # ideographic full stop
    "//\uff45\uff56\uff49\uff4c.test",  # full-width letters
    "//evil%E3%80%82test",
    "//trusted.test.evil.test",
    "https://nottrusted.test/",
    "//trusted.test%40evil.test",  # not a valid URL: a browser goes nowhere, we go home
    "javascript:alert(1)",
    "JaVaScRiPt:alert(1)",
    "java\nscript:alert(1)",
    "data:text/html,<script>alert(1)</script>",
    "ftp://evil.test/",
    "ws://evil.test/",
    "https://[::1]/",
]


@pytest.fixture
def egg(boot_app: Callable[..., Booted]) -> Booted:
    return boot_app("http_app")


@pytest.mark.parametrize("target", OFF_SITE)
def test_a_target_a_browser_takes_off_site_goes_home(egg: Booted, target: str) -> None:
    response = egg.http.get("/go", params={"to": target})
    assert response.status_code == 302
    assert response.headers["location"] == "/"


@pytest.mark.parametrize(
    ("target", "location_header"),
    [
        ("/inside?x=1", "/inside?x=1"),
        ("inside", "inside"),
        ("./x", "./x"),
        ("http://127.0.0.1/same-host", "http://127.0.0.1/same-host"),
        ("HTTPS://API.Trusted.Test/x", "https://api.trusted.test/x"),
        ("https://trusted.test/x", "https://trusted.test/x"),
        ("//trusted.test/x", "//trusted.test/x"),
        ("//evil.test%2F@trusted.test/", "//evil.test%2F@trusted.test/"),  # userinfo: lands on trusted.test
        ("/%5Cevil.test", "/%5Cevil.test"),
        ("/caf\u00e9?q=a b", "/caf%C3%A9?q=a%20b"),
        ("/ok\r\nSet-Cookie: a=b", "/ok%0D%0ASet-Cookie:%20a=b"),
        ("  /padded  ", "/padded"),
        ("//0x7f.1/", "//0x7f.1/"),  # 127.0.0.1 to a browser: this very site
    ],
)
def test_on_site_and_white_listed_targets_are_kept_encoded(
    egg: Booted, target: str, location_header: str
) -> None:
    response = egg.http.get("/go", params={"to": target})
    assert response.status_code == 302
    assert response.headers["location"] == location_header
    assert "set-cookie" not in response.headers


def test_a_refused_target_is_logged(egg: Booted) -> None:
    egg.http.get("/go", params={"to": "///evil.test"})
    log = (egg.base / "logs" / "http-app" / "http-app-web.log").read_text()
    assert "redirect to `///evil.test` refused" in log


def test_unsafe_redirect_encodes_like_koa(egg: Booted) -> None:
    response = egg.http.get(
        "/go-anywhere", params={"to": "/\\evil.test/a\r\nb"}, headers={"accept": "text/plain"}
    )
    assert response.status_code == 301
    assert response.headers["location"] == "/%5Cevil.test/a%0D%0Ab"
    assert response.text == "Redirecting to /%5Cevil.test/a%0D%0Ab."


def test_an_empty_white_list_keeps_redirects_on_this_site(boot_app: Callable[..., Booted]) -> None:
    def no_white_list(base: object) -> None:
        config = base / "config" / "default.py"  # type: ignore[operator]
        config.write_text(config.read_text().replace('[".trusted.test"]', "[]"))

    egg = boot_app("http_app", edit=no_white_list)
    assert egg.http.get("/go", params={"to": "https://trusted.test/"}).headers["location"] == "/"
    assert egg.http.get("/go", params={"to": "/home"}).headers["location"] == "/home"


@pytest.mark.parametrize(
    ("hostname", "rules", "safe"),
    [
        ("eggjs.org", ["eggjs.org"], True),
        ("www.eggjs.org", ["eggjs.org"], True),  # egg-security: a rule covers its subdomains
        ("www.eggjs.org", [".eggjs.org"], True),
        ("wwweggjs.org", ["eggjs.org"], False),
        ("eggjs.org.evil.test", [".eggjs.org"], False),
        ("A.EggJS.org", [".eggjs.org"], True),
        ("api.eggjs.cn", ["*.eggjs.*"], True),
        ("eggjs.cn", ["*.eggjs.*"], False),
        ("eggjs.org", [], False),
    ],
)
def test_is_safe_domain_follows_egg_security(hostname: str, rules: list[str], safe: bool) -> None:
    assert is_safe_domain(hostname, rules) is safe


def test_landing_hosts_resolve_as_a_browser() -> None:
    assert landing_hosts("/x") == ["this-site.invalid", "this-site.invalid"]
    assert landing_hosts("http:evil.test") == ["this-site.invalid", "evil.test"]
    assert landing_hosts("//EVIL.test") == ["evil.test", "evil.test"]
    assert landing_hosts("mailto:a@b.test") is None
    assert landing_hosts("http://") is None


def test_location_keeps_valid_escapes_and_encodes_the_rest() -> None:
    assert location("/a%20b%zz%") == "/a%20b%25zz%25"
    assert location("/a?b=1&c=[2]#frag") == "/a?b=1&c=[2]#frag"
    assert location('/<script>"x"') == "/%3Cscript%3E%22x%22"
    assert location("http://EXAMPLE.com:80/a b") == "http://example.com/a%20b"
