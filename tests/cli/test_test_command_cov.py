"""`eggbin cov` end to end: reports, thresholds, project settings, and coverage from cluster workers."""

from __future__ import annotations

from pathlib import Path

import pytest

from tests.cli.test_test_command import PASSING, eggbin, make_app

CLUSTER_ONLY = 'def test_user(cluster):\n    assert cluster().http.get("/user/7").json()["id"] == "7"\n'
# A test that runs the app as `eggbin dev` does: master, zygote, and workers forked from the zygote.
DEV_SERVER = """
import os, signal, socket, subprocess, time

import httpx


def test_user_through_eggbin_dev(tmp_path):
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port = sock.getsockname()[1]
    log = open(tmp_path / "dev.log", "wb")
    command = ["eggbin", "dev", "--port", str(port)]
    dev = subprocess.Popen(command, stdout=log, stderr=log, start_new_session=True)
    try:
        deadline = time.monotonic() + 60
        while True:
            try:
                assert httpx.get(f"http://127.0.0.1:{port}/user/7", timeout=5).json()["id"] == "7"
                break
            except httpx.HTTPError:
                assert time.monotonic() < deadline, (tmp_path / "dev.log").read_text()
                time.sleep(0.1)
        dev.send_signal(signal.SIGTERM)
        assert dev.wait(30) == 0
    finally:
        os.killpg(dev.pid, signal.SIGKILL) if dev.poll() is None else None
"""


def lcov_hits(lcov: Path, source: str) -> dict[int, int]:
    """Line → hit count of one file in an lcov report."""
    hits: dict[int, int] = {}
    current = None
    for line in lcov.read_text().splitlines():
        if line.startswith("SF:"):
            current = line[3:]
        elif line.startswith("DA:") and current is not None and current.endswith(source):
            number, count = line[3:].split(",")[:2]
            hits[int(number)] = int(count)
    return hits


def line_of(file: Path, text: str) -> int:
    return next(i for i, line in enumerate(file.read_text().splitlines(), 1) if text in line)


def test_writes_every_default_report_under_coverage(tmp_path: Path) -> None:
    app = make_app(tmp_path, {"test_home.py": PASSING})
    done = eggbin("cov", cwd=app)
    assert done.returncode == 0, done.stdout + done.stderr
    assert "app/controller/home.py" in done.stdout  # the terminal summary
    for report in ("html/index.html", "coverage.xml", "lcov.info", ".coverage"):
        assert (app / "coverage" / report).is_file(), report
    assert "tests/" not in (app / "coverage" / "lcov.info").read_text()


def test_fail_under_decides_the_exit_code(tmp_path: Path) -> None:
    app = make_app(tmp_path, {"test_home.py": PASSING})
    done = eggbin("cov", "--fail-under", "100", "--report", "term", cwd=app)
    assert done.returncode == 1
    assert "is below --fail-under 100%" in done.stderr
    assert eggbin("cov", "--fail-under", "10", "--report", "json", cwd=app).returncode == 0
    assert (app / "coverage" / "coverage.json").is_file()


def test_project_settings_and_exclude_are_respected(tmp_path: Path) -> None:
    app = make_app(tmp_path, {"test_home.py": PASSING})
    with (app / "pyproject.toml").open("a") as pyproject:
        pyproject.write('\n[tool.coverage.run]\nomit = ["app/service/*"]\n')
    done = eggbin("cov", "--exclude", "config/*", "--report", "term", cwd=app)
    assert done.returncode == 0, done.stderr
    assert "app/controller/home.py" in done.stdout
    assert "app/service/user.py" not in done.stdout
    assert "config/default.py" not in done.stdout


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (("--report", "pdf"), "error: unknown --report `pdf`; choose from term, html, xml, lcov, json"),
        (("--fail-under", "101"), "error: --fail-under must be between 0 and 100, got `101`"),
    ],
)
def test_bad_input_is_one_line_and_exit_2(tmp_path: Path, args: tuple[str, ...], message: str) -> None:
    app = make_app(tmp_path, {"test_home.py": PASSING})
    done = eggbin("cov", *args, cwd=app)
    assert done.returncode == 2
    assert message in done.stderr
    assert not (app / "coverage").exists()


@pytest.mark.slow
@pytest.mark.parametrize("test", [CLUSTER_ONLY, DEV_SERVER], ids=["cluster-fixture", "eggbin-dev-forks"])
def test_worker_lines_hit_through_a_cluster_are_covered(tmp_path: Path, test: str) -> None:
    """Spawned workers (the `cluster` fixture) and workers forked from the zygote (`eggbin dev`) alike."""
    app = make_app(tmp_path, {"test_cluster.py": test})
    done = eggbin("cov", "--report", "lcov", cwd=app)
    assert done.returncode == 0, done.stdout + done.stderr
    home = app / "app" / "controller" / "home.py"
    hits = lcov_hits(app / "coverage" / "lcov.info", "app/controller/home.py")
    # only the worker process ran this handler: the test process never booted the app
    assert hits[line_of(home, "await self.ctx.service.user.find")] > 0
    assert hits[line_of(home, 'self.ctx.body = "hi, egg"')] == 0
    service = lcov_hits(app / "coverage" / "lcov.info", "app/service/user.py")
    assert service[line_of(app / "app" / "service" / "user.py", "return {")] > 0
