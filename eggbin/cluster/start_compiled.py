"""What every start compiles, compiled once: the imports before a worker forks make their regular expressions
and the code they generate from what an earlier start compiled.

Two kinds of compiling run in Python at import, ~12 ms of CPU on the way to the first fork:

- ~75 regular expressions (json's, logging's, tomllib's, platform's, uvicorn's, starlette's, eggbin's):
  `re` parses each and compiles it to its engine's code (`re._compiler`), then makes the pattern from that
  code in C (`_sre.compile`, which checks the code is well formed). A pattern compiled at an earlier start
  with the same flags is made from the code recorded then. Not recorded: `re.DEBUG` patterns (they print
  as they compile), parsed patterns (`re.Scanner`'s) and a pattern whose parse warns (a deprecated
  construct warns at every start, as does code that does).
- ~140 strings of source compiled to code: typing's forward references (`compile`), namedtuple's
  `__new__` (`eval`), the methods `dataclasses` writes (`exec`). In those three modules (`GENERATORS`,
  where a module global of the builtin's name stands for it: the builtin replaced, its stand-in would run
  under every module's import, which importlib runs with `exec`), a string compiles to the code object
  an earlier start compiled from the same string, file name, mode and `__future__` flags (inherited
  from the caller, as Python's own; `eval` and `exec` without a namespace run in the caller's).
  Anything but plain code (an AST, an `optimize` other than the interpreter's) and bytes compile as
  usual.

While installed (`install` to `finish`: the master's imports and the zygote's; every child gives Python
its own back before it runs anything else), anything else compiles as usual, and is recorded. Entries live
in eggbin's private per-user cache (`eggbin.private_cache`, kind `compiled`: a 0700 directory of ours,
0600 files, checksummed, as it keeps every entry), one per interpreter (its executable, version and
optimization level, the regex engine's magic number and code size). The code it holds runs as the
bytecode in `__pycache__` does: only an entry of this user's is read, and only a code object is run.
"""

from __future__ import annotations
import __future__

import _sre  # type: ignore[import-not-found]
import builtins
import importlib
import marshal
import re
import sys
from types import CodeType

from eggbin.cluster.start_trace import mark
from eggbin.private_cache import PrivateCache

TYPE_CHECKING = False  # not `typing.TYPE_CHECKING`: imported by the master before its other imports
if TYPE_CHECKING:
    from collections.abc import Callable
    from typing import Any

    Pattern = tuple[str | bytes, int]  # the pattern and its flags
    # `_sre.compile`'s arguments after the pattern: its final flags, opcodes, groups, group index, index group
    Engine = tuple[int, list[int], int, dict[str, int], tuple[str | None, ...]]
    Source = tuple[str, str, str, int]  # the source, file name, mode and flags `compile` is given
    Entry = tuple[dict[Pattern, Engine], dict[Source, bytes]]

_compiler: Any = importlib.import_module("re._compiler")  # `re`'s internals (no stubs)
_parser: Any = importlib.import_module("re._parser")
CACHE = PrivateCache("compiled", "eggbin-start-compiled-1")
PATTERN_COMPILER = _compiler.compile  # `re`'s own, which `install` replaces
COMPILE: Callable[..., Any] = builtins.compile  # Python's own
EVAL: Callable[..., Any] = builtins.eval
EXEC: Callable[..., Any] = builtins.exec
GENERATORS = (("typing", "compile"), ("collections", "eval"), ("dataclasses", "exec"))  # see above
# what a caller's `from __future__ import ...` passes on to `compile` (CPython's PyCF_MASK; not
# `nested_scopes`: its flag, CO_NESTED, is a code object's own now)
FUTURE_FLAGS = sum(
    getattr(__future__, name).compiler_flag
    for name in __future__.all_feature_names
    if name != "nested_scopes"
)
_installed: list[StartCompiled] = []  # until `finish` (a fork inherits it)


