"""Choosing the framework an app runs on, and the one factory every process boots through.

A framework is a package exporting `Application` and `Agent` subclasses of eggbin's, each with
`egg_path` set to the framework's directory (its `config/`, `app/`, `config/plugin.py`). A framework
may build on another one by subclassing its classes: every `egg_path` in the class hierarchy is a load
unit (see `eggbin.web.units.framework_units`). The choice: explicit argument (`--framework`) →
`[tool.egg] framework` in the app's pyproject → `eggbin`.
"""

from __future__ import annotations

import importlib
import importlib.util
from pathlib import Path
from typing import TYPE_CHECKING, Literal

from eggbin.errors import BootError
from eggbin.web.appinfo import framework_choice
from eggbin.web.env import ServerEnv
from eggbin.web.modules import UnitModules

if TYPE_CHECKING:
    from eggbin.web.application import EggCore

Role = Literal["app", "agent"]
ROLES = ("app", "agent")


def create_app(
    role: Role | str, base_dir: Path, env: ServerEnv | None = None, framework: str | None = None
) -> EggCore:
    """The `Application` (role `app`) or `Agent` (role `agent`) of the app in `base_dir`, not booted yet."""
    return framework_class(role, base_dir, framework)(base_dir, env)


def framework_class(role: Role | str, base_dir: Path, framework: str | None = None) -> type[EggCore]:
    """The class to boot for `role`: eggbin's own, or the selected framework's subclass."""
    # imported here: the application's imports (starlette, asyncio: ~25 ms) are the workers' to pay,
    # not the CLI's, which may import this module
    from eggbin.web.application import Agent, Application

    if role not in ROLES:
        raise BootError(f"unknown role `{role}`", hint="use `app` or `agent`")
    name, source = framework_choice(base_dir, framework)
    base_class: type[EggCore] = Application if role == "app" else Agent
    if name == "eggbin":
        return base_class
    cls = getattr(_import_framework(name, source), base_class.__name__, None)
    if not (isinstance(cls, type) and issubclass(cls, base_class)):
        raise BootError(
            f"framework `{name}` (from {source}) has no `{base_class.__name__}` subclassing "
            f"`eggbin.{base_class.__name__}`",
            hint=f"export `class {base_class.__name__}(eggbin.{base_class.__name__})` with `egg_path`",
        )
    return cls


def _import_framework(name: str, source: str) -> object:
    try:
        found = importlib.util.find_spec(name)
    except (ImportError, ValueError):
        found = None
    if found is None or found.origin is None:
        raise BootError(
            f"framework `{name}` (from {source}) is not installed",
            hint="install it in this environment, or fix the name",
        )
    modules = UnitModules(name, Path(found.origin).parent, package=name)
    try:
        return modules.import_root()
    except BootError as exc:
        raise BootError(f"framework `{name}` failed to import: {exc.message}", hint=exc.hint) from exc
