"""Options declared once; commands compose them (`debug` is `dev` plus flags, `cov` is `test` plus flags)."""

from __future__ import annotations

from enum import StrEnum
from pathlib import Path
from typing import Annotated

import typer


class ProjectType(StrEnum):
    simple = "simple"
    plugin = "plugin"
    framework = "framework"


Base = Annotated[
    Path,
    typer.Option("--base", help="The app's directory.", show_default="current directory"),
]
Framework = Annotated[
    str | None,
    typer.Option(
        "--framework", help="Framework package to run the app on (default: `[tool.egg] framework`)."
    ),
]
Port = Annotated[
    int | None,
    typer.Option("--port", "-p", min=1, max=65535, help="Port (default: `config.cluster.listen.port`)."),
]
Host = Annotated[
    str | None, typer.Option("--host", help="Address to bind (default: `config.cluster.listen.hostname`).")
]
Workers = Annotated[int, typer.Option("--workers", "-c", min=1, help="Number of app workers.")]
Env = Annotated[str | None, typer.Option("--env", help="Server env (EGG_SERVER_ENV).")]
Title = Annotated[
    str | None, typer.Option("--title", help="Process title token (default `egg-server-<name>`).")
]
