"""`helper.sjs` escapes every ASCII character but letters and digits, and nothing else (js-xss's rule)."""

from __future__ import annotations

import re

from eggbin.web.builtin.app.extend.helper import _JS_SAFE, sjs, sjson


def test_the_escaped_set_is_ascii_but_letters_and_digits_over_every_code_point() -> None:
    every = "".join(map(chr, range(0x110000)))
    expected = [c for c in map(chr, range(0x80)) if not re.fullmatch("[0-9A-Za-z]", c)]
    assert _JS_SAFE.findall(every) == expected
    assert len(expected) == 66


def test_sjs_writes_named_and_hex_escapes_and_keeps_the_rest() -> None:
    helper: object = None
    assert sjs(helper, "</script>\t\n\r'\"é中\U0001f600") == (  # type: ignore[arg-type]
        "\\x3c\\x2fscript\\x3e\\t\\n\\r\\x27\\x22é中\U0001f600"
    )
    assert sjson(helper, {"k<": ["a b", 1]}) == r'{"k\\x3c":["a\\x20b",1]}'  # type: ignore[arg-type]
