"""What the start compiles, compiled once (eggbin/cluster/start_compiled.py): a start makes each pattern from
the engine code the one before compiled (a pattern that matches as `re` compiling it would), and runs the
code compiled from the same source; a pattern or source that warns, a `re.DEBUG` pattern, or a forged
record is compiled as usual. Each start runs in a fresh interpreter, with its own private cache directory."""

from __future__ import annotations

import json
import os
import re
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]  # where `tests` imports from
CASES = [  # (pattern, flags, subjects): what each start compiles, and matches the subjects against
    (r"(?P<word>[a-z]+)-(?P<number>\d+)", re.IGNORECASE, ["Abc-42 x", "--", "ZZ-0"]),
    (r"STRASSE|stra(ß|ss)e\b", re.IGNORECASE, ["Straße", "strasse.", "STRASSE"]),
    (r"(?x) ^ (\w+) \s* = \s* (?# a comment) (.*) $", re.MULTILINE, ["a = 1\nb=2", "="]),
    (r"(?<=-)\d+(?!\d)|(a)(b)?", 0, ["x-123", "ab", "a"]),
    (rb"[\x80-\xff]+(?P<tail>\x00)?", 0, [b"ab\x81\xfe\x00", b"plain"]),
]

# one start: the compiler replaced, the patterns compiled, the compiler back (the entry kept)
START = """
import json, marshal, re, sys, warnings, io, contextlib
from eggbin.cluster import start_compiled
from tests.cluster.test_start_compiled import CASES, WARNS, described, generated
start_compiled.install()
compiled = start_compiled._installed[0]
def listed(keys):
    return [[p if isinstance(p, str) else p.decode("latin-1"), f] for p, f in keys]
known = listed(compiled.patterns)
known_sources = [list(source) for source in compiled.sources]
made = [described(re.compile(source, flags), subjects) for source, flags, subjects in CASES]
new = listed(compiled.new_patterns)  # compiled by `re`: not known, or known but refused
generated_now = generated()
new_sources = [list(source) for source in compiled.new_sources]
with warnings.catch_warnings(record=True) as caught:
    warnings.simplefilter("always")
    re.compile("[[a]")  # "possible nested set": a future meaning
    compile(WARNS, "<warns>", "eval")  # an invalid escape sequence
debug = io.StringIO()
with contextlib.redirect_stdout(debug):
    re.compile("b+c", re.DEBUG)
start_compiled.finish(save=True)
print(json.dumps({"known": known, "new": new, "made": made, "warned": [str(w.message) for w in caught],
                  "debug": debug.getvalue(), "compiler": re._compiler.compile.__qualname__,
                  "known_sources": known_sources, "new_sources": new_sources, "generated": generated_now,
                  "generators": [n for m, n in start_compiled.GENERATORS if n in vars(sys.modules[m])]}))
"""


WARNS = "'\\d'"


def generated() -> dict:
    """Code compiled from strings, as the start's imports compile it (a forward reference compiles its
    expression, `namedtuple` evaluates its `__new__`, `dataclass` executes its methods) and otherwise,
    through what stands for `compile`, `eval` and `exec` there (this module's `annotations` flag inherited,
    or not)."""
    import ast
    import collections
    import dataclasses
    import typing

    from eggbin.cluster import start_compiled

    compiled = start_compiled._installed[0]
    point = collections.namedtuple("point", "x y")
    item = dataclasses.make_dataclass("item", [("name", str), ("size", int, dataclasses.field(default=3))])
    namespace: dict = {}
    compiled.exec(compiled.compile("def f(x: Undefined): return x", "<inherits>", "exec"), namespace)
    strict: dict = {}
    try:
        compiled.exec(
            compiled.compile("def g(x: Undefined): pass", "<strict>", "exec", dont_inherit=True), strict
        )
    except NameError as exc:
        strict["error"] = str(exc)
    y = 41
    compiled.exec("def h(x: Undefined): pass", namespace)  # `exec` of a string: the caller's flags too
    return {
        "namedtuple": repr(point(1, y)),
        "dataclass": [repr(item("a")), item("a") == item("a", 3)],
        "forward": typing.ForwardRef("list[int]")._evaluate(globals(), None, frozenset()) == list[int],
        "inherited": [namespace["f"].__annotations__, namespace["h"].__annotations__],
        "strict": strict.get("error"),
        "caller_locals": compiled.eval("  y + 1"),  # no namespace: the caller's, as Python's own eval
        "ast": type(compiled.compile("1", "<ast>", "eval", ast.PyCF_ONLY_AST)).__name__,
    }


