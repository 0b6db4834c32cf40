"""egg-security's template helpers on `ctx.helper`: `shtml`, `surl`, `sjs`, `sjson`, `escape`, and `safe`.

Each returns markup a template prints as it is (egg-view-nunjucks marks them safe the same way):

    {{ helper.shtml(comment.text) }}   HTML from users, reduced to a white list of tags and attributes
                                       (js-xss's defaults); `href`/`src` off this site must be on
                                       `security.domain_white_list`, as egg-security checks them
    {{ helper.surl(url) }}             a URL whose protocol is http(s), file, data or in
                                       `security.protocol_white_list` (else ""), quotes escaped
    {{ helper.sjs(text) }}             text safe inside a JavaScript string (`\\xHH` escapes)
    {{ helper.sjson(data) }}           JSON safe inside a `<script>`
    {{ helper.escape(text) }}          HTML-escaped text

The sanitizer is nh3 (the ammonia crate): unlike js-xss it drops a tag it does not allow (keeping its
text) rather than printing it escaped.
"""

from __future__ import annotations

import json
import re
from typing import TYPE_CHECKING, Any
from urllib.parse import urlsplit

if TYPE_CHECKING:
    from markupsafe import Markup

    from eggbin.web.context import Helper

# js-xss's default white list: tag → attributes
XSS_WHITE_LIST: dict[str, set[str]] = {
    "a": {"target", "href", "title"}, "abbr": {"title"}, "address": set(),
    "area": {"shape", "coords", "href", "alt"}, "article": set(), "aside": set(),
    "audio": {"autoplay", "controls", "crossorigin", "loop", "muted", "preload", "src"}, "b": set(),
    "bdi": {"dir"}, "bdo": {"dir"}, "big": set(), "blockquote": {"cite"}, "br": set(), "caption": set(),
    "center": set(), "cite": set(), "code": set(), "col": {"align", "valign", "span", "width"},
    "colgroup": {"align", "valign", "span", "width"}, "dd": set(), "del": {"datetime"},
    "details": {"open"}, "div": set(), "dl": set(), "dt": set(), "em": set(), "figcaption": set(),
    "figure": set(), "font": {"color", "size", "face"}, "footer": set(), "h1": set(), "h2": set(),
    "h3": set(), "h4": set(), "h5": set(), "h6": set(), "header": set(), "hr": set(), "i": set(),
    "img": {"src", "alt", "title", "width", "height"}, "ins": {"datetime"}, "li": set(), "mark": set(),
    "nav": set(), "ol": set(), "p": set(), "pre": set(), "s": set(), "section": set(), "small": set(),
    "span": set(), "sub": set(), "summary": set(), "sup": set(), "strong": set(), "strike": set(),
    "table": {"width", "border", "align", "valign"}, "tbody": {"align", "valign"},
    "td": {"width", "rowspan", "colspan", "align", "valign"}, "tfoot": {"align", "valign"},
    "th": {"width", "rowspan", "colspan", "align", "valign"}, "thead": {"align", "valign"},
    "tr": {"rowspan", "align", "valign"}, "tt": set(), "u": set(), "ul": set(),
    "video": {"autoplay", "controls", "crossorigin", "loop", "muted", "playsinline", "poster", "preload",
              "src", "height", "width"},
}  # fmt: skip
SAFE_PROTOCOLS = frozenset({"http", "https", "file", "data"})
# what `sjs` escapes: ASCII but letters and digits. Spelt as ASCII ranges, not as "neither alphanumeric
# nor U+0080..U+10FFFF": the same set, but that class took ~13 ms to compile at every worker's import.
_JS_SAFE = re.compile(r"[\x00-/:-@\[-`{-\x7f]")
_JS_NAMED = {"\t": "\\t", "\n": "\\n", "\r": "\\r"}


def shtml(self: Helper, value: object) -> Any:
    """User HTML reduced to the white list (`config.helper.shtml.white_list` replaces js-xss's)."""
    if not isinstance(value, str):
        return value
    import nh3

    from eggbin.web.redirect import is_safe_domain

    options = (self.app.config.get("helper") or {}).get("shtml") or {}
    white_list = options.get("white_list") or XSS_WHITE_LIST
    domains = list((self.app.config.get("security") or {}).get("domain_white_list") or [])

    def keep(tag: str, attribute: str, url: str) -> str | None:
        if attribute not in ("href", "src") or not url or url[0] in "/#":
            return url
        hostname = urlsplit(url).hostname
        return url if not hostname or is_safe_domain(hostname, domains) else None

    tags = {tag: set(attributes) for tag, attributes in white_list.items()}
    return _markup(nh3.clean(value, tags=set(tags), attributes=tags, attribute_filter=keep, link_rel=None))


def surl(self: Helper, value: object) -> Any:
    """A URL fit for an attribute: an unknown or missing protocol gives `""`."""
    if not isinstance(value, str):
        return value
    if not value.startswith("/"):
        scheme, found, _ = value.partition("://")
        allowed = SAFE_PROTOCOLS | {
            str(p).lower() for p in (self.app.config.get("security") or {}).get("protocol_white_list") or []
        }
        if not found or scheme.lower() not in allowed:
            return _markup("")
    return _markup(
        value.replace('"', "&quot;").replace("<", "&lt;").replace(">", "&gt;").replace("'", "&#x27;")
    )


def sjs(self: Helper, value: object) -> Markup:
    """Text for inside a JavaScript string: every ASCII character but letters and digits as `\\xHH`."""
    return _markup(_escape_js(str(value)))


def sjson(self: Helper, value: object) -> Markup:
    """JSON for inside a `<script>`: every string (keys too) escaped as `sjs` does."""
    return _markup(json.dumps(_escape_strings(value), ensure_ascii=False, separators=(",", ":")))


def escape(self: Helper, value: object) -> Markup:
    """HTML-escaped text (`&`, `<`, `>`, `"`, `'`)."""
    import html  # at the first use: `html` brings its entity table (~2 ms at every start)

    return _markup(html.escape(str(value), quote=True))


def safe(self: Helper, value: object) -> Markup:
    """Markup printed as it is (egg-view-nunjucks' `helper.safe`): only for HTML the app made itself."""
    return _markup(value)


def _escape_js(text: str) -> str:
    return _JS_SAFE.sub(lambda m: _JS_NAMED.get(m[0]) or f"\\x{ord(m[0]):x}", text)


def _escape_strings(value: object) -> Any:
    if isinstance(value, str):
        return _escape_js(value)
    if isinstance(value, dict):
        return {_escape_js(str(k)): _escape_strings(v) for k, v in value.items()}
    if isinstance(value, list | tuple):
        return [_escape_strings(item) for item in value]
    return value


def _markup(text: object) -> Markup:
    """`Markup(text)`, markupsafe imported at the first call: every worker loads this file at its boot,
    few print a helper's output (jinja2, which imports markupsafe too, comes at a first render)."""
    from markupsafe import Markup

    return Markup(text)
