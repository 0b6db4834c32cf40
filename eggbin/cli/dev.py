"""`eggbin dev` and `eggbin debug`: run the app as a local cluster."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import typer

from eggbin.cli.options import Base, Env, Framework, Host, Port, Workers


def dev(
    base: Base = Path("."),
    port: Port = None,
    workers: Workers = 1,
    host: Host = None,
    env: Env = None,
    framework: Framework = None,
) -> None:
    """Run the app locally: master, agent and workers on 127.0.0.1:7001 (or the first free port).

    --host/--port win, then `config.cluster.listen` (hostname, port, or a unix socket `path`).

    Examples:

      eggbin dev

      eggbin dev --port 8080 --workers 2
    """
    from eggbin.cli.parse_cache import invoke

    flags = {"port": port, "workers": workers, "host": host, "env": env, "framework": framework}
    raise typer.Exit(invoke("eggbin dev", base=base, **flags))


def debug(
    base: Base = Path("."),
    port: Port = None,
    workers: Workers = 1,
    host: Host = None,
    env: Env = None,
    framework: Framework = None,
    debug_port: Annotated[
        int, typer.Option(min=1, max=65535, help="Port the app worker's debugger listens on.")
    ] = 9229,
    debug_host: Annotated[str, typer.Option(help="Address the debugger binds.")] = "127.0.0.1",
    brk: Annotated[bool, typer.Option("--brk", help="Wait for a debugger before the app loads.")] = False,
) -> None:
    """Run `eggbin dev` with debugpy: attach VS Code ("attach", connect.port 9229) to the app worker.

    The agent gets its own free port; a table of ports is printed. 9229 is Node's inspector port,
    kept for egg parity (debugpy's usual one is 5678). Heartbeat kills are off while debugging.

    Examples:

      eggbin debug

      eggbin debug --brk --debug-port 5678
    """
    from eggbin.cli.parse_cache import invoke

    flags = {"port": port, "workers": workers, "host": host, "env": env, "framework": framework}
    debugger = {"debug_port": debug_port, "debug_host": debug_host, "brk": brk}
    raise typer.Exit(invoke("eggbin debug", base=base, **flags, **debugger))