class StartCompiled:
    """While installed: what an earlier start compiled (`patterns`, `sources`), and what this one compiles
    (`new_patterns`, `new_sources`). Its methods stand for `re._compiler.compile` and for the builtins
    `compile`, `eval` and `exec` where `GENERATORS` call them."""

    def __init__(self, key: str, entry: Entry) -> None:
        self.key = key
        self.patterns, self.sources = entry
        self.new_patterns: dict[Pattern, Engine] = {}
        self.new_sources: dict[Source, bytes] = {}
        self.made: list[tuple[Any, ...]] = []  # what `_sre.compile` was given, while `re`'s compiler runs

    def compile_pattern(self, pattern: object, flags: int = 0) -> re.Pattern[Any]:
        """`re._compiler.compile`."""
        engine = self.patterns.get((pattern, flags)) if isinstance(pattern, (str, bytes)) else None
        if engine is not None and isinstance(pattern, (str, bytes)):
            try:
                return _sre.compile(pattern, *engine)  # type: ignore[no-any-return]
            except (RuntimeError, TypeError, ValueError, OverflowError):  # not the engine's code: compile it
                del self.patterns[(pattern, flags)]
        self.made.clear()
        compiled = PATTERN_COMPILER(pattern, flags)
        if isinstance(pattern, (str, bytes)) and not flags & re.DEBUG and len(self.made) == 1:
            made = self.made[0]
            if made[0] is pattern and quiet(_parser.parse, pattern, flags):
                self.new_patterns[(pattern, int(flags))] = plain(made[1:])
        return compiled  # type: ignore[no-any-return]

    def code(self, source: str, filename: str, mode: str, flags: int) -> CodeType:
        """`compile(source, filename, mode, flags, dont_inherit=True)`: from the code recorded for it."""
        key = (source, filename, mode, flags)
        recorded = self.sources.get(key)
        if recorded is not None:
            try:
                loaded = marshal.loads(recorded)
            except (ValueError, EOFError, TypeError):
                loaded = None
            if isinstance(loaded, CodeType) and loaded.co_filename == filename:
                return loaded
            del self.sources[key]
        code: CodeType = COMPILE(source, filename, mode, flags, True)
        if quiet(COMPILE, source, filename, mode, flags, True):
            self.new_sources[key] = marshal.dumps(code)
        return code

    def compile(self, source: object, filename: object, mode: str, flags: int = 0, dont_inherit: bool = False,
                optimize: int = -1, **kwargs: object) -> object:  # fmt: skip
        """`compile`."""
        if not dont_inherit:
            flags |= caller_flags()
        plain_code = not flags & ~FUTURE_FLAGS and optimize == -1 and not kwargs
        if type(source) is str and type(filename) is str and plain_code:
            return self.code(source, filename, mode, flags)
        return COMPILE(source, filename, mode, flags, True, optimize, **kwargs)

    def eval(self, source: object, globals: object = None, locals: object = None) -> object:
        """`eval`."""
        if isinstance(source, str):  # as Python's: leading spaces and tabs stripped, file name "<string>"
            source = self.compile(source.lstrip(" \t"), "<string>", "eval", caller_flags(), True)
        elif isinstance(source, (bytes, bytearray)):
            source = self.compile(bytes(source).lstrip(b" \t"), "<string>", "eval", caller_flags(), True)
        return EVAL(source, *caller_namespace(globals, locals))

    def exec(self, source: object, globals: object = None, locals: object = None, **kwargs: object) -> None:
        """`exec`."""
        if isinstance(source, (str, bytes, bytearray)) and not kwargs:  # as Python's: "<string>"
            source = self.compile(source, "<string>", "exec", caller_flags(), True)
        EXEC(source, *caller_namespace(globals, locals), **kwargs)


def caller_flags() -> int:
    """The `__future__` flags of the code that called `compile`, `eval` or `exec` (two frames up)."""
    return int(sys._getframe(2).f_code.co_flags & FUTURE_FLAGS)


def caller_namespace(globals: object, locals: object) -> tuple[Any, Any]:
    """What `eval` / `exec` run in without a namespace: the calling code's, as Python's do."""
    if globals is None:
        frame = sys._getframe(2)
        globals = frame.f_globals
        if locals is None:
            locals = frame.f_locals
    return globals, locals


class RecordingSre:
    """`_sre` as `re._compiler` sees it while installed: what its `compile` is given is kept."""

    def __init__(self, made: list[tuple[Any, ...]]) -> None:
        self.made = made

    def __getattr__(self, name: str) -> Any:
        return getattr(_sre, name)

    def compile(self, *args: object) -> re.Pattern[Any]:
        self.made.append(args)
        return _sre.compile(*args)  # type: ignore[no-any-return]


