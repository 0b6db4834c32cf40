"""Finding the boot of each unit's `app.py` / `agent.py`, in the forms egg accepts.

    class Boot:                      egg 2+ `class AppBootHook` (any name: the one class of the file that
        def did_load(self): ...      has lifecycle hooks or subclasses `eggbin.Boot`; `Boot` wins when
                                     there are several; a subclass's public non-hooks are reported)
    def app(app): ...                egg 1's `module.exports = app => {...}` (`def agent(agent)` in agent.py),
                                     called when config did load, like egg-core's function boot hooks

A file holding neither, but defining classes or functions, is reported (file:line): nothing a user writes
there is dropped silently.
"""

from __future__ import annotations

import ast
import inspect
from collections.abc import Callable
from functools import partial
from pathlib import Path
from types import ModuleType
from typing import TYPE_CHECKING, Any

from msgspec import Struct, field

from eggbin.errors import BootError
from eggbin.web.lifecycle import HOOKS, Boot, BootEntry, guarded, unknown_hooks
from eggbin.web.own_files import existing
from eggbin.web.units import EGGBIN_PATH, LoadUnit

if TYPE_CHECKING:
    from eggbin.web.application import EggCore


class FoundBoots(Struct):
    """The constructed boots of every unit, and what deserves a warning."""

    entries: list[BootEntry] = field(default_factory=list)
    warnings: list[str] = field(default_factory=list)


class FunctionBoot:
    """A function-style `app.py`: `fn(app)` runs as `config_did_load` (egg-core's `addFunctionAsBootHook`)."""

    def __init__(self, fn: Callable[[EggCore], object], app: EggCore) -> None:
        self.fn = fn
        self.app = app

    async def config_did_load(self) -> None:
        result = self.fn(self.app)
        if inspect.isawaitable(result):
            await result


def load_boots(units: list[LoadUnit], role: str, app: EggCore) -> FoundBoots:
    """The boots of every unit's `app.py` / `agent.py`, constructed with the app, in unit order."""
    found = FoundBoots()
    for unit in units:
        file = existing(unit.path, f"{role}.py") if unit.path != EGGBIN_PATH else None
        if file is not None:
            module = unit.modules.import_file(file)
            boot = _boot_of(module, file, role, found.warnings)
            if isinstance(boot, type) and issubclass(boot, Boot):
                found.warnings.extend(unknown_hooks(boot))
            if boot is not None:
                entry = BootEntry(None, file, unit)
                entry.boot = guarded(entry, "Boot(app)", partial(boot, app))
                found.entries.append(entry)
    return found


def _boot_of(module: ModuleType, file: Path, role: str, warnings: list[str]) -> Any:
    """The callable that makes the file's boot from the app (a class, or a `FunctionBoot` maker)."""
    classes = [c for c in _own(module) if isinstance(c, type) and _is_boot_class(c)]
    explicit = getattr(module, "Boot", None)
    if isinstance(explicit, type) and explicit is not Boot:  # `from eggbin import Boot` is the base
        return explicit
    if len(classes) > 1:
        names = ", ".join(f"`{c.__name__}`" for c in classes)
        raise BootError(
            f"`{file}` defines several boot classes ({names}): egg runs one per file",
            hint="merge them, or name the one to run `Boot`",
        )
    if classes:
        return classes[0]
    function = getattr(module, role, None)
    if inspect.isfunction(function) and function.__module__ == module.__name__:
        return partial(FunctionBoot, function)
    defined = _defined_names(file)
    if defined:
        name, line = next(iter(defined.items()))
        warnings.append(
            f"`{file}:{line}` defines `{name}`, but `{file.name}` has no boot to run: a class with "
            f"lifecycle hooks (`did_load`, `will_ready`...) or `def {role}({role})`"
        )
    return None


def _is_boot_class(candidate: type) -> bool:
    return issubclass(candidate, Boot) or any(hasattr(candidate, hook) for hook in HOOKS)


def _own(module: ModuleType) -> list[Any]:
    return [v for v in vars(module).values() if getattr(v, "__module__", None) == module.__name__]


def _defined_names(file: Path) -> dict[str, int]:
    """Public classes and functions the file defines at top level, with their line."""
    try:
        tree = ast.parse(file.read_text(encoding="utf-8"))
    except (OSError, SyntaxError, ValueError):
        return {}
    kinds = (ast.ClassDef, ast.FunctionDef, ast.AsyncFunctionDef)
    return {n.name: n.lineno for n in tree.body if isinstance(n, kinds) and not n.name.startswith("_")}
