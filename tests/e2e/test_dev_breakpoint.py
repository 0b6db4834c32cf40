"""`breakpoint()` under `eggbin dev` on a real terminal (a pty): pdb in the terminal, then Ctrl-C stops all.

pexpect makes the pty the controlling terminal of a new session, so `sendintr()` is a real Ctrl-C: the
terminal sends SIGINT to the whole foreground process group (CLI, master, zygote, agent, workers).
"""

from __future__ import annotations

import sys
import threading
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import httpx
import pexpect
import psutil
import pytest

from tests.devserver.running import copy_app
from tests.support import all_gone, descendants, free_port, wait_until

pytestmark = pytest.mark.slow
PDB = r"\(Pdb\) "


@contextmanager
def dev_on_a_terminal(app: Path, port: int, workers: int) -> Iterator[pexpect.spawn]:
    """`eggbin dev` with a pty as its terminal; killed with everything it started at the end."""
    args = ["-m", "eggbin", "dev", "--port", str(port), "--workers", str(workers)]
    child = pexpect.spawn(
        sys.executable, args, cwd=str(app), timeout=60, encoding="utf-8", dimensions=(40, 200)
    )
    try:
        child.expect(r"serving on http://127\.0\.0\.1:\d+")
        yield child
    finally:
        for proc in [*descendants(child.pid)]:
            proc.kill()
        child.close(force=True)


class Request(threading.Thread):
    """One GET in a thread: the handler may stop at a breakpoint for as long as the test types."""

    def __init__(self, url: str) -> None:
        super().__init__(daemon=True)
        self.url = url
        self.response: httpx.Response | None = None

    def run(self) -> None:
        self.response = httpx.get(self.url, timeout=60)


def test_breakpoint_opens_pdb_in_the_terminal_and_ctrl_c_still_stops_the_cluster(tmp_path: Path) -> None:
    app, port = copy_app(tmp_path, "dev_breakpoint"), free_port()
    with dev_on_a_terminal(app, port, workers=1) as terminal:
        tree = descendants(terminal.pid)
        request = Request(f"http://127.0.0.1:{port}/pause")
        request.start()
        terminal.expect(r"\[worker#1:\d+\] paused in pdb; `c` continues")
        terminal.expect_exact("(Pdb) ")
        terminal.sendline('answer = "set in pdb"')
        terminal.expect_exact("(Pdb) ")
        terminal.sendline("c")
        request.join(30)
        assert request.response is not None
        assert request.response.status_code == 200
        assert request.response.json()["answer"] == "set in pdb"
        # still serving, and the worker was not taken for a hung one while it waited in pdb
        assert httpx.get(f"http://127.0.0.1:{port}/", timeout=10).status_code == 200
        terminal.sendintr()  # Ctrl-C
        terminal.expect(pexpect.EOF, timeout=30)
        terminal.wait()
        assert terminal.exitstatus == 0, terminal.before
        wait_until(lambda: all_gone(tree), timeout=10, what="every cluster process to exit")
    assert "heartbeat" not in (terminal.before or "")


def test_with_more_workers_one_holds_the_terminal_and_the_others_say_so(tmp_path: Path) -> None:
    app, port = copy_app(tmp_path, "dev_breakpoint"), free_port()
    with dev_on_a_terminal(app, port, workers=2) as terminal:
        terminal.expect_exact("breakpoint() opens pdb here in worker#1 only")
        skipped = paused = False
        for _ in range(40):  # fresh connections land on either worker; both are seen long before that
            if skipped and paused:
                break
            request = Request(f"http://127.0.0.1:{port}/pause")
            request.start()
            seen = terminal.expect([r"\[worker#2:\d+\] breakpoint\(\) at \S+home\.py:\d+ skipped: ", PDB])
            if seen == 0:
                terminal.expect_exact("only worker#1 holds the terminal")
                skipped = True
            else:
                terminal.sendline("c")
                paused = True
            request.join(30)
            assert request.response is not None
            assert request.response.status_code == 200
        assert skipped, "no request reached worker#2"
        assert paused, "no request reached worker#1"
        terminal.sendintr()
        terminal.expect(pexpect.EOF, timeout=30)
        terminal.wait()
        assert terminal.exitstatus == 0
    assert (
        not psutil.pid_exists(terminal.pid) or psutil.Process(terminal.pid).status() == psutil.STATUS_ZOMBIE
    )