def plain(made: tuple[Any, ...]) -> Engine:
    """`_sre.compile`'s arguments after the pattern, as plain values (the code's opcodes are ints)."""
    flags, code, groups, groupindex, indexgroup = made
    return int(flags), [int(op) for op in code], int(groups), dict(groupindex), tuple(indexgroup)


def quiet(compiling: Callable[..., object], *args: object) -> bool:
    """Whether compiling warns nothing (a deprecated construct): what is made from a record does not warn."""
    import warnings

    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        compiling(*args)
    return not caught


def install() -> None:
    """Compile from what an earlier start recorded, until `finish`."""
    if _installed or _compiler.compile is not PATTERN_COMPILER:
        return
    key = current_key()
    compiled = StartCompiled(key, read_entry(key))
    mark("master", f"compiled: {len(compiled.patterns)} patterns, {len(compiled.sources)} sources known")
    _compiler.compile = compiled.compile_pattern
    _compiler._sre = RecordingSre(compiled.made)
    _installed.append(compiled)
    for name, builtin in GENERATORS:  # imported now, their patterns made from the records already
        module = importlib.import_module(name)
        if builtin not in vars(module):
            setattr(module, builtin, getattr(compiled, builtin))


def read_entry(key: str) -> Entry:
    """The entry for `key`, its records each of the shape `finish` writes (any other is left out)."""
    body = CACHE.read_bytes(key)
    try:
        patterns, sources = marshal.loads(body) if body is not None else ([], [])
        engines = {
            (p, flags): tuple(engine) for p, flags, *engine in patterns if pattern_record(p, flags, engine)
        }
        codes = {tuple(source): code for *source, code in sources if source_record(source, code)}
        return engines, codes
    except (ValueError, TypeError, EOFError):
        return {}, {}


def pattern_record(pattern: object, flags: object, engine: list[object]) -> bool:
    """`[pattern, flags, final flags, opcodes, groups, group index, index group]`, as `finish` writes it."""
    if not isinstance(pattern, (str, bytes)) or not isinstance(flags, int) or len(engine) != 5:
        return False
    final_flags, opcodes, groups, groupindex, indexgroup = engine
    if not isinstance(final_flags, int) or not isinstance(groups, int) or not isinstance(opcodes, list):
        return False
    if not isinstance(groupindex, dict) or not isinstance(indexgroup, tuple):
        return False
    return (
        all(isinstance(op, int) for op in opcodes)
        and all(isinstance(n, str) and isinstance(i, int) for n, i in groupindex.items())
        and all(name is None or isinstance(name, str) for name in indexgroup)
    )


def source_record(source: list[object], code: object) -> bool:
    """`[source, file name, mode, flags, marshalled code]`, as `finish` writes it."""
    if len(source) != 4 or not isinstance(code, bytes):
        return False
    text, filename, mode, flags = source
    return (
        isinstance(text, str)
        and isinstance(filename, str)
        and mode in ("exec", "eval", "single")
        and isinstance(flags, int)
    )


def finish(*, save: bool) -> None:
    """Give Python its own compilers back; with `save`, keep what was compiled for the next start when
    something was new."""
    if not _installed:
        return
    compiled = _installed.pop()
    _compiler.compile, _compiler._sre = PATTERN_COMPILER, _sre
    for name, builtin in GENERATORS:
        names = vars(sys.modules[name])
        if names.get(builtin) == getattr(compiled, builtin):
            del names[builtin]  # the builtin again
    if save and (compiled.new_patterns or compiled.new_sources):
        patterns = {**compiled.patterns, **compiled.new_patterns}
        sources = {**compiled.sources, **compiled.new_sources}
        CACHE.write_bytes(
            compiled.key,
            marshal.dumps((
                [[pattern, flags, *engine] for (pattern, flags), engine in patterns.items()],
                [[*source, code] for source, code in sources.items()],
            )),
        )  # fmt: skip


def current_key() -> str:
    """What the compiled code depends on besides what is compiled: the interpreter and its `-O` level."""
    engine = f"{_sre.MAGIC}:{_sre.CODESIZE}"
    parts = [sys.executable, sys.version, sys.implementation.cache_tag, engine, str(sys.flags.optimize)]
    return "\n".join(parts)
