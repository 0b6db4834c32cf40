"""Importing a load unit's files (config, controllers, boot files) without clashing with other units.

Every load unit gets its own root package, `_egg_<slug>_<hash>`, whose `__path__` is the unit's directory,
so `app/controller/home.py` becomes `<root>.app.controller.home` and relative imports between a unit's
files work. Two apps booted in one process (tests do this) never share a module. `app.py` and `agent.py`
sit beside the `app/` directory, so they are loaded explicitly as `<root>._boot_app` / `<root>._boot_agent`.
"""

from __future__ import annotations

import hashlib
import importlib
import importlib.util
import re
import sys
import traceback
from pathlib import Path
from types import ModuleType

from eggbin.errors import BootError


def unit_root_name(name: str, path: Path) -> str:
    slug = re.sub(r"\W", "_", name)[:40]
    digest = hashlib.sha1(str(path).encode()).hexdigest()[:8]
    return f"_egg_{slug}_{digest}"


class UnitModules:
    """Imports the files of one load unit under a private root package."""

    def __init__(self, name: str, path: Path, package: str | None = None) -> None:
        self.path = path
        self.root = package or unit_root_name(name, path)
        if package is None:
            self._register_package(self.root, path)

    def _register_package(self, name: str, directory: Path) -> ModuleType:
        module = sys.modules.get(name)
        if module is None:
            spec = importlib.machinery.ModuleSpec(name, None, is_package=True)
            spec.submodule_search_locations = [str(directory)]
            module = importlib.util.module_from_spec(spec)
            sys.modules[name] = module
        return module

    def module_name(self, file: Path) -> str:
        relative = file.relative_to(self.path).with_suffix("")
        parts = list(relative.parts)
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
        # `app/` is a package beside `app.py`: register it first so `<root>.app` is never the boot file.
        if file.relative_to(self.path).parts[0] == "app" and len(file.relative_to(self.path).parts) > 1:
            self._register_package(f"{self.root}.app", self.path / "app")
        try:
            if name.rsplit(".", 1)[-1].startswith("_boot_"):
                spec = importlib.util.spec_from_file_location(name, file)
                assert spec is not None and spec.loader is not None
                module = importlib.util.module_from_spec(spec)
                sys.modules[name] = module
                spec.loader.exec_module(module)
                return module
            return importlib.import_module(name)
        except SyntaxError as exc:
            sys.modules.pop(name, None)
            where = f"{exc.filename or file}:{exc.lineno}"
            raise BootError(f"syntax error in `{where}`: {exc.msg}", hint="fix it and save") from exc
        except BootError:
            raise
        except Exception as exc:
            sys.modules.pop(name, None)
            raise BootError(f"{type(exc).__name__} in `{_user_frame(exc, file)}`: {exc}") from exc

    def unload(self) -> None:
        """Forget every module of this unit (a re-boot imports fresh code)."""
        prefix = self.root + "."
        for name in [n for n in sys.modules if n == self.root or n.startswith(prefix)]:
            del sys.modules[name]


def _user_frame(exc: BaseException, file: Path) -> str:
    """`path:line` of the deepest frame inside the unit's file, else the file itself."""
    frames = [f for f in traceback.extract_tb(exc.__traceback__) if f.filename == str(file)]
    return f"{file}:{frames[-1].lineno}" if frames else str(file)
