"""The metrics plugin in one process: opt-in, route labels (never raw paths), the endpoint's guard."""

from __future__ import annotations

import subprocess
import sys
from collections.abc import Callable
from pathlib import Path

import pytest
from prometheus_client.parser import text_string_to_metric_families

from eggbin.errors import BootError
from tests.web.conftest import Booted

ROUTES = """
def router(app):
    app.router.get("/", app.controller.home.index)
    app.router.get("/user/:id", app.controller.home.index)
    app.router.get("item", "/item/{id:int}", app.controller.home.index)
"""


def metrics_on(config: str = '{"keys": "k"}') -> Callable[[Path], None]:
    def edit(base: Path) -> None:
        (base / "config" / "plugin.py").write_text('plugins = {"metrics": True}\n')
        (base / "config" / "default.py").write_text(f"config = {config}\n")
        (base / "app" / "router.py").write_text(ROUTES)

    return edit


def samples(text: str, name: str) -> dict[tuple[tuple[str, str], ...], float]:
    """`name`'s samples by their sorted labels."""
    found = {}
    for family in text_string_to_metric_families(text):
        for sample in family.samples:
            if sample.name == name:
                found[tuple(sorted(sample.labels.items()))] = sample.value
    return found


def requests(booted: Booted) -> dict[tuple[tuple[str, str], ...], float]:
    scrape = booted.http.get("/metrics")
    assert scrape.status_code == 200, scrape.text
    return samples(scrape.text, "eggbin_http_requests_total")


def test_requests_are_counted_by_route_pattern_method_and_status(boot_app: Callable[..., Booted]) -> None:
    booted = boot_app("daemon_hello", edit=metrics_on())
    for path in ("/", "/user/1", "/user/2", "/user/3/", "/item/7"):
        assert booted.http.get(path).status_code == 200
    assert booted.http.get("/item/x").status_code == 404  # no route: `{id:int}` does not match
    assert booted.http.post("/user/1").status_code == 403  # csrf refuses it before the router
    counts = requests(booted)
    assert counts == {
        (("method", "GET"), ("route", "/"), ("status", "200")): 1,
        (("method", "GET"), ("route", "/user/:id"), ("status", "200")): 3,
        (("method", "GET"), ("route", "/item/{id:int}"), ("status", "200")): 1,
        (("method", "GET"), ("route", "<unmatched>"), ("status", "404")): 1,
        (("method", "POST"), ("route", "<unmatched>"), ("status", "403")): 1,
    }
    text = booted.http.get("/metrics").text
    bucket = samples(text, "eggbin_http_request_duration_seconds_count")
    assert bucket[(("method", "GET"), ("route", "/user/:id"), ("status", "200"))] == 3
    assert samples(text, "eggbin_http_requests_in_flight") == {(): 0}
    assert "eggbin_event_loop_lag_seconds" in text
    assert booted.http.get("/metrics").headers["content-type"].startswith("text/plain; version=")


def test_random_paths_and_methods_land_in_one_bounded_series(boot_app: Callable[..., Booted]) -> None:
    booted = boot_app("daemon_hello", edit=metrics_on())
    statuses = set()
    for n in range(50):
        statuses.add(booted.http.request("GET" if n % 2 else f"X{n}", f"/scan/{n}/etc/passwd{n}").status_code)
    counts = requests(booted)
    assert {dict(labels)["route"] for labels in counts} == {"<unmatched>"}
    assert {dict(labels)["method"] for labels in counts} == {"GET", "OTHER"}
    assert len(counts) <= 2 * len(statuses)
    assert sum(counts.values()) == 50
    assert "/scan" not in booted.http.get("/metrics").text


def test_the_endpoint_is_no_route_and_is_not_counted(boot_app: Callable[..., Booted]) -> None:
    booted = boot_app("daemon_hello", edit=metrics_on())
    events: list[str] = []
    booted.app.on("request", lambda ctx: events.append(ctx.path))
    booted.http.get("/metrics")
    booted.http.get("/livez")
    assert requests(booted) == {}
    assert events == []  # no context: no request event, no log line per scrape
    head = booted.http.head("/metrics")
    assert (head.status_code, head.content) == (200, b"")
    post = booted.http.post("/metrics")
    assert (post.status_code, post.headers["allow"]) == (405, "GET, HEAD")


def test_only_allowed_peers_may_scrape(boot_app: Callable[..., Booted]) -> None:
    booted = boot_app("daemon_hello", edit=metrics_on('{"keys": "k", "metrics": {"allow": ["10.0.0.0/8"]}}'))
    refused = booted.http.get("/metrics")  # the test client is 127.0.0.1: not in the list
    assert (refused.status_code, refused.text) == (403, "forbidden: see config.metrics.allow\n")


def test_loopback_may_scrape_by_default_unless_a_proxy_relayed_it(boot_app: Callable[..., Booted]) -> None:
    default = boot_app("daemon_hello", edit=metrics_on())
    assert default.http.get("/metrics").status_code == 200
    for header in ("X-Forwarded-For", "Forwarded", "X-Real-IP"):
        relayed = default.http.get("/metrics", headers={header: "127.0.0.1"})
        assert relayed.status_code == 403, header


def test_the_path_is_configurable(boot_app: Callable[..., Booted]) -> None:
    booted = boot_app("daemon_hello", edit=metrics_on('{"keys": "k", "metrics": {"path": "/-/prom"}}'))
    assert booted.http.get("/-/prom").status_code == 200
    assert booted.http.get("/metrics").status_code == 404


@pytest.mark.parametrize(
    ("metrics", "message"),
    [
        ('{"path": "metrics"}', "`config.metrics.path` must be a path starting with `/`, got `'metrics'`"),
        ('{"allow": ["nowhere"]}', "`config.metrics.allow`: `nowhere` is not an address, a network"),
        ('{"interval": 0}', "`config.metrics.interval` must be seconds > 0, got `0`"),
        ('{"buckets": [1, 0.5]}', "`config.metrics.buckets` must be increasing seconds, got `[1, 0.5]`"),
    ],
)
def test_bad_metrics_config_fails_the_boot(
    boot_app: Callable[..., Booted], metrics: str, message: str
) -> None:
    with pytest.raises(BootError) as failed:
        boot_app("daemon_hello", edit=metrics_on(f'{{"keys": "k", "metrics": {metrics}}}'))
    assert message in str(failed.value)


OFF_PROBE = """
import asyncio, sys
from pathlib import Path
from eggbin.web.application import Application
from eggbin.web.env import ServerEnv

app = Application(Path(sys.argv[1]), ServerEnv("unittest", "test"))
asyncio.run(app.boot(write_run_files=False))
print("prometheus_client" in sys.modules, app._asgi is None, "metrics" in [p.name for p in app.plugins])
"""


def test_off_by_default_nothing_is_imported_and_no_layer_wraps_requests(tmp_path: Path) -> None:
    from tests.support import FIXTURE_APPS

    found = subprocess.run(
        [sys.executable, "-c", OFF_PROBE, str(FIXTURE_APPS / "daemon_hello")],
        capture_output=True,
        text=True,
        timeout=60,
        check=True,
    )
    assert found.stdout.split() == ["False", "True", "False"]
