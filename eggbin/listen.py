"""Where a cluster listens: flags, then `config.cluster.listen` (egg-cluster's keys), then the default.

    --path P                      a unix socket (egg: `listen.path`); not with --host / --port
    --host H / --port N           TCP; a flag missing takes `listen.hostname` / `listen.port`
    neither                       `listen.path` if the app sets it, else TCP on hostname / port

The command's default host is `eggscripts start`'s 0.0.0.0 (egg listens on every interface) or
`eggbin dev`'s 127.0.0.1. Values set by eggbin's own defaults do not count as configured: only the
app, its plugins or its framework configure. The start banner shows each value with its source.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

from msgspec import Struct

from eggbin.errors import BootError, UsageError
from eggbin.web.preview import AppPreview

DEFAULT_PORT = 7001


class Listen(Struct, frozen=True):
    """A resolved address and where each part came from."""

    host: str = "127.0.0.1"
    port: int | None = None  # None: the command picks (eggbin dev: the first free port from 7001)
    path: str | None = None
    sources: tuple[tuple[str, str], ...] = ()  # ("host", "default"), ("port", "config/prod.py") …

    def describe(self) -> str:
        """`unix:/srv/shop.sock (path from config/prod.py)` or `0.0.0.0:8080 (host from default, …)`."""
        where = f"unix:{self.path}" if self.path else f"{self.host}:{self.port}"
        return f"{where} ({', '.join(f'{part} from {source}' for part, source in self.sources)})"


def resolve_listen(
    flags: Listen, app: AppPreview, base_dir: Path, default_host: str, default_port: int | None
) -> Listen:
    """`flags` (None where not given) over the app's `config.cluster.listen`, over the defaults."""
    if flags.path and (flags.port is not None or flags.host):
        raise UsageError("--path listens on a unix socket: it cannot be combined with --host or --port")
    if flags.path:
        return Listen(path=str(Path(flags.path).absolute()), sources=(("path", "--path"),))
    configured_path = app.configured("cluster.listen.path")
    if configured_path and flags.port is None and not flags.host:
        path, origin = configured_path
        return Listen(path=str(base_dir / str(path)), sources=(("path", _short(origin, base_dir)),))
    host, host_source = _pick(flags.host, "--host", app.configured("cluster.listen.hostname"), base_dir)
    port, port_source = _pick(flags.port, "--port", app.configured("cluster.listen.port"), base_dir)
    return Listen(
        host=str(host or default_host),
        port=_port(port, port_source) if port is not None else default_port,
        sources=(("host", host_source or "default"), ("port", port_source or "default")),
    )


def _pick(flag: Any, name: str, configured: tuple[Any, str] | None, base_dir: Path) -> tuple[Any, str | None]:
    if flag is not None and flag != "":
        return flag, name
    if configured:
        return configured[0], _short(configured[1], base_dir)
    return None, None


def _port(value: Any, source: str | None) -> int:
    """A TCP port, or an error naming where the bad value was set."""
    try:
        port = int(value)
    except (TypeError, ValueError):
        port = -1
    if not 0 < port < 65536:
        raise BootError(
            f"config `cluster.listen.port` is `{value}` (set in `{source}`): not a TCP port (1-65535)"
        )
    return port


def _short(origin: str, base_dir: Path) -> str:
    """`config/prod.py` for the app's own files, the full path for a plugin's or framework's."""
    path = Path(origin)
    return str(path.relative_to(base_dir)) if path.is_relative_to(base_dir) else origin
