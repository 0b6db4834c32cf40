"""What a config or plugin file declares: one named dict, or (egg's `exports.x = ...`) its top-level names.

    config/default.py   config = {...}  /  def config(app_info)   or   keys = "..."; middleware = [...]
    config/plugin.py    plugins = {...}                          or   static = True; ua = {...}

Only names assigned in the file itself count (imports are not declarations); names starting with `_` are
private helpers. When the file defines the named dict, another public lower-case name beside it would be
ignored: that is reported (file:line) instead of being dropped silently. UPPER_CASE names are constants.
"""

from __future__ import annotations

import ast
import os
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
    result: T = _OWN_FILES[key]
    return result


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
