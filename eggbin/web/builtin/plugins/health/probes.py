"""The probes' state and their ASGI endpoints (bare ASGI: no context, middleware, router or log line)."""

from __future__ import annotations

import json
from collections.abc import Callable, Mapping
from typing import TYPE_CHECKING

from eggbin.errors import BootError

if TYPE_CHECKING:
    from starlette.types import Receive, Scope, Send

METHODS = (b"GET", b"HEAD")
STOPPING_ACTION = "cluster-stopping"  # the master's word that a graceful stop began


class Health:
    """`app.health`: whether this worker should get traffic, and how long a stop drains."""

    def __init__(self, liveness_path: str, readiness_path: str, drain_delay: float) -> None:
        self.liveness_path = liveness_path
        self.readiness_path = readiness_path
        self.drain_delay = drain_delay
        self.ready = False  # set at `egg-ready` (server_did_ready)
        self.stopping = False  # set the moment the master begins a graceful stop

    @property
    def readiness(self) -> str:
        if self.stopping:
            return "stopping"
        return "ready" if self.ready else "starting"

    async def liveness_endpoint(self, scope: Scope, receive: Receive, send: Send) -> None:
        await respond(scope, send, 200, "live")

    async def readiness_endpoint(self, scope: Scope, receive: Receive, send: Send) -> None:
        status = self.readiness
        await respond(scope, send, 200 if status == "ready" else 503, status)


def health_from_config(options: object, where: Callable[[str], str]) -> Health:
    """Check `config.health`; `where(key)` names the file that set `health.<key>` for the error."""
    if not isinstance(options, Mapping):
        raise BootError(f"`config.health` must be a dict{where('')}")
    paths = []
    for key in ("liveness_path", "readiness_path"):
        path = options.get(key) or ""
        if path and (not isinstance(path, str) or not path.startswith("/")):
            raise BootError(
                f"`config.health.{key}` must be a path starting with `/`, got `{path!r}`{where(key)}"
            )
        paths.append(path)
    if paths[0] and paths[0] == paths[1]:
        raise BootError(
            f"`config.health` gives liveness and readiness one path, `{paths[0]}`{where('readiness_path')}"
        )
    delay = options.get("drain_delay", 0)
    if isinstance(delay, bool) or not isinstance(delay, int | float) or delay < 0:
        raise BootError(
            f"`config.health.drain_delay` must be seconds >= 0, got `{delay!r}`{where('drain_delay')}"
        )
    return Health(paths[0], paths[1], float(delay))


async def respond(scope: Scope, send: Send, status: int, text: str) -> None:
    method = scope.get("method", "GET").encode()
    if method not in METHODS:
        status, text = 405, "method not allowed"
    body = json.dumps({"status": text}).encode()
    headers = [
        (b"content-type", b"application/json"),
        (b"content-length", str(len(body)).encode()),
        (b"cache-control", b"no-store"),
    ]
    if status == 405:
        headers.append((b"allow", b"GET, HEAD"))
    await send({"type": "http.response.start", "status": status, "headers": headers})
    await send({"type": "http.response.body", "body": b"" if method == b"HEAD" else body})
