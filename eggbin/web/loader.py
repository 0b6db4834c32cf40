"""The load units of an app and the loader phases over them.

Conventions are data: one ordered list of units, eggbin → plugins → framework(s) → app (see
`eggbin.web.units`). Each phase below is a small function over that list.
"""

from __future__ import annotations

from pathlib import Path
from types import ModuleType
from typing import TYPE_CHECKING, Any, TypeVar

from eggbin.errors import BootError
from eggbin.web.config import Config, extend, read_config_module
from eggbin.web.controller import Controller, ControllerClass
from eggbin.web.modules import definition_line
from eggbin.web.own_files import existing, python_files
from eggbin.web.units import EGGBIN_PATH, LoadUnit, app_unit, eggbin_unit, framework_units

if TYPE_CHECKING:
    from eggbin.web.appinfo import AppInfo
    from eggbin.web.application import Application
    from eggbin.web.plugins import Plugin

__all__ = [
    "EGGBIN_PATH",
    "LoadUnit",
    "app_unit",
    "eggbin_unit",
    "framework_units",
    "load_config",
    "load_controllers",
    "load_router",
    "load_services",
    "with_plugins",
]

T = TypeVar("T")


def with_plugins(units: list[LoadUnit], plugins: list[Plugin]) -> list[LoadUnit]:
    """eggbin → plugins → framework(s) → app: plugins go right after eggbin's own unit."""
    return [units[0], *(plugin.unit for plugin in plugins), *units[1:]]


def load_config(
    units: list[LoadUnit], app_info: AppInfo, warnings: list[str] | None = None
) -> tuple[Config, dict[str, str]]:
    """Every unit's `config/default.py`, then every unit's `config/<env>.py` (see `eggbin.web.config`).

    What a file assigns but the config does not read is appended to `warnings` (file:line).
    """
    config, meta = Config(), dict[str, str]()
    for file_name in ("default", app_info.env):
        for unit in units:
            file = existing(unit.path, "config", f"{file_name}.py")
            if file is not None:
                declared, ignored = _declared_config(unit, file, app_info)
                extend(config, declared, meta, str(file))
                if warnings is not None:
                    warnings.extend(ignored)
    return config, meta


def _declared_config(unit: LoadUnit, file: Path, app_info: AppInfo) -> tuple[Any, list[str]]:
    module = unit.modules.import_file(file)
    try:
        return read_config_module(module, file, app_info)
    except BootError:
        raise
    except Exception as exc:
        raise BootError(f"{type(exc).__name__} in `{unit.modules.user_frame(exc, file)}`: {exc}") from exc


def _tree_key(directory: Path, file: Path) -> list[str]:
    return list(file.relative_to(directory).with_suffix("").parts)


def _insert(tree: dict[str, Any], keys: list[str], value: object) -> None:
    for key in keys[:-1]:
        tree = tree.setdefault(key, {})
    tree[keys[-1]] = value


def subclasses_defined_in(module: ModuleType, base: type[T]) -> list[type[T]]:
    """Subclasses of `base` defined in `module` itself (not imported into it), in definition order."""
    return [
        value
        for value in vars(module).values()
        if isinstance(value, type)
        and issubclass(value, base)
        and value is not base
        and value.__module__ == module.__name__
    ]


def load_controllers(unit: LoadUnit) -> dict[str, Any]:
    """`app/controller/**.py` → a tree whose leaves are controller classes or modules of handlers."""
    tree: dict[str, Any] = {}
    directory = unit.file("app", "controller")
    for file in python_files(directory):
        module = unit.modules.import_file(file)
        classes = subclasses_defined_in(module, Controller)
        _insert(tree, _tree_key(directory, file), ControllerClass(classes[0]) if classes else module)
    return tree


def load_services(units: list[LoadUnit]) -> dict[str, Any]:
    """`app/service/**.py` of every unit; a later unit's file of the same name wins."""
    from eggbin.web.service import Service

    tree: dict[str, Any] = {}
    for unit in units:
        directory = unit.file("app", "service")
        for file in python_files(directory):
            classes = subclasses_defined_in(unit.modules.import_file(file), Service)
            if not classes:
                raise BootError(f"`{file}` defines no `Service` subclass")
            _insert(tree, _tree_key(directory, file), classes[0])
    return tree


def load_router(unit: LoadUnit, app: Application) -> None:
    file = unit.file("app", "router.py")
    if not file.is_file():
        return
    module = unit.modules.import_file(file)
    router = getattr(module, "router", None)
    if not callable(router):
        raise BootError(
            f"`{file}:{definition_line(file, 'router')}` defines no `router` function",
            hint="add `def router(app):` declaring the routes with `app.router.get(...)`",
        )
    try:
        router(app)
    except BootError:
        raise
    except Exception as exc:
        raise BootError(f"{type(exc).__name__} in `{unit.modules.user_frame(exc, file)}`: {exc}") from exc
