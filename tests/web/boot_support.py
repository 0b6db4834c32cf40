"""Booting fixture apps for the boot-side tests: real files in the test's tmp dir, real boots, real HTTP.

Apps are copied under `<tmp>/apps/<name>` (boots write `run/` and `logs/` beside them) next to a
`<tmp>/plugins` link to `tests/fixtures/plugins`, so `"path": "../../plugins/x"` entries resolve.
Installed-style plugins and frameworks are imported from `tests/fixtures/{plugins,frameworks}` put on
`sys.path` by the `fixture_packages` fixture.
"""

from __future__ import annotations

import shutil
import textwrap
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from pathlib import Path
from typing import Any

import httpx

from eggbin.errors import BootError
from eggbin.web.env import ServerEnv
from eggbin.web.framework import create_app

FIXTURES = Path(__file__).resolve().parent.parent / "fixtures"
PLUGINS = FIXTURES / "plugins"
FRAMEWORKS = FIXTURES / "frameworks"


def copy_app(name: str, tmp_path: Path) -> Path:
    """`tests/fixtures/apps/<name>` copied to `<tmp>/apps/<name>`."""
    base = tmp_path / "apps" / name
    shutil.copytree(FIXTURES / "apps" / name, base, ignore=shutil.ignore_patterns("__pycache__"))
    link = tmp_path / "plugins"
    if not link.exists():
        link.symlink_to(PLUGINS)
    return base


def write_app(base: Path, files: dict[str, str], name: str = "tmp-app") -> Path:
    """A minimal app (pyproject, a router with `/`) plus `files` (relative path → source)."""
    defaults = {
        "pyproject.toml": f'[project]\nname = "{name}"\nversion = "0.0.0"\n',
        "app/router.py": "def router(app):\n    app.router.get('/', lambda ctx: ctx.app.name)\n",
    }
    for relative, source in {**defaults, **files}.items():
        path = base / relative
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(textwrap.dedent(source).lstrip("\n"), encoding="utf-8")
    return base


async def boot(base: Path, env: str = "unittest", role: str = "app", framework: str | None = None) -> Any:
    app = create_app(role, base, ServerEnv(env, "test"), framework)
    await app.boot()
    return app


@asynccontextmanager
async def serving(base: Path, env: str = "unittest", framework: str | None = None) -> AsyncIterator[Any]:
    """The booted app and an `httpx.AsyncClient` bound to it; closed on the way out."""
    app = await boot(base, env, framework=framework)
    try:
        transport = httpx.ASGITransport(app)
        async with httpx.AsyncClient(transport=transport, base_url="http://127.0.0.1") as client:
            yield app, client
    finally:
        await app.close()


async def boot_error(
    base: Path, env: str = "unittest", role: str = "app", framework: str | None = None
) -> str:
    """The one-line message of the `BootError` booting `base` raises (fails the test if it boots)."""
    app = None
    try:
        app = create_app(role, base, ServerEnv(env, "test"), framework)
        await app.boot()
    except BootError as exc:
        return str(exc)
    finally:
        if app is not None:
            app._close_loggers()
    raise AssertionError(f"`{base}` booted, but a BootError was expected")


def add_fixture_packages(monkeypatch: Any) -> None:
    """Make the fixture plugins and frameworks importable by their package names."""
    monkeypatch.syspath_prepend(str(PLUGINS))
    monkeypatch.syspath_prepend(str(FRAMEWORKS))
