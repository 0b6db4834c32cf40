"""Load units: directories laid out like an app (eggbin itself, frameworks, plugins, the app).

The one ordered list every loader phase walks (egg-core's `getLoadUnits`):

    eggbin → plugins (dependency order) → framework(s) (base first) → app

so config priority is app > framework > plugin > eggbin, and boot hooks run plugins → framework → app.
"""

from __future__ import annotations

import sys
from pathlib import Path
from typing import TYPE_CHECKING

from msgspec import Struct

from eggbin.web.modules import UnitModules

if TYPE_CHECKING:
    from eggbin.web.appinfo import AppInfo

EGGBIN_PATH = Path(__file__).resolve().parent / "builtin"
EGGBIN_PACKAGE = "eggbin.web.builtin"


class LoadUnit(Struct):
    """A directory laid out like an app: eggbin itself, a framework, a plugin, or the app."""

    name: str
    path: Path
    kind: str  # "framework" | "plugin" | "app"
    modules: UnitModules

    def file(self, *parts: str) -> Path:
        return self.path.joinpath(*parts)


def eggbin_unit() -> LoadUnit:
    return LoadUnit("eggbin", EGGBIN_PATH, "framework", UnitModules("eggbin", EGGBIN_PATH, EGGBIN_PACKAGE))


def app_unit(app_info: AppInfo) -> LoadUnit:
    return LoadUnit(app_info.name, app_info.base_dir, "app", UnitModules(app_info.name, app_info.base_dir))


def framework_units(cls: type) -> list[LoadUnit]:
    """One unit per class in `cls`'s hierarchy that sets `egg_path`, eggbin first, `cls` last."""
    units: list[LoadUnit] = []
    for klass in reversed(cls.__mro__):
        egg_path = klass.__dict__.get("egg_path")
        if egg_path is None:
            continue
        path = EGGBIN_PATH if Path(egg_path) == EGGBIN_PATH else Path(egg_path).resolve()  # resolved already
        if any(unit.path == path for unit in units):
            continue  # Application and Agent of one framework share their egg_path
        units.append(eggbin_unit() if path == EGGBIN_PATH else _framework_unit(klass, path))
    return units


def _framework_unit(klass: type, path: Path) -> LoadUnit:
    package = _package_at(klass.__module__, path)
    name = package or klass.__module__
    return LoadUnit(name, path, "framework", UnitModules(name, path, package))


def _package_at(module_name: str, path: Path) -> str | None:
    """The name of the package of `module_name` (or one of its parents) whose directory is `path`."""
    parts = module_name.split(".")
    for end in range(len(parts), 0, -1):
        module = sys.modules.get(".".join(parts[:end]))
        locations = getattr(module, "__path__", None) or []
        if any(Path(location).resolve() == path for location in locations):
            return ".".join(parts[:end])
    return None
