"""The health plugin in one process: probe paths, statuses and methods, before any middleware or route."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

import pytest

from eggbin.errors import BootError
from tests.web.conftest import Booted

DENY_ALL = """
def deny(options, app):
    async def middleware(ctx, next):
        app.seen.append(ctx.path)
        ctx.status = 401
        ctx.body = "no"

    return middleware
"""
DENY_BOOT = """
class Boot:
    def __init__(self, app):
        app.seen = []
"""


def deny_everything(base: Path) -> None:
    """An app whose own middleware refuses every request and a route that matches every path."""
    (base / "app" / "middleware").mkdir(parents=True)
    (base / "app" / "middleware" / "deny.py").write_text(DENY_ALL)
    (base / "app.py").write_text(DENY_BOOT)
    (base / "config" / "default.py").write_text('config = {"keys": "k", "middleware": ["deny"]}\n')
    router = base / "app" / "router.py"
    router.write_text(router.read_text() + '    app.router.get("/:anything", app.controller.home.index)\n')


def with_config(text: str) -> Callable[[Path], None]:
    def edit(base: Path) -> None:
        (base / "config" / "default.py").write_text(f"config = {text}\n")

    return edit


def test_liveness_answers_and_readiness_waits_for_egg_ready(boot_app: Callable[..., Booted]) -> None:
    booted = boot_app("daemon_hello")
    live = booted.http.get("/livez")
    assert (live.status_code, live.json()) == (200, {"status": "live"})
    assert live.headers["content-type"] == "application/json"
    assert live.headers["cache-control"] == "no-store"
    starting = booted.http.get("/readyz")
    assert (starting.status_code, starting.json()) == (503, {"status": "starting"})
    booted.run(booted.app.server_did_ready())  # what `egg-ready` does in a worker
    ready = booted.http.get("/readyz")
    assert (ready.status_code, ready.json()) == (200, {"status": "ready"})
    assert booted.app.health.ready


def test_readiness_turns_503_when_the_master_announces_a_stop(boot_app: Callable[..., Booted]) -> None:
    booted = boot_app("daemon_hello")
    booted.run(booted.app.server_did_ready())
    booted.app.messenger.emit("cluster-stopping", {"drain_delay": 5})
    stopping = booted.http.get("/readyz")
    assert (stopping.status_code, stopping.json()) == (503, {"status": "stopping"})
    assert booted.http.get("/livez").status_code == 200  # still alive: no restart while draining
    assert booted.http.get("/").status_code == 200  # and still serving


def test_probes_run_before_the_apps_middleware_routes_and_events(boot_app: Callable[..., Booted]) -> None:
    booted = boot_app("daemon_hello", edit=deny_everything)
    booted.run(booted.app.server_did_ready())
    events: list[str] = []
    booted.app.on("request", lambda ctx: events.append(ctx.path))
    assert booted.http.get("/livez").status_code == 200
    assert booted.http.get("/readyz").status_code == 200
    assert booted.app.seen == []
    assert events == []  # no context, so no request event and no context log line
    assert booted.http.get("/other").status_code == 401
    assert booted.app.seen == ["/other"]
    assert booted.http.get("/readyz/").status_code == 401  # exact paths only


def test_head_gets_no_body_and_other_methods_405(boot_app: Callable[..., Booted]) -> None:
    booted = boot_app("daemon_hello")
    head = booted.http.head("/livez")
    assert (head.status_code, head.content) == (200, b"")
    post = booted.http.post("/livez")
    assert post.status_code == 405
    assert post.headers["allow"] == "GET, HEAD"


def test_paths_are_configurable_and_empty_turns_a_probe_off(boot_app: Callable[..., Booted]) -> None:
    edit = with_config('{"keys": "k", "health": {"liveness_path": "/-/alive", "readiness_path": ""}}')
    booted = boot_app("daemon_hello", edit=edit)
    assert booted.http.get("/-/alive").json() == {"status": "live"}
    assert booted.http.get("/livez").status_code == 404
    assert booted.http.get("/readyz").status_code == 404
    assert booted.app.health.drain_delay == 0


def test_the_plugin_can_be_turned_off(boot_app: Callable[..., Booted]) -> None:
    def edit(base: Path) -> None:
        (base / "config" / "plugin.py").write_text('plugins = {"health": False}\n')

    booted = boot_app("daemon_hello", edit=edit)
    assert booted.http.get("/livez").status_code == 404
    assert not hasattr(booted.app, "health")


@pytest.mark.parametrize(
    ("health", "message"),
    [
        ('{"drain_delay": -1}', "`config.health.drain_delay` must be seconds >= 0, got `-1`"),
        ('{"drain_delay": "5s"}', "`config.health.drain_delay` must be seconds >= 0, got `'5s'`"),
        ('{"readiness_path": "readyz"}', "`config.health.readiness_path` must be a path starting with `/`"),
        ('{"readiness_path": "/livez"}', "`config.health` gives liveness and readiness one path, `/livez`"),
    ],
)
def test_bad_health_config_fails_the_boot_naming_the_file(
    boot_app: Callable[..., Booted], health: str, message: str
) -> None:
    with pytest.raises(BootError) as failed:
        boot_app("daemon_hello", edit=with_config(f'{{"keys": "k", "health": {health}}}'))
    assert message in str(failed.value)
    assert "config/default.py" in str(failed.value)
