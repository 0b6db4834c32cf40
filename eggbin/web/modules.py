"""Importing a load unit's files (config, controllers, boot files) without clashing with other units.

A unit that is an installed package (a plugin or framework from `pip install`) keeps its real package
name, so `egg_mysql/app/extend/context.py` is `egg_mysql.app.extend.context`. Any other unit (the app,
a `path:` plugin) gets its own root package, `_egg_<slug>_<hash>`, whose `__path__` is the unit's
directory, so `app/controller/home.py` becomes `<root>.app.controller.home` and relative imports between
a unit's files work. Two apps booted in one process (tests do this) never share such a module. `app.py`
and `agent.py` sit beside the `app/` directory, so they are loaded explicitly as `<root>._boot_app` /
`<root>._boot_agent`.
"""

from __future__ import annotations

import ast
import hashlib
import importlib
import importlib.machinery
import importlib.util
import os
import re
import sys
import traceback
from collections.abc import Callable
from pathlib import Path
from types import ModuleType

from eggbin.errors import BootError

APP_DIRS = ("app", "config", "lib")  # a unit's own top-level directories: imported relatively
# compiled once, in the zygote: `re.sub(r"\W", ...)` compiled it again in every worker (~0.3 ms of its boot)
NOT_A_NAME_CHARACTER = re.compile(r"\W")


def unit_root_name(name: str, path: Path) -> str:
    slug = NOT_A_NAME_CHARACTER.sub("_", name)[:40]
    digest = hashlib.sha1(str(path).encode()).hexdigest()[:8]
    return f"_egg_{slug}_{digest}"


class UnitModules:
    """Imports the files of one load unit under its package (real, or a private root)."""

    def __init__(self, name: str, path: Path, package: str | None = None) -> None:
        self.path = path
        self.package = package
        self.root = package or unit_root_name(name, path)

    def import_root(self) -> ModuleType:
        """The unit's own package, its `__init__.py` run once (a plugin's `EGG_PLUGIN` lives there)."""
        module = sys.modules.get(self.root)
        if module is not None:
            self._register_app_package()
            return module
        init = self.path / "__init__.py"
        if self.package is not None:
            module = self._guarded(init, self.root, lambda: importlib.import_module(self.root))
        elif not init.is_file():
            module = _register_package(self.root, self.path)
        else:
            locations = [str(self.path)]
            spec = importlib.util.spec_from_file_location(
                self.root, init, submodule_search_locations=locations
            )
            module = self._guarded(init, self.root, lambda: _exec_spec(spec))
        self._register_app_package()
        return module

    def _register_app_package(self) -> None:
        """`app/` is a package beside `app.py`: `<root>.app` must never resolve to the boot file, so that
        `from .app.lib import x` in `app.py` works."""
        if f"{self.root}.app" not in sys.modules and (self.path / "app").is_dir():
            _register_package(f"{self.root}.app", self.path / "app")

    def module_name(self, file: Path) -> str:
        parts = _relative_module_parts(file, self.path)
        if parts[-1] == "__init__":
            parts.pop()
        if len(parts) == 1 and parts[0] in ("app", "agent"):
            parts = [f"_boot_{parts[0]}"]
        return ".".join([self.root, *parts])

    def import_file(self, file: Path) -> ModuleType:
        """Import one file of the unit; a failure names the file and line."""
        name = self.module_name(file)
        if name in sys.modules:
            return sys.modules[name]
        self.import_root()
        if name.rsplit(".", 1)[-1].startswith("_boot_"):
            spec = importlib.util.spec_from_file_location(name, file)
            return self._guarded(file, name, lambda: _exec_spec(spec))
        return self._guarded(file, name, lambda: importlib.import_module(name))

    def _guarded(self, file: Path, name: str, load: Callable[[], ModuleType]) -> ModuleType:
        try:
            return load()
        except SyntaxError as exc:
            sys.modules.pop(name, None)
            where = f"{exc.filename or file}:{exc.lineno}"
            raise BootError(f"syntax error in `{where}`: {exc.msg}", hint="fix it and save") from exc
        except BootError:
            raise
        except Exception as exc:
            sys.modules.pop(name, None)
            hint = None
            if isinstance(exc, ModuleNotFoundError) and (exc.name or "").split(".")[0] in APP_DIRS:
                hint = "import the app's own modules relatively: `from .app.x import y` in app.py"
            where = self.user_frame(exc, file)
            raise BootError(f"{type(exc).__name__} in `{where}`: {exc}", hint=hint) from exc

    def user_frame(self, exc: BaseException, file: Path) -> str:
        """`path:line` of the deepest frame inside this unit's directory, else `file` itself."""
        inside = [f for f in traceback.extract_tb(exc.__traceback__) if _is_under(f.filename, self.path)]
        return f"{inside[-1].filename}:{inside[-1].lineno}" if inside else str(file)

    def unload(self) -> None:
        """Forget every module of this unit (a re-boot imports fresh code); installed packages stay."""
        if self.package is not None:
            return
        prefix = self.root + "."
        for name in [n for n in sys.modules if n == self.root or n.startswith(prefix)]:
            del sys.modules[name]


def _relative_module_parts(file: Path, directory: Path) -> list[str]:
    """`file.relative_to(directory).with_suffix("").parts` (a boot asks it for every file it imports): a
    `.py` file's string split directly, without the paths pathlib would make on the way."""
    name, prefix = str(file), str(directory) + os.sep
    base = name.rpartition(os.sep)[2]
    if name.startswith(prefix) and base.endswith(".py") and base != ".py":
        return name[len(prefix) : -len(".py")].split(os.sep)
    return list(file.relative_to(directory).with_suffix("").parts)


def _register_package(name: str, directory: Path) -> ModuleType:
    module = sys.modules.get(name)
    if module is None:
        spec = importlib.machinery.ModuleSpec(name, None, is_package=True)
        spec.submodule_search_locations = [str(directory)]
        module = importlib.util.module_from_spec(spec)
        sys.modules[name] = module
    return module


def _exec_spec(spec: importlib.machinery.ModuleSpec | None) -> ModuleType:
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    sys.modules[spec.name] = module
    spec.loader.exec_module(module)
    return module


def _is_under(filename: str, directory: Path) -> bool:
    return filename.startswith(str(directory) + "/")


def definition_line(file: Path, name: str) -> int:
    """The line where `file` defines or assigns the top-level `name` (1 when it does not)."""
    from eggbin.web.declared import read_syntax  # it imports this module (through eggbin.web.units)

    try:
        return read_syntax(file, definition_lines).get(name, 1)
    except (OSError, SyntaxError, ValueError):
        return 1


def definition_lines(tree: ast.Module) -> dict[str, int]:
    """Each top-level name a module defines (def, class) or assigns (`x = ...`): its first line."""
    lines: dict[str, int] = {}
    for node in tree.body:
        if isinstance(node, ast.FunctionDef | ast.AsyncFunctionDef | ast.ClassDef):
            lines.setdefault(node.name, node.lineno)
        for target in node.targets if isinstance(node, ast.Assign) else []:
            if isinstance(target, ast.Name):
                lines.setdefault(target.id, node.lineno)
    return lines
