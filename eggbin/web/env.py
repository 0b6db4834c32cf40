"""Which server env an app runs in, and where that choice came from (DESIGN.md §5).

Order: explicit `--env` → `config/env` file → `EGG_SERVER_ENV` → from `NODE_ENV`
(`test` → unittest, `production` → prod, anything else → local).
"""

from __future__ import annotations

import os
from collections.abc import Mapping
from pathlib import Path

from msgspec import Struct

NODE_ENV_MAP = {"test": "unittest", "production": "prod"}


class ServerEnv(Struct, frozen=True):
    name: str
    source: str

    def __str__(self) -> str:
        return f"{self.name} (from {self.source})"


def resolve_env(
    base_dir: Path, explicit: str | None = None, environ: Mapping[str, str] | None = None
) -> ServerEnv:
    """Resolve the env of the app in `base_dir`."""
    environ = os.environ if environ is None else environ
    if explicit:
        return ServerEnv(explicit, "--env")
    env_file = base_dir / "config" / "env"
    if env_file.is_file():
        name = env_file.read_text(encoding="utf-8").strip()
        if name:
            return ServerEnv(name, "config/env")
    if environ.get("EGG_SERVER_ENV"):
        return ServerEnv(environ["EGG_SERVER_ENV"], "EGG_SERVER_ENV")
    node_env = environ.get("NODE_ENV", "")
    if node_env:
        return ServerEnv(NODE_ENV_MAP.get(node_env, "local"), f"NODE_ENV={node_env}")
    return ServerEnv("local", "default")
