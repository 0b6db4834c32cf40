"""`eggscripts start / stop / status / reload`: the production process manager."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import typer

from eggbin.cli.options import Env, Framework, Port, Title

BaseDir = Annotated[Path, typer.Argument(help="The app's directory.", show_default="current directory")]
HttpsKey = Annotated[Path | None, typer.Option("--https-key", help="PEM private key: serve HTTPS.")]
HttpsCert = Annotated[Path | None, typer.Option("--https-cert", help="PEM certificate for --https-key.")]


def start(
    base: BaseDir = Path("."),
    daemon: Annotated[
        bool, typer.Option("--daemon", help="Detach and return once the app is ready.")
    ] = False,
    title: Title = None,
    workers: Annotated[
        int | None, typer.Option("--workers", "-c", min=1, help="Workers (default: usable CPUs).")
    ] = None,
    port: Port = None,
    host: Annotated[
        str | None,
        typer.Option(
            "--host", help="Address to bind (default: `config.cluster.listen.hostname`, else 0.0.0.0)."
        ),
    ] = None,
    path: Annotated[
        str | None,
        typer.Option("--path", help="Listen on this unix socket (default: `config.cluster.listen.path`)."),
    ] = None,
    env: Env = None,
    framework: Framework = None,
    stdout: Annotated[
        Path | None, typer.Option(help="Daemon stdout file (default ~/logs/master-stdout.log).")
    ] = None,
    stderr: Annotated[
        Path | None, typer.Option(help="Daemon stderr file (default ~/logs/master-stderr.log).")
    ] = None,
    timeout: Annotated[float, typer.Option(min=0, help="Seconds to wait for `egg-ready`.")] = 300,
    worker_timeout: Annotated[
        float | None,
        typer.Option(
            min=0, help="Seconds without a heartbeat before a worker is replaced (0: off; default 30)."
        ),
    ] = None,
    ignore_stderr: Annotated[
        bool, typer.Option(help="Do not show what the app wrote to stderr at boot.")
    ] = False,
    pid_file: Annotated[Path | None, typer.Option(help="Write the master's pid here.")] = None,
    python: Annotated[str | None, typer.Option(help="Python interpreter to run the cluster with.")] = None,
    https_key: HttpsKey = None,
    https_cert: HttpsCert = None,
) -> None:
    """Start the app's cluster in the prod env (foreground unless --daemon).

    The env is --env, else `config/env`, else EGG_SERVER_ENV, else prod (NODE_ENV is not asked).
    It listens on --path, or --host/--port, else `config.cluster.listen`, else 0.0.0.0:7001.
    HTTPS: --https-key and --https-cert, else `config.cluster.https` ({"key", "cert"}); port 8443 by default.

    Examples:

      eggscripts start --daemon --title=egg-server-shop

      EGG_SERVER_ENV=staging eggscripts start ./shop --workers 4 --host 127.0.0.1

      eggscripts start --https-key=tls/server.key --https-cert=tls/server.crt
    """
    from eggbin.cli.parse_cache import invoke

    raise typer.Exit(
        invoke(
            "eggscripts start",
            base=base,
            daemon=daemon,
            title=title,
            workers=workers,
            port=port,
            host=host,
            path=path,
            env=env,
            framework=framework,
            stdout=stdout,
            stderr=stderr,
            timeout=timeout,
            worker_timeout=worker_timeout,
            ignore_stderr=ignore_stderr,
            pid_file=pid_file,
            python=python,
            https_key=https_key,
            https_cert=https_cert,
        )
    )


def stop(
    base: BaseDir = Path("."),
    title: Title = None,
    timeout: Annotated[
        float,
        typer.Option(min=0, help="Seconds before workers still serving are killed (the agent still closes)."),
    ] = 5,
    all: Annotated[bool, typer.Option("--all", help="Stop every eggbin cluster on this host.")] = False,
) -> None:
    """Stop the app's cluster and wait until every process is gone and the port is free.

    Examples:

      eggscripts stop

      eggscripts stop --title=egg-server-shop
    """
    from eggbin.cli.parse_cache import invoke

    raise typer.Exit(invoke("eggscripts stop", base=base, title=title, timeout=timeout, all=all))


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
    from eggbin.cli.parse_cache import invoke

    raise typer.Exit(invoke("eggscripts status", base=base, all=all, json=json))


def reload(
    base: BaseDir = Path("."),
    timeout: Annotated[
        float, typer.Option(min=0, help="Seconds to wait for every worker to be replaced.")
    ] = 60,
) -> None:
    """Replace the workers one by one without dropping a request.

    Examples:

      eggscripts reload
    """
    from eggbin.cli.parse_cache import invoke

    raise typer.Exit(invoke("eggscripts reload", base=base, timeout=timeout))
