"""How a settings problem reads: key path, value, the file (and line) that set it, what is expected."""

from __future__ import annotations

import ast
import difflib
import re
from collections.abc import Sequence
from pathlib import Path
from typing import Any

from pydantic import ValidationError

from eggbin.errors import BootError


def invalid(section: str | None, exc: ValidationError, meta: dict[str, str]) -> BootError:
    """One line for the first error: `config.<path>` is `<value>` (set in `file:line`): expected ..."""
    error = exc.errors(include_url=False)[0]
    parts = [*([section] if section else []), *(str(part) for part in error["loc"])]
    expected = error["msg"] if error["type"] == "eggbin_setting" else _expected(error["type"], error["msg"])
    return BootError(f"`config.{'.'.join(parts)}` is `{error['input']!r}`{set_in(meta, parts)}: {expected}")


def _expected(kind: str, message: str) -> str:
    if kind in ("model_type", "dict_type"):
        return "expected a dict"
    return message[:1].lower() + message[1:]


def unknown_key(path: Sequence[str], known: Sequence[str], meta: dict[str, str]) -> str:
    """`config.<path>` (set in `file:line`) is not a setting of `<section>`; did you mean `<closest>`?"""
    key, owner = path[-1], ".".join(path[:-1])
    guess = closest(key, known)
    hint = f"did you mean `{guess}`?" if guess else "eggbin does not read it"
    return f"`config.{'.'.join(path)}`{set_in(meta, path)} is not a setting of `{owner}`; {hint}"


def closest(key: str, known: Sequence[str]) -> str | None:
    """egg's camelCase spelled the eggbin way, else the nearest known name (difflib)."""
    snake = re.sub(r"(?<!^)([A-Z])", r"_\1", key).lower()
    if snake in known:
        return snake
    found = difflib.get_close_matches(snake, known, n=1, cutoff=0.6)
    return found[0] if found else None


def set_in(meta: dict[str, str], parts: Sequence[str]) -> str:
    """` (set in `file:line`)` for the key at `parts`, or "" when no file set it."""
    path = ".".join(parts)
    file = meta.get(path) or _nearest(meta, parts)
    if not file:
        return ""
    line = key_line(Path(file), parts)
    return f" (set in `{file}:{line}`)" if line else f" (set in `{file}`)"


def _nearest(meta: dict[str, str], parts: Sequence[str]) -> str | None:
    for end in range(len(parts) - 1, 0, -1):  # a list item: the list's file
        found = meta.get(".".join(parts[:end]))
        if found:
            return found
    prefix = ".".join(parts) + "."  # a dict: the file of one of its keys
    return next((file for path, file in meta.items() if path.startswith(prefix)), None)


def key_line(file: Path, parts: Sequence[str]) -> int | None:
    """The line of the dict key at `parts` in `file` (the deepest one found), or of its last key alone."""
    try:
        tree = ast.parse(file.read_text(encoding="utf-8"))
    except (OSError, SyntaxError, ValueError):
        return None
    best: tuple[int, int] | None = None  # (depth matched, line)
    for node in ast.walk(tree):
        if isinstance(node, ast.Dict):
            found = _descend(node, parts)
            if found and (best is None or found[0] > best[0]):
                best = found
    if best is not None and best[0] == len(parts):
        return best[1]
    leaf = _first_key(tree, parts[-1])
    return leaf if leaf is not None else (best[1] if best else None)


def _descend(node: ast.Dict, parts: Sequence[str]) -> tuple[int, int] | None:
    """How deep `parts` goes into `node` from its top, and the line of the last key matched."""
    found: tuple[int, int] | None = None
    current: Any = node
    for depth, part in enumerate(parts, 1):
        match = _key_of(current, part) if isinstance(current, ast.Dict) else None
        if match is None:
            break
        found, current = (depth, match[0].lineno), match[1]
    return found


def _key_of(node: ast.Dict, name: str) -> tuple[ast.expr, ast.expr] | None:
    for key, value in zip(node.keys, node.values, strict=True):
        if isinstance(key, ast.Constant) and key.value == name:
            return key, value
    return None


def _first_key(tree: ast.AST, name: str) -> int | None:
    for node in ast.walk(tree):
        if isinstance(node, ast.Dict):
            match = _key_of(node, name)
            if match is not None:
                return match[0].lineno
    return None
