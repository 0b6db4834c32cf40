"""Metrics across a real 2-worker cluster: a scrape of either worker sums both; a killed worker's
counts stay (counted once), its live gauges leave, its slot's restart shows; `run/metrics/` is the
master's: wiped at start, removed at stop."""

from __future__ import annotations

import os
import signal
import stat
from collections import Counter
from pathlib import Path

import httpx
import pytest
from prometheus_client.parser import text_string_to_metric_families

from tests.cluster.running import Running, running
from tests.support import wait_until

PID_OK = (("method", "GET"), ("route", "/pid"), ("status", "200"))


def scrape(url: str) -> dict[str, dict[tuple[tuple[str, str], ...], float]]:
    """Every sample of a scrape: name -> sorted labels -> value."""
    response = httpx.get(f"{url}/metrics", timeout=10)
    assert response.status_code == 200, response.text
    found: dict[str, dict[tuple[tuple[str, str], ...], float]] = {}
    for family in text_string_to_metric_families(response.text):
        for sample in family.samples:
            found.setdefault(sample.name, {})[tuple(sorted(sample.labels.items()))] = sample.value
    return found


def requests_total(url: str) -> dict[tuple[tuple[str, str], ...], float]:
    return scrape(url).get("eggbin_http_requests_total", {})


def spread_requests(url: str, total: int) -> Counter[int]:
    """`total` GET /pid, each on a new connection; how many each worker answered."""
    answered: Counter[int] = Counter()
    for _ in range(total):
        answered[httpx.get(f"{url}/pid", timeout=10).json()["pid"]] += 1
    return answered


def both_workers_answer(cluster: Running, answered: Counter[int]) -> bool:
    answered.update(spread_requests(cluster.url, 10))
    return set(answered) >= cluster.worker_pids()


def enable_metrics(tmp_path: Path) -> Path:
    app_dir = tmp_path / "cluster_basic"
    (app_dir / "config").mkdir(parents=True)
    (app_dir / "config" / "plugin.py").write_text('plugins = {"metrics": True}\n')
    stale = app_dir / "run" / "metrics"
    stale.mkdir(parents=True)
    (stale / "counter_1.db").write_bytes(b"left by a cluster killed with -9")
    return app_dir


@pytest.mark.slow
def test_a_scrape_sums_every_worker_and_survives_a_killed_one(tmp_path: Path) -> None:
    app_dir = enable_metrics(tmp_path)
    with running(tmp_path, workers=2) as cluster:
        metrics_dir = app_dir / "run" / "metrics"
        assert not (metrics_dir / "counter_1.db").exists()  # the master wiped the last cluster's files
        answered: Counter[int] = Counter()
        wait_until(lambda: both_workers_answer(cluster, answered), timeout=60, what="both workers to answer")
        assert httpx.get(f"{cluster.url}/no/such/{os.getpid()}", timeout=10).status_code == 404
        sent = sum(answered.values())
        # each worker writes its counts out every `config.metrics.interval` (0.5 s): then every scrape,
        # whichever worker answers it, shows both workers' counts
        not_found = (("method", "GET"), ("route", "<unmatched>"), ("status", "404"))
        wait_until(  # the 404's worker may write its counts out after the other's
            lambda: (lambda c: c.get(PID_OK) == sent and c.get(not_found) == 1)(requests_total(cluster.url)),
            what=f"{sent} requests and the 404 counted",
        )
        for _ in range(4):
            counts = requests_total(cluster.url)
            assert counts[PID_OK] == sent
            assert counts[not_found] == 1
        assert stat.S_IMODE(metrics_dir.stat().st_mode) == 0o700
        assert {f"counter_{pid}.db" for pid in answered} <= set(os.listdir(metrics_dir))

        victim = next(w for w in cluster.state()["workers"] if w["pid"] in answered)
        os.kill(victim["pid"], signal.SIGKILL)
        wait_until(
            lambda: len(cluster.worker_pids()) == 2 and victim["pid"] not in cluster.worker_pids(),
            timeout=60,
            what="the killed worker's replacement",
        )
        assert not (metrics_dir / f"gauge_livesum_{victim['pid']}.db").exists()  # marked dead
        after = scrape(cluster.url)
        assert after["eggbin_http_requests_total"][PID_OK] == sent  # its counts are kept, once
        assert after["eggbin_http_requests_in_flight"] == {(): 0}
        restarts = after["eggbin_worker_restarts"]
        assert restarts[(("worker", str(victim["id"])),)] == 1
        assert sum(restarts.values()) == 1
        more = sum(spread_requests(cluster.url, 10).values())
        wait_until(
            lambda: requests_total(cluster.url)[PID_OK] == sent + more, what="the new requests counted"
        )

        cluster.process.signal(signal.SIGTERM)
        assert cluster.process.wait(30) == 0
        assert not metrics_dir.exists()  # removed with the cluster
