"""`eggbin.cluster.become`: when a CLI process may become (or fork) the master, and the fork's handle.

Each case runs in a fresh interpreter: the verdict depends on what that process imported and how many
threads it runs, and the test process itself (pytest, xdist) must not fork.
"""

from __future__ import annotations

import json
import subprocess
import sys
import textwrap
from pathlib import Path

import pytest

pytestmark = pytest.mark.skipif(not sys.platform.startswith("linux"), reason="Linux only (pidfds, prctl)")

VERDICTS = """
    import json, sys, threading, time
    from eggbin.cluster.become import unfit
    from eggbin.cluster.options import ClusterOptions

    options = ClusterOptions(base_dir="/tmp", port=7001, title="egg-server-x")
    seen = {"fresh": unfit(options)}
    seen["debugger"] = unfit(ClusterOptions(base_dir="/tmp", port=7001, title="t", debug_port=9229))
    seen["same python"] = unfit(options, sys.executable)
    seen["other python"] = unfit(options, "/usr/bin/false")
    seen["long title"] = unfit(ClusterOptions(base_dir="/tmp", port=7001, title="t" * 5000))
    stop = threading.Event()
    thread = threading.Thread(target=stop.wait)
    thread.start()
    seen["a thread"] = unfit(options)
    stop.set()
    thread.join()  # the kernel may list its task a moment longer
    deadline = time.monotonic() + 10
    while unfit(options) is not None and time.monotonic() < deadline:
        time.sleep(0.001)
    seen["thread joined"] = unfit(options)
    import click
    seen["click"] = unfit(options)
    print(json.dumps(seen))
"""


def run_python(code: str, env: dict[str, str] | None = None) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-c", textwrap.dedent(code)], capture_output=True, text=True, timeout=60, env=env
    )


def test_fit_unless_a_debugger_another_python_a_thread_the_cli_s_imports_or_the_title_say_no() -> None:
    done = run_python(VERDICTS)
    assert done.returncode == 0, done.stderr
    seen = json.loads(done.stdout)
    assert seen == {
        "fresh": None,
        "debugger": "a debugger needs a new interpreter (-Xfrozen_modules=off)",
        "same python": None,
        "other python": "--python `/usr/bin/false`",
        "long title": "no room for the process title",
        "a thread": "threads are running",
        "thread joined": None,
        "click": "click imported",
    }


def test_no_room_in_a_small_environment_for_a_title_that_fits_with_the_usual_one(tmp_path: Path) -> None:
    script = tmp_path / "title.py"  # a file, not `-c`: the code would lengthen the command line
    script.write_text(
        textwrap.dedent(
            """
            import setproctitle
            from eggbin.cluster.become import title_fits
            title = "egg-server-" + "x" * 100
            fits = title_fits(title)
            setproctitle.setproctitle(f"{title} worker 9999 --title={title}")
            with open("/proc/self/cmdline", "rb") as cmdline:
                print(fits, cmdline.read().rstrip(b"\\0").endswith(f"--title={title}".encode()))
            """
        )
    )
    usual = subprocess.run([sys.executable, script], capture_output=True, text=True, timeout=60)
    assert usual.stdout.split() == ["True", "True"], usual.stderr
    small = subprocess.run(
        [sys.executable, script], capture_output=True, text=True, timeout=60, env={"LANG": "C"}
    )  # (with no variable at all, setproctitle sets no title whatever its length)
    assert small.stdout.split() == ["False", "False"], small.stderr  # setproctitle cut it short


def test_a_forked_master_s_handle_polls_waits_with_a_deadline_and_reports_its_code() -> None:
    code = """
        import os, subprocess, time
        from eggbin.cluster.become import ForkedMaster

        read, write = os.pipe()
        pid = os.fork()
        if pid == 0:
            os.read(read, 1)  # exits when told to
            os._exit(3)
        child = ForkedMaster(pid)
        assert child.poll() is None
        began = time.monotonic()
        try:
            child.wait(0.2)
        except subprocess.TimeoutExpired:
            waited = time.monotonic() - began
        assert 0.2 <= waited < 5, waited
        os.write(write, b"x")
        print(child.wait(30), child.poll(), child.returncode)
    """
    done = run_python(code)
    assert done.returncode == 0, done.stderr
    assert done.stdout.split() == ["3", "3", "3"]