def described(pattern: re.Pattern, subjects: list) -> list:
    """What a pattern is and what it finds in each subject (bytes as latin-1 text)."""

    def text(value: object) -> object:
        return value.decode("latin-1") if isinstance(value, bytes) else value

    found = [[[text(g) for g in m.groups()], m.span(), {k: text(v) for k, v in m.groupdict().items()}]
             for subject in subjects for m in pattern.finditer(subject)]  # fmt: skip
    return [text(pattern.pattern), pattern.flags, pattern.groups, dict(pattern.groupindex), found]


def start(tmp_path: Path) -> dict:
    """One start in a fresh interpreter (the test's own cache directory): what it reports."""
    env = {**os.environ, "XDG_CACHE_HOME": str(tmp_path / "cache")}
    done = subprocess.run(
        [sys.executable, "-c", START], env=env, capture_output=True, text=True, timeout=60, cwd=ROOT
    )
    assert done.returncode == 0, done.stderr
    return dict(json.loads(done.stdout.splitlines()[-1]))


def known_cases(report: dict) -> list[bool]:
    known = {(pattern, flags) for pattern, flags in report["known"]}
    return [(p if isinstance(p, str) else p.decode("latin-1"), f) in known for p, f, _ in CASES]


def test_the_next_start_makes_each_pattern_from_the_recorded_code_and_it_matches_the_same(
    tmp_path: Path,
) -> None:
    first = start(tmp_path)
    second = start(tmp_path)
    assert known_cases(first) == [False] * len(CASES)
    assert known_cases(second) == [True] * len(CASES)
    assert not {p for p, _ in second["new"]} & {p for p, _, _ in CASES if isinstance(p, str)}
    assert second["made"] == first["made"]
    assert first["compiler"] == second["compiler"] == "compile"  # `re`'s own again after `finish`


def test_the_next_start_runs_the_code_compiled_from_the_same_source_with_the_same_future_flags(
    tmp_path: Path,
) -> None:
    first = start(tmp_path)
    second = start(tmp_path)
    assert first["generated"] == second["generated"]
    assert second["generated"]["inherited"] == [{"x": "Undefined"}] * 2  # `annotations`: the caller's
    assert "Undefined" in second["generated"]["strict"]  # and not, with `dont_inherit`
    assert second["generated"]["caller_locals"] == 42
    assert second["generated"]["ast"] == "Expression"
    files = {source[1] for source in second["known_sources"]}
    assert {"<inherits>", "<strict>", "<string>"} <= files  # `exec` / `eval` of a string: "<string>"
    assert "<ast>" not in files
    assert {source[1] for source in second["new_sources"]} & {"<inherits>", "<strict>"} == set()
    assert first["generators"] == second["generators"] == []  # the builtins again, after `finish`


def test_a_pattern_or_source_that_warns_or_debugs_is_compiled_anew_at_every_start(tmp_path: Path) -> None:
    first = start(tmp_path)
    second = start(tmp_path)
    assert ["[[a]", 0] not in second["known"]
    assert ["b+c", re.DEBUG] not in second["known"]
    assert not [source for source in second["known_sources"] if source[0] == WARNS]
    assert first["warned"] == second["warned"]
    assert len(first["warned"]) == 2
    assert first["debug"] == second["debug"] != ""


FORGE = """
import marshal, sys
from eggbin.cluster import start_compiled
key = start_compiled.current_key()
patterns, sources = marshal.loads(start_compiled.CACHE.read_bytes(key))
for record in patterns:
    if record[0] == sys.argv[1]:
        record[3] = [int(op) for op in sys.argv[2].split(",") if op]
patterns.append(["odd", 0, "not", "a", "record"])
start_compiled.CACHE.write_bytes(key, marshal.dumps((patterns, sources)))
"""


@pytest.mark.parametrize("opcodes", ["1,2,3", "999", ""])
def test_code_the_engine_refuses_is_compiled_anew_and_records_of_another_shape_are_dropped(
    tmp_path: Path, opcodes: str
) -> None:
    first = start(tmp_path)
    env = {**os.environ, "XDG_CACHE_HOME": str(tmp_path / "cache")}
    forged = CASES[0][0]
    subprocess.run([sys.executable, "-c", FORGE, forged, opcodes], env=env, check=True, timeout=60)
    second = start(tmp_path)
    assert [forged, int(CASES[0][1])] in second["known"]  # of the right shape: read...
    assert ["odd", 0] not in second["known"]  # ...unlike that one
    assert second["made"] == first["made"]  # ...but refused by `_sre.compile`'s check: compiled as `re` does
    assert [forged, int(CASES[0][1])] in second["new"]  # recorded again, as compiled...
    assert [forged, int(CASES[0][1])] not in start(tmp_path)["new"]  # ...and made from that at the next start
