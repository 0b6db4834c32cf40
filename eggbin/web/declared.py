"""What a config or plugin file declares: one named dict, or (egg's `exports.x = ...`) its top-level names.

    config/default.py   config = {...}  /  def config(app_info)   or   keys = "..."; middleware = [...]
    config/plugin.py    plugins = {...}                          or   static = True; ua = {...}

Only names assigned in the file itself count (imports are not declarations); names starting with `_` are
private helpers. When the file defines the named dict, another public lower-case name beside it would be
ignored: that is reported (file:line) instead of being dropped silently. UPPER_CASE names are constants.
"""

from __future__ import annotations

import ast
import contextlib
import json
import os
import sys
from collections.abc import Callable
from pathlib import Path
from types import ModuleType
from typing import Any, TypeVar

from msgspec import Struct, field

from eggbin.web.units import EGGBIN_PATH

T = TypeVar("T")
EGGBIN_FILES = f"{EGGBIN_PATH}{os.sep}"
# `read_syntax`'s results for eggbin's own files: (reader, file, mtime, size) → result
_OWN_FILES: dict[tuple[str, str, int, int], Any] = {}
# the same, kept from one start to the next beside eggbin's bytecode (`load_own_syntax`)
SYNTAX_CACHE = EGGBIN_PATH / "__pycache__" / f"syntax.{sys.implementation.cache_tag}.json"
_parsed_own: list[str] = []  # eggbin's own files parsed in this process (not found in the cache)


class Declared(Struct):
    """The file's declaration and the warnings about names it would otherwise ignore."""

    value: Any
    lines: dict[str, int] = field(default_factory=dict)  # top-level name → line
    warnings: list[str] = field(default_factory=list)


def read_syntax(file: Path, reader: Callable[[ast.Module], T]) -> T:
    """`reader(the file's syntax tree)`. For eggbin's own files it is kept per process: the zygote reads
    them before it forks (`eggbin.cluster.zygote_preload`), so no worker parses them at its boot."""
    name = str(file)
    if not name.startswith(EGGBIN_FILES):
        return reader(ast.parse(file.read_text(encoding="utf-8")))
    info = os.stat(name)
    key = (f"{reader.__module__}.{reader.__qualname__}", name, info.st_mtime_ns, info.st_size)
    if key not in _OWN_FILES:
        _OWN_FILES[key] = reader(ast.parse(file.read_text(encoding="utf-8")))
        _parsed_own.append(name)
    result: T = _OWN_FILES[key]
    return result


def load_own_syntax() -> None:
    """What an earlier start read of the syntax of eggbin's own files (`read_syntax`), for the files that
    have not changed since (same path, mtime and size: what Python checks of a `.pyc`): the zygote then
    parses none of them (~14 M instructions). A missing, unreadable or malformed cache is no cache."""
    try:
        entries = json.loads(SYNTAX_CACHE.read_bytes())
    except (OSError, ValueError):
        return
    for entry in entries if isinstance(entries, list) else ():
        if _is_cache_entry(entry):
            reader, name, mtime, size, result = entry
            _OWN_FILES.setdefault((reader, name, mtime, size), result)


def save_own_syntax() -> None:
    """Keep what this process read of eggbin's own files for the next start, when it parsed any (written
    whole or not at all; not when Python writes no bytecode, nor where it cannot write)."""
    if not _parsed_own or sys.dont_write_bytecode:
        return
    entries = [[*key, result] for key, result in _OWN_FILES.items() if _is_lines(result) and _is_current(key)]
    partial = SYNTAX_CACHE.with_name(f"{SYNTAX_CACHE.name}.{os.getpid()}")
    try:
        SYNTAX_CACHE.parent.mkdir(exist_ok=True)
        partial.write_text(json.dumps(entries), encoding="utf-8")
        os.replace(partial, SYNTAX_CACHE)
    except OSError:
        with contextlib.suppress(OSError):
            partial.unlink(missing_ok=True)
        return
    _parsed_own.clear()


def _is_current(key: tuple[str, str, int, int]) -> bool:
    try:
        info = os.stat(key[1])
    except OSError:
        return False
    return (info.st_mtime_ns, info.st_size) == key[2:]


def _is_cache_entry(entry: object) -> bool:
    if not isinstance(entry, list) or len(entry) != 5:
        return False
    reader, name, mtime, size, result = entry
    return (
        isinstance(reader, str)
        and isinstance(name, str)
        and name.startswith(EGGBIN_FILES)
        and type(mtime) is int
        and type(size) is int
        and _is_lines(result)
    )


def _is_lines(result: object) -> bool:
    """A reader's result the cache holds: names (or keys) → line numbers."""
    return isinstance(result, dict) and all(
        isinstance(name, str) and type(line) is int for name, line in result.items()
    )


def assigned_names(file: Path) -> dict[str, int]:
    """Top-level names the file assigns (`x = ...`, `x: T = ...`), in file order, with their line."""
    try:
        return dict(read_syntax(file, _assigned_names))
    except (OSError, SyntaxError, ValueError):
        return {}


def _assigned_names(tree: ast.Module) -> dict[str, int]:
    names: dict[str, int] = {}
    for node in tree.body:
        targets = node.targets if isinstance(node, ast.Assign) else []
        if isinstance(node, ast.AnnAssign) and node.value is not None:
            targets = [node.target]
        for target in targets:
            for leaf in ast.walk(target):
                if isinstance(leaf, ast.Name):
                    names.setdefault(leaf.id, node.lineno)
    return names


def declared(module: ModuleType, file: Path, name: str) -> Declared:
    """`module.<name>` if the file defines it, else a dict of its public top-level names."""
    lines = assigned_names(file)
    public = [n for n in lines if not n.startswith("_") and hasattr(module, n)]
    if hasattr(module, name):
        ignored = [n for n in public if n != name and not n.isupper()]
        warnings = [
            f"`{file}:{lines[n]}` assigns `{n}`, which is not read: only `{name}` is "
            f"(move it into `{name}`, or call it `_{n}` if it is a helper)"
            for n in ignored
        ]
        return Declared(getattr(module, name), lines, warnings)
    return Declared({n: getattr(module, n) for n in public}, lines)
