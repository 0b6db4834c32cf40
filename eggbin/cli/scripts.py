"""`eggscripts start / stop / status / reload`: the production process manager."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import typer

from eggbin.cli.options import Env, Framework, Host, Port, Title
from eggbin.errors import NotAvailableYet

BaseDir = Annotated[Path, typer.Argument(help="The app's directory.", show_default="current directory")]


def start(
    base: BaseDir = Path("."),
    daemon: Annotated[
        bool, typer.Option("--daemon", help="Detach and return once the app is ready.")
    ] = False,
    title: Title = None,
    workers: Annotated[
        int | None, typer.Option("--workers", "-c", help="Workers (default: usable CPUs).")
    ] = None,
    port: Port = None,
    host: Host = "0.0.0.0",
    env: Env = None,
    framework: Framework = None,
    stdout: Annotated[Path | None, typer.Option(help="Daemon stdout file.")] = None,
    stderr: Annotated[Path | None, typer.Option(help="Daemon stderr file.")] = None,
    timeout: Annotated[float, typer.Option(help="Seconds to wait for `egg-ready`.")] = 300,
    ignore_stderr: Annotated[bool, typer.Option(help="Do not show boot-time stderr.")] = False,
    python: Annotated[Path | None, typer.Option(help="Python interpreter to run the cluster with.")] = None,
    pid_file: Annotated[Path | None, typer.Option(help="Write the master's pid here.")] = None,
) -> None:
    """Start the app's cluster in the prod env (foreground unless --daemon).

    Examples:

      eggscripts start --daemon --title=egg-server-shop

      EGG_SERVER_ENV=staging eggscripts start ./shop --workers 4
    """
    raise NotAvailableYet("eggscripts start")


def stop(
    base: BaseDir = Path("."),
    title: Title = None,
    timeout: Annotated[float, typer.Option(help="Seconds before leftovers are killed.")] = 5,
    all: Annotated[bool, typer.Option("--all", help="Stop every eggbin cluster on this host.")] = False,
) -> None:
    """Stop the app's cluster and wait until every process is gone and the port is free.

    Examples:

      eggscripts stop

      eggscripts stop --title=egg-server-shop
    """
    raise NotAvailableYet("eggscripts stop")


def status(
    base: BaseDir = Path("."),
    all: Annotated[bool, typer.Option("--all", help="Every eggbin cluster on this host.")] = False,
    json: Annotated[bool, typer.Option("--json", help="Machine-readable output.")] = False,
) -> None:
    """Show master, agent and workers with pid, uptime, memory and restarts.

    Examples:

      eggscripts status

      eggscripts status --all --json
    """
    raise NotAvailableYet("eggscripts status")


def reload(base: BaseDir = Path(".")) -> None:
    """Replace the workers one by one without dropping a request.

    Examples:

      eggscripts reload
    """
    raise NotAvailableYet("eggscripts reload")
