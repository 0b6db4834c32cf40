"""security: egg-security's default middleware, composed into one.

Options (`config.security`, egg's names in snake_case), each with `enable` and `match` or `ignore`:

- `csrf`: unsafe methods must echo the CSRF token (403); also `cookie_name`, `header_name`, `body_name`,
  `query_name`.
- `methodnoallow`: `TRACE` and `TRACK` answer 405 (cross-site tracing).
- `dta`: a path that climbs above the root (`/../x`, `/%2e%2e/x`) answers 400 (directory traversal).
- `nosniff` (`x-content-type-options: nosniff`, not on redirects), `xframe` (`x-frame-options`, `value`
  `SAMEORIGIN`), `xss_protection` (`x-xss-protection`, `value` `1; mode=block`), `noopen`
  (`x-download-options: noopen`): on by default.
- `hsts` (`strict-transport-security`, `max_age` one year, `include_subdomains`), `csp`
  (`content-security-policy`, `policy` {directive: value or list}, `report_only`; `script-src` gets
  the request's `ctx.nonce`), `referrer_policy` (`referrer-policy`, `value`): off by default.

`domain_white_list` is read by `ctx.redirect`, `ssrf` by `ctx.safe_curl`. Headers are set before the
handler runs, so a handler may still replace one for its own response with `ctx.set`.
"""

from __future__ import annotations

import posixpath
from collections.abc import Callable, Mapping
from typing import TYPE_CHECKING, Any

from eggbin.errors import BootError
from eggbin.web.config import wrap
from eggbin.web.http_error import HttpError
from eggbin.web.middleware import Middleware, Next, path_matcher, runs_when
from eggbin.web.response import check_header, remember_header
from eggbin.web.security import UNSAFE_METHODS
from eggbin.web.ssrf import check_from_config

if TYPE_CHECKING:
    from eggbin.web.application import Application
    from eggbin.web.config import Config
    from eggbin.web.context import Context

NOT_ALLOWED_METHODS = frozenset({"TRACE", "TRACK"})
CHECKED_METHODS = UNSAFE_METHODS | NOT_ALLOWED_METHODS
REDIRECT_STATUSES = frozenset({300, 301, 302, 303, 305, 307, 308})
REFERRER_POLICIES = (
    "no-referrer",
    "no-referrer-when-downgrade",
    "origin",
    "origin-when-cross-origin",
    "same-origin",
    "strict-origin",
    "strict-origin-when-cross-origin",
    "unsafe-url",
    "",
)
Matcher = Callable[[Any], bool]


def security(options: Config, app: Application) -> Middleware:
    csrf = options.get("csrf")
    if isinstance(csrf, bool):  # egg's shorthand: `security: {csrf: false}`
        csrf = options["csrf"] = wrap({"enable": csrf})
    csrf = csrf if csrf is not None else {}
    skip_csrf = path_matcher(csrf["ignore"], "security.csrf") if csrf.get("ignore") else _never
    static, conditional = header_rules(options)
    nosniff = "x-content-type-options" in static
    no_trace = applies_to(options, "methodnoallow")
    dta = applies_to(options, "dta")
    csp = csp_rule(options)
    check_from_config(options.get("ssrf"))  # a bad `ssrf` list fails the boot, not the first safe_curl

    @runs_when(None)  # always runs, leaves the request be
    async def secure(ctx: Context, next_: Next) -> None:
        headers = ctx.response.headers
        headers.update_checked(static)
        if conditional:
            for name, value, wanted in conditional:
                if wanted(ctx):
                    headers.update_checked({name: value})
        scope = ctx.request.scope
        method = scope["method"]
        if method in CHECKED_METHODS:  # one set lookup for the common GET and HEAD
            # `enable` is read per request (tests switch it off at run time, see `mock.csrf()`).
            if method in UNSAFE_METHODS:
                if csrf.get("enable", True) is not False and not skip_csrf(ctx):
                    ctx.assert_csrf()
            elif no_trace is not None and no_trace(ctx):
                raise HttpError(405)
        if dta is not None and ".." in scope["path"] and dta(ctx) and climbs_above_root(scope["path"]):
            raise HttpError(400)
        if csp is not None:
            csp(ctx)
        await next_()
        if nosniff and "location" in headers and ctx.response.status in REDIRECT_STATUSES:
            headers.pop("x-content-type-options", None)

    return secure


