"""The metrics and where their values live: this process's memory, or the cluster's `run/metrics/`.

prometheus_client picks multiprocess mode when it is imported, from `PROMETHEUS_MULTIPROC_DIR`: the
plugin sets that variable before its first import (in a worker nothing imported it yet).

A request only adds to plain Python numbers (`record`); `flush` writes them to the metrics, every
`config.metrics.interval` seconds, before this worker answers a scrape and when it stops. Writing each
request through (five locked mmap writes, each with a getpid) cost a quarter of a hello request's CPU;
batched it costs next to nothing, and a worker killed with -9 loses at most one interval of counts.
"""

from __future__ import annotations

import os
import sys
from bisect import bisect_left
from collections.abc import Sequence
from pathlib import Path
from typing import Any

from eggbin.errors import BootError
from eggbin.private_files import private_dir

UNMATCHED = "<unmatched>"  # the route label of every request no route matched
LABELS = ("method", "route", "status")
MULTIPROC_VAR = "PROMETHEUS_MULTIPROC_DIR"


def multiprocess_dir(base_dir: Path) -> Path:
    """The cluster's directory (the master wipes it at start: `eggbin.cluster.metrics_dir`)."""
    return base_dir / "run" / "metrics"


def use_multiprocess(path: Path) -> None:
    """Point prometheus_client at `path` (created 0700) before it is imported."""
    values = sys.modules.get("prometheus_client.values")
    if values is not None and values.ValueClass is values.MutexValue:
        raise BootError(
            "prometheus_client was imported before the metrics plugin started, so this worker's "
            "metrics would not reach the others'",
            hint="import prometheus_client inside functions of app code, not in config files",
        )
    private_dir(path)
    os.environ[MULTIPROC_VAR] = os.fspath(path)


class Metrics:
    """`app.metrics`: the request, loop and restart metrics, and the registry a scrape reads."""

    def __init__(self, buckets: Sequence[float], multiprocess: bool) -> None:
        from prometheus_client import CollectorRegistry, Counter, Gauge, Histogram

        own = None if multiprocess else CollectorRegistry()  # in a cluster the files are the registry
        self.requests = Counter(
            "eggbin_http_requests",
            "HTTP requests answered, by method, route and status",
            LABELS,
            registry=own,
        )
        self.duration = Histogram(
            "eggbin_http_request_duration_seconds",
            "Time from request to the end of the response, by method, route and status",
            LABELS,
            buckets=buckets,
            registry=own,
        )
        self.in_flight = Gauge(
            "eggbin_http_requests_in_flight",
            "Requests being answered",
            multiprocess_mode="livesum",
            registry=own,
        )
        self.loop_lag = Gauge(
            "eggbin_event_loop_lag_seconds",
            "How late the event loop ran a timer at the last sample (the worst live worker)",
            multiprocess_mode="livemax",
            registry=own,
        )
        self.restarts = Gauge(
            "eggbin_worker_restarts",
            "How often the master respawned the worker of this slot since the cluster started",
            ["worker"],
            multiprocess_mode="max",
            registry=own,
        )
        self.registry: Any = own
        if multiprocess:
            from prometheus_client import multiprocess as mp

            self.registry = CollectorRegistry()
            mp.MultiProcessCollector(self.registry)  # type: ignore[no-untyped-call]
        self.bounds = tuple(buckets)
        self.in_flight_now = 0
        self._series: dict[tuple[str, str, str], tuple[Any, Any]] = {}
        self._pending: dict[tuple[str, str, str], list[Any]] = {}  # key -> [count, seconds, per bucket]

    def record(self, method: str, route: str, status: str, seconds: float) -> None:
        """One answered request, kept in this process until the next `flush`."""
        key = (method, route, status)
        pending = self._pending.get(key)
        if pending is None:
            pending = self._pending[key] = [0, 0.0, [0] * (len(self.bounds) + 1)]
        pending[0] += 1
        pending[1] += seconds
        pending[2][bisect_left(self.bounds, seconds)] += 1  # the first bucket whose bound >= seconds

    def flush(self) -> None:
        """Write what `record` kept, and the requests in flight, to the metrics (the files, in a cluster)."""
        self.in_flight.set(self.in_flight_now)
        pending, self._pending = self._pending, {}
        for key, (count, seconds, buckets) in pending.items():
            series = self._series.get(key)
            if series is None:  # label children cached: their number is bounded by the routes
                series = self._series[key] = (self.requests.labels(*key), self.duration.labels(*key))
            series[0].inc(count)
            # Histogram.observe adds one sample; its sum and (non-cumulative) buckets take a batch
            series[1]._sum.inc(seconds)
            for index, added in enumerate(buckets):
                if added:
                    series[1]._buckets[index].inc(added)

    def exposition(self) -> tuple[bytes, str]:
        """The text a scrape gets, and its content type."""
        from prometheus_client import CONTENT_TYPE_LATEST, generate_latest

        self.flush()
        return generate_latest(self.registry), CONTENT_TYPE_LATEST
