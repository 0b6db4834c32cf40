"""The metrics plugin in app workers: the scrape endpoint, request timing and the loop-lag sampler."""

from __future__ import annotations

import asyncio
import contextlib
from typing import Any

from eggbin.web.builtin.plugins.metrics.options import metrics_options
from eggbin.web.builtin.plugins.metrics.store import multiprocess_dir, use_multiprocess


class Boot:
    def __init__(self, app: Any) -> None:
        self.app = app
        self.sampler: asyncio.Task[None] | None = None

    async def did_load(self) -> None:
        app = self.app

        def where(key: str) -> str:
            origin = app.config_meta.get(f"metrics.{key}" if key else "metrics")
            return f" (set in `{origin}`)" if origin else ""

        options = metrics_options(app.config.get("metrics"), where)
        clustered = bool(app.cluster_key)  # a cluster's worker: the workers share `run/metrics/`
        if clustered:
            use_multiprocess(multiprocess_dir(app.base_dir))
        from eggbin.web.builtin.plugins.metrics.recording import Instrumented, every_interval
        from eggbin.web.builtin.plugins.metrics.scrape import Scrape
        from eggbin.web.builtin.plugins.metrics.store import Metrics

        metrics = app.metrics = Metrics(options.buckets, clustered)
        if clustered:
            metrics.restarts.labels(str(app.worker_slot)).set(app.worker_restarts)
        app.add_probe(options.path, Scrape(metrics, options.allow))
        app.wrap_requests(lambda inner: Instrumented(inner, metrics, app.router))
        self.sampler = asyncio.create_task(every_interval(metrics, options.interval))

    async def before_close(self) -> None:
        if self.sampler is not None:
            self.sampler.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await self.sampler
            self.app.metrics.flush()  # a graceful stop loses no count
