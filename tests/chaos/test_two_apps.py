"""Two apps with one `[project] name`: each directory reaches its own cluster only."""

from __future__ import annotations

import json
import shutil
from pathlib import Path

import httpx

from tests.daemon.conftest import MakeApp, eggscripts, named, processes_titled
from tests.support import free_port


def test_a_same_named_app_elsewhere_is_not_this_apps_cluster(make_app: MakeApp, tmp_path: Path) -> None:
    first, _ = make_app("daemon_hello")
    title = named(first)
    second = tmp_path / "elsewhere"
    shutil.copytree(first, second)
    port = free_port()
    done = eggscripts("start", str(first), "--daemon", "--port", str(port), "--workers", "1")
    try:
        assert done.returncode == 0, done.stderr
        for command in ("status", "stop"):
            other = eggscripts(command, str(second))
            assert other.returncode == 0, other.stderr
            assert other.stderr.strip() == (
                f"no eggbin cluster is running for this app (`{title}` runs from `{first}`: "
                f"pass `--title {title}` to reach it)"
            )
        assert json.loads(eggscripts("status", str(second), "--json").stdout) == []
        assert httpx.get(f"http://127.0.0.1:{port}/", timeout=5).status_code == 200
        refused = eggscripts("start", str(second), "--daemon", "--port", str(free_port()))
        assert refused.returncode == 1
        assert f"the title `{title}` is taken by the app in `{first}`" in refused.stderr
        assert "start this app with another --title" in refused.stderr
        assert [c["title"] for c in json.loads(eggscripts("status", str(first), "--json").stdout)] == [title]
        assert eggscripts("stop", str(first)).returncode == 0
        assert processes_titled(title) == []
    finally:
        for proc in processes_titled(title):
            proc.kill()