def applies_to(options: Mapping[str, Any], key: str, default: bool = True) -> Matcher | None:
    """When `security.<key>` is on: a test of the request (its `match` / `ignore`), else `None`."""
    sub = options.get(key) or {}
    if not sub.get("enable", default):
        return None
    match, ignore = sub.get("match"), sub.get("ignore")
    if match is not None and ignore is not None:
        raise BootError(f"`config.security.{key}`: `match` and `ignore` can not both be set", hint="keep one")
    if match is not None:
        return path_matcher(match, f"security.{key}")
    if ignore is not None:
        skip = path_matcher(ignore, f"security.{key}")
        return lambda ctx: not skip(ctx)
    return _always


def _always(ctx: Context) -> bool:
    return True


def _never(ctx: Context) -> bool:
    return False


def header_rules(options: Mapping[str, Any]) -> tuple[dict[str, str], list[tuple[str, str, Matcher]]]:
    """The headers every response gets, and those limited by `match` / `ignore`; all checked now."""
    wanted: list[tuple[str, str, str, bool]] = [
        ("nosniff", "x-content-type-options", "nosniff", True),
        ("xframe", "x-frame-options", str((options.get("xframe") or {}).get("value") or "SAMEORIGIN"), True),
        ("xss_protection", "x-xss-protection", _value(options, "xss_protection", "1; mode=block"), True),
        ("noopen", "x-download-options", "noopen", True),
        ("hsts", "strict-transport-security", hsts_value(options.get("hsts") or {}), False),
        ("referrer_policy", "referrer-policy", referrer_policy(options), False),
    ]
    static: dict[str, str] = {}
    conditional: list[tuple[str, str, Matcher]] = []
    for key, name, value, default in wanted:
        test = applies_to(options, key, default)
        if test is None:
            continue
        try:
            if test is _always:  # on every response: proven once, now (`eggbin.web.header_lines`)
                remember_header(name, value)
            else:
                check_header(name, value)
        except ValueError as exc:
            raise BootError(f"`config.security.{key}`: {exc}") from None
        if test is _always:
            static[name] = value
        else:
            conditional.append((name, value, test))
    return static, conditional


def _value(options: Mapping[str, Any], key: str, default: str) -> str:
    value = (options.get(key) or {}).get("value")
    return default if value is None else str(value)


def hsts_value(hsts: Mapping[str, Any]) -> str:
    value = f"max-age={int(hsts.get('max_age', 365 * 24 * 3600))}"
    return f"{value}; includeSubdomains" if hsts.get("include_subdomains") else value


def referrer_policy(options: Mapping[str, Any]) -> str:
    policy = _value(options, "referrer_policy", "no-referrer-when-downgrade")
    if policy not in REFERRER_POLICIES and (options.get("referrer_policy") or {}).get("enable"):
        raise BootError(
            f"`config.security.referrer_policy.value` `{policy}` is not a referrer policy",
            hint=f"use one of {', '.join(repr(p) for p in REFERRER_POLICIES if p)}",
        )
    return policy


def climbs_above_root(path: str) -> bool:
    """egg-security's `isSafePath`, negated: `./<path>` normalised starts with `../` (the server has
    percent-decoded the path once, as egg does)."""
    normalised = posixpath.normpath("." + path)
    return normalised == ".." or normalised.startswith(("../", "..\\"))


def csp_rule(options: Mapping[str, Any]) -> Callable[[Any], None] | None:
    """Sets `content-security-policy` (or `-report-only`) with the request's nonce in `script-src`."""
    wanted = applies_to(options, "csp", default=False)
    if wanted is None:
        return None
    csp = options.get("csp") or {}
    name = "content-security-policy-report-only" if csp.get("report_only") else "content-security-policy"
    directives = []
    nonce_in_policy = False
    for directive, value in dict(csp.get("policy") or {}).items():
        values = [str(v) for v in (value if isinstance(value, list | tuple) else [value])]
        if directive == "sandbox" and values[:1] == ["True"]:
            directives.append("sandbox")
            continue
        values = [f"*{v}" if v.startswith(".") else v for v in values]  # `.example.com` → `*.example.com`
        if directive == "script-src" and not any("nonce-" in v for v in values):
            values.append("'nonce-{nonce}'")
            nonce_in_policy = True
        directives.append(" ".join([directive, *values]))
    template = ";".join(directives)
    check_header(name, template)

    def set_csp(ctx: Any) -> None:  # `ctx.nonce`: app/extend/context.py
        if wanted(ctx):
            value = template.replace("{nonce}", ctx.nonce) if nonce_in_policy else template
            ctx.response.headers.update_checked({name: value, "x-csp-nonce": ctx.nonce})

    return set_csp
