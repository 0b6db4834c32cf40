"""The regular expressions every start compiles, compiled once: the imports before a worker forks make their
patterns from the engine code an earlier start compiled.

The standard library (json, logging, tomllib, platform...), uvicorn, starlette and eggbin compile ~75
patterns at import. `re` parses each and compiles it to its engine's code in Python (`re._compiler`), then
makes the pattern from that code in C (`_sre.compile`, which checks the code is well formed): ~7 ms of
CPU on the way to the first fork, and more in warming up the compiler's own code. The code depends only
on the pattern, its flags and the interpreter.

While installed (`install` to `finish`: the master's imports and the zygote's), `re`'s compiler makes a
pattern compiled at an earlier start with the same flags from the code recorded then; any other it
compiles as usual, and records its code. Entries live in eggbin's private per-user cache
(`eggbin.private_cache`, kind `patterns`), one per interpreter: its executable and version, the engine's
magic number and code size. Not recorded: `re.DEBUG` patterns (they print as they compile), parsed
patterns (`re.Scanner`'s) and a pattern whose parse warns (a deprecated construct warns at every start).
"""

from __future__ import annotations

import _sre  # type: ignore[import-not-found]
import importlib
import marshal
import re
import sys

from eggbin.cluster.start_trace import mark
from eggbin.private_cache import PrivateCache

TYPE_CHECKING = False  # not `typing.TYPE_CHECKING`: imported by the master before its other imports
if TYPE_CHECKING:
    from typing import Any

    Source = str | bytes
    # `_sre.compile`'s arguments after the pattern: its final flags, opcodes, groups, group index, index group
    Code = tuple[int, list[int], int, dict[str, int], tuple[str | None, ...]]

_compiler: Any = importlib.import_module("re._compiler")  # `re`'s internals (no stubs)
_parser: Any = importlib.import_module("re._parser")
CACHE = PrivateCache("patterns", "eggbin-start-patterns-1")
COMPILER = _compiler.compile  # `re`'s own, which `install` replaces
_installed: list[StartPatterns] = []  # until `finish` (a fork inherits it)


class StartPatterns:
    """`re._compiler.compile` while installed: what an earlier start compiled (`known`), and what this one
    compiles (`found`), by (pattern, flags)."""

    def __init__(self, key: str, known: dict[tuple[Source, int], Code]) -> None:
        self.key = key
        self.known = known
        self.found: dict[tuple[Source, int], Code] = {}
        self.made: list[tuple[Any, ...]] = []  # what `_sre.compile` was given, while the compiler runs

    def compile(self, pattern: Any, flags: int = 0) -> re.Pattern[Any]:
        code = self.known.get((pattern, flags)) if isinstance(pattern, (str, bytes)) else None
        if code is not None:
            try:
                return _sre.compile(pattern, *code)  # type: ignore[no-any-return]
            except (RuntimeError, TypeError, ValueError, OverflowError):  # not the engine's code: compile it
                del self.known[(pattern, flags)]
        self.made.clear()
        compiled = COMPILER(pattern, flags)
        if isinstance(pattern, (str, bytes)) and not flags & re.DEBUG and len(self.made) == 1:
            made = self.made[0]
            if made[0] is pattern and quiet(pattern, flags):
                self.found[(pattern, int(flags))] = plain(made[1:])
        return compiled  # type: ignore[no-any-return]


class RecordingSre:
    """`_sre` as `re._compiler` sees it while installed: what its `compile` is given is kept."""

    def __init__(self, made: list[tuple[Any, ...]]) -> None:
        self.made = made

    def __getattr__(self, name: str) -> Any:
        return getattr(_sre, name)

    def compile(self, *args: Any) -> re.Pattern[Any]:
        self.made.append(args)
        return _sre.compile(*args)  # type: ignore[no-any-return]


def plain(made: tuple[Any, ...]) -> Code:
    """`_sre.compile`'s arguments after the pattern, as plain values (the code's opcodes are ints)."""
    flags, code, groups, groupindex, indexgroup = made
    return int(flags), [int(op) for op in code], int(groups), dict(groupindex), tuple(indexgroup)


def quiet(pattern: Source, flags: int) -> bool:
    """Whether parsing `pattern` warns nothing: a pattern made from recorded code would not warn again."""
    import warnings

    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        _parser.parse(pattern, flags)
    return not caught


def install() -> None:
    """Make patterns from what an earlier start recorded, until `finish`."""
    if _installed or _compiler.compile is not COMPILER:
        return
    key = current_key()
    patterns = StartPatterns(key, read_entry(key))
    mark("master", f"compiled patterns: {len(patterns.known)} known")
    _compiler.compile = patterns.compile
    _compiler._sre = RecordingSre(patterns.made)
    _installed.append(patterns)


def read_entry(key: str) -> dict[tuple[Source, int], Code]:
    """The entry for `key`, its records each of the shape `finish` writes (any other is left out)."""
    body = CACHE.read_bytes(key)
    try:
        records = marshal.loads(body) if body is not None else []
        return {
            (pattern, flags): tuple(code) for pattern, flags, *code in records if well_formed(pattern, code)
        }
    except (ValueError, TypeError, EOFError):
        return {}


def well_formed(pattern: object, code: list[Any]) -> bool:
    """`[pattern, flags, final flags, opcodes, groups, group index, index group]`, as `finish` writes it."""
    if not isinstance(pattern, (str, bytes)) or len(code) != 5:
        return False
    flags, opcodes, groups, groupindex, indexgroup = code
    numbers = isinstance(flags, int) and isinstance(groups, int) and isinstance(opcodes, list)
    if not numbers or not all(isinstance(op, int) for op in opcodes):
        return False
    names = isinstance(groupindex, dict) and isinstance(indexgroup, tuple)
    return (
        names
        and all(isinstance(n, str) and isinstance(i, int) for n, i in groupindex.items())
        and all(name is None or isinstance(name, str) for name in indexgroup)
    )


def finish(*, save: bool) -> None:
    """Give `re` its compiler back; with `save`, keep what was compiled for the next start when something
    was new."""
    if not _installed:
        return
    patterns = _installed.pop()
    _compiler.compile = COMPILER
    _compiler._sre = _sre
    if save and patterns.found:
        every = {**patterns.known, **patterns.found}
        records = [[pattern, flags, *code] for (pattern, flags), code in every.items()]
        CACHE.write_bytes(patterns.key, marshal.dumps(records))


def current_key() -> str:
    """What the engine's code depends on besides the pattern and its flags: the interpreter."""
    engine = f"{_sre.MAGIC}:{_sre.CODESIZE}"
    return "\n".join([sys.executable, sys.version, sys.implementation.cache_tag, engine])
