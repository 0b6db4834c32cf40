"""A child the zygote's middle process forked waits to be the master's before it binds its parent-death
signal (`die_with_parent`): woken when the middle exits, not by polling its parent."""

from __future__ import annotations

import json
import subprocess
import sys

import pytest

# a fresh interpreter as the master (a subreaper); its middle process forks one child and exits 0.2 s
# later; the child, with `time.sleep` forbidden, waits for the adoption and reports its parent
ADOPTION = """
import json, os, sys, time
from eggbin.cluster import process
from eggbin.cluster.zygote import _become_subreaper
assert _become_subreaper()
master_pid = os.getpid()
read_end, write_end = os.pipe()
middle = os.fork()
if middle == 0:
    child = os.fork()
    if child == 0:
        def no_polling(seconds):
            raise AssertionError(f"polled its parent (sleep {seconds})")
        process.time.sleep = no_polling
        began = time.monotonic()
        try:
            process.die_with_parent(master_pid, os.getppid())
            report = {"ppid": os.getppid(), "waited": time.monotonic() - began}
        except BaseException as exc:
            report = {"error": repr(exc)}
        os.write(write_end, json.dumps(report).encode())
        os._exit(0)
    time.sleep(0.2)
    os._exit(0)
os.close(write_end)
os.waitpid(middle, 0)
with os.fdopen(read_end) as pipe:
    report = json.loads(pipe.read())
os.wait()
report["master"] = master_pid
print(json.dumps(report))
"""


@pytest.mark.skipif(not sys.platform.startswith("linux"), reason="subreapers and pidfds are Linux's")
def test_a_forked_child_is_woken_by_its_middle_process_exit_not_by_polling() -> None:
    done = subprocess.run([sys.executable, "-c", ADOPTION], capture_output=True, text=True, timeout=60)
    assert done.returncode == 0, done.stderr
    report = json.loads(done.stdout.splitlines()[-1])
    assert "error" not in report, report["error"]
    assert report["ppid"] == report["master"]  # re-parented before the signal was bound
    assert report["waited"] >= 0.1  # it did wait for the middle process
