"""Redirect targets: where a browser would really go, and the `Location` value Koa would send.

`ctx.redirect(url)` (egg-security's safe redirect) lets a target through only if a browser would stay on
this site or land on a host of `security.domain_white_list`; any other target becomes `/`. "Where a
browser would go" is decided by a WHATWG URL parser (Ada, the one Node uses), resolving the target against
this request's URL, so every form a browser reads as another host is caught: `//evil.com`, `///evil.com`,
`/\\evil.com`, tabs or newlines inside (`/\\t/evil.com`), `https:evil.com` (no slashes), userinfo
(`https://trusted.com@evil.com`), full-width or ideographic dots (`//evil。com`), leading control
characters. The target is resolved against both `http` and `https` bases (a TLS proxy may hide the
scheme the browser used): off-site under either is off-site.

`ctx.unsafe_redirect(url)` (Koa's redirect) sends any target, percent-encoding what a URL may not hold
(Koa's `encodeurl`: controls, spaces, `\\`, `"`, `<`, `>`, non-ASCII...), so CR/LF can not split the
response and `/\\evil.com` becomes the on-site `/%5Cevil.com`.
"""

from __future__ import annotations

import contextlib
import fnmatch
import re
from typing import TYPE_CHECKING
from urllib.parse import quote

if TYPE_CHECKING:
    from eggbin.web.context import Context

# encodeurl's rule: a `%` starting a valid escape and these characters stay as they are; all else is encoded.
_NOT_URL = re.compile(r"[^!#-;=?-\[\]_a-z~]|%(?![0-9A-Fa-f]{2})")
_ABSOLUTE_HTTP = re.compile(r"^https?://", re.IGNORECASE)
WEB_SCHEMES = ("http:", "https:")
# Relative targets are resolved against this host: it stands for "this site" whatever the Host header
# holds (`.invalid` never resolves, so naming it in an absolute URL leads nowhere either).
THIS_SITE = "this-site.invalid"


def _encode_match(match: re.Match[str]) -> str:
    return quote(match.group(), safe="", errors="replace")


def location(url: str) -> str:
    """The `Location` header value for `url`, as Koa's `ctx.redirect` writes it."""
    if _ABSOLUTE_HTTP.match(url):
        import ada_url

        # Koa: `new URL(url).toString()`, "to avoid security escapes"; an invalid URL is sent encoded
        # as it is (a browser follows it nowhere).
        with contextlib.suppress(ValueError):
            url = ada_url.URL(url).href
    return _NOT_URL.sub(_encode_match, url)


def is_safe_domain(hostname: str, white_list: list[str]) -> bool:
    """egg-security's rule: `example.com` and `.example.com` both allow the domain and its subdomains;
    a rule with `*` is a wildcard (`*.example.*`)."""
    hostname = hostname.lower()
    dotted = f".{hostname}"
    for rule in white_list:
        rule = rule.lower()
        if "*" in rule:
            if fnmatch.fnmatchcase(hostname, rule):
                return True
        elif hostname == rule or dotted.endswith(rule if rule.startswith(".") else f".{rule}"):
            return True
    return False


def landing_hosts(url: str) -> list[str] | None:
    """The hosts a browser on this site (`THIS_SITE`, over http and over https) would go to for `url`;
    `None` if it would go nowhere (not a URL) or leave the web (`javascript:`, `data:`...)."""
    import ada_url

    hosts = []
    for scheme in ("http", "https"):
        try:
            resolved = ada_url.URL(url, f"{scheme}://{THIS_SITE}/")
        except ValueError:
            return None
        if resolved.protocol not in WEB_SCHEMES:
            return None
        hosts.append(resolved.hostname.strip("[]"))
    return hosts


def safe_redirect_target(ctx: Context, url: str) -> str:
    """`url` when a browser would stay on this site or go to a white-listed domain, else `/`."""
    url = url.strip()
    hosts = landing_hosts(url)
    if hosts is not None:
        own = (THIS_SITE, ctx.hostname.lower())
        security = ctx.app.config.get("security") or {}
        white_list = list(security.get("domain_white_list") or [])
        if all(found in own or is_safe_domain(found, white_list) for found in hosts):
            return url
    ctx.logger.warning("redirect to `%s` refused: its domain is not in security.domain_white_list", url)
    return "/"
