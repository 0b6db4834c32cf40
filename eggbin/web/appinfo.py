"""What an app is before anything of it is imported: its directory, pyproject, name and env."""

from __future__ import annotations

import os
import tomllib
from pathlib import Path
from typing import Any

from msgspec import Struct, field

from eggbin.errors import BootError, NotAnAppError
from eggbin.web.env import ServerEnv, resolve_env

LOCAL_ENVS = ("local", "unittest")


class AppInfo(Struct, frozen=True):
    """`app_info` as config functions receive it (egg's appInfo)."""

    name: str
    base_dir: Path
    env: str
    env_source: str
    root: Path
    home: Path
    pkg: dict[str, Any] = field(default_factory=dict)

    @property
    def egg_settings(self) -> dict[str, Any]:
        """`[tool.egg]` of the app's pyproject."""
        settings: dict[str, Any] = self.pkg.get("tool", {}).get("egg", {})
        return settings


def read_pyproject(base_dir: Path) -> dict[str, Any]:
    path = base_dir / "pyproject.toml"
    if not path.is_file():
        return {}
    try:
        return tomllib.loads(path.read_text(encoding="utf-8"))
    except tomllib.TOMLDecodeError as exc:
        raise BootError(f"`{path}` is not valid TOML: {exc}", hint="fix the file and try again") from exc


def framework_choice(base_dir: Path, explicit: str | None = None) -> tuple[str, str]:
    """`(package, where the choice came from)`: `--framework`, `[tool.egg] framework`, else eggbin.

    Here rather than in `eggbin.web.framework` so that the CLI's config preview can ask it without
    importing the runtime (`eggbin.web.application`, starlette: ~30 ms of every `eggscripts start`)."""
    if explicit:
        return explicit, "`--framework`"
    base = base_dir.resolve()
    pyproject = base / "pyproject.toml"
    setting = read_pyproject(base).get("tool", {}).get("egg", {}).get("framework")
    if setting:
        return str(setting), f"`[tool.egg] framework` in `{pyproject}`"
    return "eggbin", "default"


# what makes a directory an app besides `app/router.py`: egg's `app/` directories (an app may have only
# schedules, middleware or an agent), never a Python package (a FastAPI `app/__init__.py` is not one)
APP_DIRS = ("controller", "service", "middleware", "schedule", "extend", "public", "view")
WHAT_AN_APP_HAS = "`app/router.py`, `config/default.py`, `[tool.egg]` or an `app/` of egg's directories"


def is_app_dir(base_dir: Path) -> bool:
    """An eggbin app: `app/router.py`, `config/default.py` or `config/plugin.py`, `[tool.egg]` in its
    pyproject (not a plugin's or a framework's), or an `app/` that is not a package but holds egg's dirs."""
    if (base_dir / "app" / "router.py").is_file():
        return True
    if any((base_dir / "config" / name).is_file() for name in ("default.py", "plugin.py")):
        return True
    app = base_dir / "app"
    if app.is_dir() and not (app / "__init__.py").exists() and any((app / d).is_dir() for d in APP_DIRS):
        return True
    try:
        egg = read_pyproject(base_dir).get("tool", {}).get("egg")
    except BootError:
        return False
    return (
        isinstance(egg, dict) and egg.get("type", "app") == "app" and not (base_dir / "__init__.py").exists()
    )


def require_app_dir(base_dir: Path, how: str = "with --base DIR") -> Path:
    """The resolved app dir, or a one-line error naming what is missing.

    `how` says how this command takes a directory (eggscripts: "as the argument").
    """
    base = base_dir.resolve()
    if not base.is_dir():
        raise NotAnAppError(f"`{base}` does not exist", hint=f"pass an app directory {how}")
    if not is_app_dir(base):
        raise NotAnAppError(
            f"`{base}` is not an eggbin app (none of {WHAT_AN_APP_HAS})",
            hint=f"run this inside an app, pass its directory {how}, or create one with `eggbin init`",
        )
    return base


def load_app_info(base_dir: Path, env: ServerEnv | None = None) -> AppInfo:
    """Read the app's identity; `env` defaults to DESIGN.md §5 resolution."""
    base = base_dir.resolve()
    pkg = read_pyproject(base)
    env = env or resolve_env(base)
    home = Path(os.environ.get("EGG_HOME") or Path.home())
    name = str(pkg.get("project", {}).get("name") or base.name)
    root = base if env.name in LOCAL_ENVS else home
    return AppInfo(
        name=name, base_dir=base, env=env.name, env_source=env.source, root=root, home=home, pkg=pkg
    )
