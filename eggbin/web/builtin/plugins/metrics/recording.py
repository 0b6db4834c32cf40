"""What the plugin measures: every request (an ASGI layer around the app) and the event loop's lag."""

from __future__ import annotations

import asyncio
import time
from typing import TYPE_CHECKING

from eggbin.web.builtin.plugins.metrics.store import UNMATCHED, Metrics

if TYPE_CHECKING:
    from starlette.types import ASGIApp, Message, Receive, Scope, Send

    from eggbin.web.router import Router

# a request's method is the client's to choose: any other is counted as `OTHER`
METHODS = frozenset({"GET", "HEAD", "POST", "PUT", "PATCH", "DELETE", "OPTIONS", "CONNECT", "TRACE"})


class Instrumented:
    """Counts and times each HTTP request, labelled by the route the router matched (`scope["route"]`)."""

    def __init__(self, inner: ASGIApp, metrics: Metrics, router: Router) -> None:
        self.inner, self.metrics, self.router = inner, metrics, router

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.inner(scope, receive, send)
            return
        status = 500  # what uvicorn answers when the app fails before starting a response

        async def send_status(message: Message) -> None:
            nonlocal status
            if message["type"] == "http.response.start":
                status = message["status"]
            await send(message)

        metrics = self.metrics
        metrics.in_flight_now += 1
        started = time.perf_counter()
        try:
            await self.inner(scope, receive, send_status)
        finally:
            elapsed = time.perf_counter() - started
            metrics.in_flight_now -= 1
            method = scope["method"] if scope["method"] in METHODS else "OTHER"
            metrics.record(method, self.route_label(scope), str(status), elapsed)

    def route_label(self, scope: Scope) -> str:
        route = scope.get("route")
        label = getattr(route, "shown_path", None)
        if isinstance(label, str):
            return label
        mount = self.router.mount_for(scope["path"]) if self.router.mounts else None
        return f"{mount.prefix}/*" if mount is not None else UNMATCHED


async def every_interval(metrics: Metrics, interval: float) -> None:
    """Every `interval` s: how much later than asked the loop woke this task (a busy loop is late), and
    the counts of the last interval written out for the other workers' scrapes."""
    loop = asyncio.get_running_loop()
    while True:
        before = loop.time()
        await asyncio.sleep(interval)
        metrics.loop_lag.set(max(0.0, loop.time() - before - interval))
        metrics.flush()
