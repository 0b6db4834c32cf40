"""What a config or plugin file declares: one named dict, or (egg's `exports.x = ...`) its top-level names.

    config/default.py   config = {...}  /  def config(app_info)   or   keys = "..."; middleware = [...]
    config/plugin.py    plugins = {...}                          or   static = True; ua = {...}

Only names assigned in the file itself count (imports are not declarations); names starting with `_` are
private helpers. When the file defines the named dict, another public lower-case name beside it would be
ignored: that is reported (file:line) instead of being dropped silently. UPPER_CASE names are constants.
"""

from __future__ import annotations

import ast
from dataclasses import dataclass, field
from pathlib import Path
from types import ModuleType
from typing import Any


@dataclass
class Declared:
    """The file's declaration and the warnings about names it would otherwise ignore."""

    value: Any
    lines: dict[str, int] = field(default_factory=dict)  # top-level name → line
    warnings: list[str] = field(default_factory=list)


def assigned_names(file: Path) -> dict[str, int]:
    """Top-level names the file assigns (`x = ...`, `x: T = ...`), in file order, with their line."""
    try:
        tree = ast.parse(file.read_text(encoding="utf-8"))
    except (OSError, SyntaxError, ValueError):
        return {}
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
