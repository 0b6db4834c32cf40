"""The generated app's image, built and run the way Docker would, with no Docker engine.

The wheelhouse is made with the generated README's `pip wheel` line; the Dockerfile's build stage runs
line by line in a fresh venv (see `tests/e2e/dockerfile.py`); then its CMD runs as PID 1 of new PID, mount
and network namespaces (`unshare`), as the image's non-root user, and must serve, answer its HEALTHCHECK,
reap orphans that land on it, and exit 0 after SIGTERM with an in-flight request answered.

Needs root (or unprivileged user namespaces) for `unshare`; where that is refused the test is skipped and
says so.
"""

from __future__ import annotations

import contextlib
import os
import re
import shlex
import shutil
import signal
import subprocess
import sys
import tempfile
from collections.abc import Iterator
from pathlib import Path

import psutil
import pytest

from eggbin.daemon.locate import role_of
from eggbin.scaffold import ScaffoldRequest, scaffold
from tests.e2e.dockerfile import Builder, Image
from tests.support import REPO, kill_tree, wait_until

pytestmark = pytest.mark.slow

SLOW_CONTROLLER = """
import asyncio
from pathlib import Path

from eggbin import Controller


class SlowController(Controller):
    async def index(self):
        Path("run/slow-started").write_text("")  # the test waits for this before it sends SIGTERM
        await asyncio.sleep(float(self.ctx.query.get("s", "1")))
        self.ctx.body = "slow done"
"""
CLIENT = """
import sys, urllib.error, urllib.request
try:
    with urllib.request.urlopen(sys.argv[1], timeout=60) as r:
        print(r.status, r.read().decode())
except urllib.error.HTTPError as e:
    print(e.code, e.read().decode())
"""
UID = 10001


def namespaces_allowed() -> str | None:
    """Why the PID-namespace test cannot run here, or None."""
    for tool in ("unshare", "nsenter", "setpriv", "ip"):
        if shutil.which(tool) is None:
            return f"`{tool}` is not installed"
    done = subprocess.run(
        ["unshare", "--pid", "--fork", "--mount-proc", "--net", "true"], capture_output=True, text=True
    )
    if done.returncode != 0:
        return f"`unshare --pid --fork --mount-proc --net` is not permitted here: {done.stderr.strip()}"
    return None


def base_python() -> str | None:
    """An interpreter outside any private directory (the image's user must run it) with venv."""
    for candidate in ("/usr/bin/python3", getattr(sys, "_base_executable", sys.executable)):
        probe = [
            "setpriv",
            f"--reuid={UID}",
            f"--regid={UID}",
            "--clear-groups",
            candidate,
            "-c",
            "import venv",
        ]
        if os.path.exists(candidate) and subprocess.run(probe, capture_output=True).returncode == 0:
            return candidate
    return None


@pytest.fixture
def container_root() -> Iterator[Path]:
    """Outside pytest's tmp dir, which is 0700: the image's user must reach its files."""
    root = Path(tempfile.mkdtemp(prefix="eggbin-image-"))
    root.chmod(0o755)
    try:
        yield root
    finally:
        shutil.rmtree(root, ignore_errors=True)


def generated_app(context: Path) -> None:
    scaffold(ScaffoldRequest(target=context, name="shop", author="Ada"))
    (context / "app" / "controller" / "slow.py").write_text(SLOW_CONTROLLER)
    router = context / "app" / "router.py"
    router.write_text(router.read_text() + '    app.router.get("/slow", app.controller.slow.index)\n')


def wheelhouse(context: Path) -> None:
    """The generated README's `pip wheel` line, with this checkout as the eggbin to wheel."""
    readme = (context / "README.md").read_text()
    line = next(line for line in readme.splitlines() if line.startswith("pip wheel "))
    command = shlex.split(line.split("#")[0].replace("/path/to/eggbin", str(REPO)))
    done = subprocess.run([sys.executable, "-m", *command], cwd=context, capture_output=True, text=True)
    assert done.returncode == 0, done.stderr
    assert [p.name.split("-")[0] for p in (context / "wheels").iterdir()] == ["eggbin"]


