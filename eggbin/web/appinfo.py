"""What an app is before anything of it is imported: its directory, pyproject, name and env."""

from __future__ import annotations

import os
import tomllib
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from eggbin.errors import BootError, NotAnAppError
from eggbin.web.env import ServerEnv, resolve_env

LOCAL_ENVS = ("local", "unittest")


@dataclass(frozen=True)
class AppInfo:
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


def is_app_dir(base_dir: Path) -> bool:
    """An app has `app/router.py`, or controllers that need none (decorated ones declare their routes)."""
    return (base_dir / "app" / "router.py").is_file() or (base_dir / "app" / "controller").is_dir()


def require_app_dir(base_dir: Path) -> Path:
    """The resolved app dir, or a one-line error naming what is missing."""
    base = base_dir.resolve()
    if not base.is_dir():
        raise NotAnAppError(f"`{base}` does not exist", hint="pass an app directory with --base")
    if not is_app_dir(base):
        raise NotAnAppError(
            f"`{base}` is not an eggbin app (no `app/router.py`)",
            hint="run this inside an app, pass --base DIR, or create one with `eggbin init`",
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