def in_netns(pid: int, argv: list[str], user: bool = False, **kwargs: object) -> list[str]:
    """`argv` inside the network namespace of `pid` (as the image's user when asked)."""
    as_user = ["setpriv", f"--reuid={UID}", f"--regid={UID}", "--clear-groups"] if user else []
    return ["nsenter", f"--target={pid}", "--net", *as_user, *argv]


def get(pid: int, path: str) -> str:
    done = subprocess.run(
        in_netns(pid, [sys.executable, "-c", CLIENT, f"http://127.0.0.1:7001{path}"]),
        capture_output=True,
        text=True,
        timeout=60,
    )
    return done.stdout.strip()


def healthy(pid: int, image: Image) -> bool:
    """The image's HEALTHCHECK command, as written, as its user."""
    done = subprocess.run(
        in_netns(pid, image.healthcheck, user=True), env=image.env, cwd=image.workdir, capture_output=True
    )
    return done.returncode == 0


def became_master(init: psutil.Process) -> bool:
    """The foreground start replaced itself with the master: PID 1 is the master, no CLI stays behind."""
    found = role_of(init)
    return found is not None and found[1] == "master"


def exec_done(init: psutil.Process) -> bool:
    """PID 1 became the CMD (`python …/eggscripts start`, then `python -m eggbin.cluster`, then the
    master's title), past `sh` and `setpriv` which exec it."""
    argv = init.cmdline()
    python = len(argv) > 1 and Path(argv[0]).name.startswith("python")
    return (python and (argv[1].endswith("eggscripts") or argv[1] == "-m")) or became_master(init)


def same_pid_namespace(pid: int, init: int) -> bool:
    try:
        return os.readlink(f"/proc/{pid}/ns/pid") == os.readlink(f"/proc/{init}/ns/pid")
    except OSError:
        return False


def zombies_in(init: int) -> list[int]:
    found = []
    for proc in psutil.process_iter(["status"]):
        if proc.info["status"] == psutil.STATUS_ZOMBIE and same_pid_namespace(proc.pid, init):
            found.append(proc.pid)
    return found


def production_install_without_toolchain(image: Image, cwd: Path, pip_cache: Path) -> None:
    """The image's venv is a production install: everything imports, the toolchain says what it lacks."""
    python = str(Path(image.env["VIRTUAL_ENV"]) / "bin" / "python")

    def run(*argv: str) -> subprocess.CompletedProcess[str]:
        return subprocess.run(argv, cwd=cwd, env=image.env, capture_output=True, text=True, timeout=300)

    modules = "eggbin.cli, eggbin.daemon.start, eggbin.cluster.worker, eggbin.cluster.agent, eggbin.testing"
    assert run(python, "-c", f"import {modules}").returncode == 0
    dev = run("eggbin", "dev")
    assert dev.returncode == 1
    assert dev.stderr.count("\n") == 1, dev.stderr
    assert "install it with `pip install 'eggbin[dev]'`" in dev.stderr
    # the pytest11 entry point is there but nothing loads it without pytest; with pytest it loads cleanly
    assert run(python, "-c", "import pytest").returncode == 1
    assert run(python, "-m", "pip", "install", "--cache-dir", str(pip_cache), "pytest").returncode == 0
    loaded = run(python, "-m", "pytest", "--co", "-q", "shop")  # the plugin loads through pytest11
    assert loaded.returncode == 0, loaded.stdout + loaded.stderr
    assert "5 tests collected" in loaded.stdout


def test_the_image_builds_serves_as_pid_1_and_stops_cleanly(
    tmp_path: Path, container_root: Path, tmp_path_factory: pytest.TempPathFactory
) -> None:
    reason = namespaces_allowed()
    if reason:
        pytest.skip(f"the PID-1 container test needs namespaces: {reason}")
    python = base_python()
    if python is None:
        pytest.skip(f"no Python with venv that uid {UID} may run (the image's user)")
    context = tmp_path / "shop"
    generated_app(context)
    wheelhouse(context)
    pip_cache = tmp_path_factory.getbasetemp().parent / "pip-cache"
    image = Builder(context, container_root, python, {"PIP_CACHE_DIR": str(pip_cache)}).build(
        context / "Dockerfile"
    )
    venv = Path(image.env["VIRTUAL_ENV"])
    # the build stage: the app and its dependencies installed, without the toolchain, no wheels left
    listed = subprocess.run([venv / "bin" / "python", "-m", "pip", "list"], capture_output=True, text=True)
    installed = {line.split()[0].lower() for line in listed.stdout.splitlines()[2:]}
    assert {"shop", "eggbin", "uvicorn", "starlette"} <= installed
    assert not installed & {"pytest", "coverage", "cookiecutter", "watchfiles", "debugpy"}
    assert not (image.workdir / "wheels").exists()
    assert not (image.workdir / "tests").exists()  # .dockerignore
    # the final stage: its RUN lines make the user and its run/ dir, emulated here
    assert any(f"useradd --uid {UID}" in line for line in image.skipped), image.skipped
    assert image.user == (UID, UID)
    home = container_root / "home" / "app"
    for directory, mode in ((home, 0o755), (image.workdir / "run", 0o700)):
        directory.mkdir(parents=True, exist_ok=True)
        directory.chmod(mode)
        os.chown(directory, UID, UID)
    assert image.cmd[:2] == ["eggscripts", "start"]
    assert image.stopsignal == "SIGTERM"
    env = {**image.env, "HOME": str(home)}
    user = ["setpriv", f"--reuid={UID}", f"--regid={UID}", "--clear-groups"]
    exec_cmd = " ".join(shlex.quote(part) for part in [*user, *image.cmd])
    log = (tmp_path / "container.log").open("wb")
    unshare = subprocess.Popen(
        [
            "unshare",
            "--pid",
            "--fork",
            "--mount-proc",
            "--net",
            "sh",
            "-c",
            f"ip link set lo up && exec {exec_cmd}",
        ],
        cwd=image.workdir,
        env=env,
        stdout=log,
        stderr=subprocess.STDOUT,
        start_new_session=True,
    )
    output = (tmp_path / "container.log").read_text
    try:
        init = wait_until(lambda: next(iter(psutil.Process(unshare.pid).children()), None), what="PID 1")
        wait_until(lambda: exec_done(init), what=f"the CMD to be exec'd: {output()}")
        assert init.uids().real == UID
        with open(f"/proc/{init.pid}/status") as status:
            assert re.search(r"^NSpid:\s+\d+\s+1$", status.read(), re.M), "the CMD is not PID 1"
        wait_until(lambda: healthy(init.pid, image), timeout=120, what=f"the HEALTHCHECK to pass: {output()}")
        assert get(init.pid, "/") == "200 hi, egg"
        assert became_master(init), init.cmdline()
        assert get(init.pid, "/livez") == '200 {"status": "live"}'

        # an orphan reparented to PID 1 (its parent entered the namespace from outside, then exited)
        subprocess.run(["nsenter", f"--target={init.pid}", "--pid", "sh", "-c", "sleep 1 &"], check=True)
        orphan = wait_until(
            lambda: next((p for p in init.children() if p.name() == "sleep"), None),
            what="the orphaned sleep to be PID 1's child",
        )
        wait_until(lambda: not psutil.pid_exists(orphan.pid), timeout=15, what="PID 1 to reap the orphan")
        assert zombies_in(init.pid) == []

        slow = subprocess.Popen(
            in_netns(init.pid, [sys.executable, "-c", CLIENT, "http://127.0.0.1:7001/slow?s=7"]),
            stdout=subprocess.PIPE,
            text=True,
        )
        wait_until(
            lambda: (image.workdir / "run" / "slow-started").exists(), what="the slow request to start"
        )
        os.kill(init.pid, signal.SIGTERM)
        # 503 while draining (tests/cluster/test_health_drain.py times it), refused once closed: unhealthy
        wait_until(lambda: not healthy(init.pid, image), timeout=10, what="the HEALTHCHECK to fail")
        assert unshare.wait(60) == 0, output()
        assert slow.communicate(timeout=30)[0].strip() == "200 slow done"
        assert "draining for 5 s" in output()
        production_install_without_toolchain(image, tmp_path, pip_cache)
    finally:
        kill_tree(unshare)
        log.close()
        with contextlib.suppress(NameError):
            slow.kill()  # type: ignore[possibly-undefined]
