"""The master imports with the garbage collector off (its imports make next to no cyclic garbage, and a
collection costs the start ~8M instructions before the zygote's fork), and runs with it on; it leaves
out what only some apps need of it (`shutil` for an old metrics directory, `random` for a random worker),
and what the modules it imports import but use on rare paths only (msgspec's own JSON and inspection,
`locale` for `subprocess`'s text pipes)."""

from __future__ import annotations

import json
import subprocess
import sys

from eggbin.cluster.options import ClusterOptions, master_blob

# a fresh interpreter: the master's entry, stopped at its first check after the imports (a bad variable)
GC_AROUND_IMPORTS = """
import gc, json, os, sys
LEFT_OUT = ("shutil", "random", "msgspec.json", "msgspec.inspect", "locale")
import eggbin.cluster.__main__ as entry
seen = {"before": gc.isenabled()}
real_run_master = entry.run_master
def run_master(blob, zygote):
    seen["imports"] = gc.isenabled()
    try:
        real_run_master(blob, zygote)
    except SystemExit as exc:
        seen["exit"] = exc.code
    seen["after"] = gc.isenabled()
    from eggbin.cluster.lazy_modules import is_loaded
    seen["left out"] = [name for name in LEFT_OUT if not is_loaded(name)]
entry.run_master = run_master
os.environ["EGG_APP_CLOSE_TIMEOUT"] = "soon"
entry.run(sys.argv[1])
print(json.dumps(seen))
"""


def test_the_master_imports_without_collections_and_runs_with_them_and_leaves_out_some_modules() -> None:
    done = subprocess.run(
        [sys.executable, "-c", GC_AROUND_IMPORTS, master_blob(ClusterOptions(base_dir=".", port=0), -1)],
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert done.returncode == 0, done.stderr
    assert json.loads(done.stdout.splitlines()[-1]) == {
        "before": True,
        "imports": False,
        "exit": 1,
        "after": True,
        "left out": ["shutil", "random", "msgspec.json", "msgspec.inspect", "locale"],
    }
    assert "EGG_APP_CLOSE_TIMEOUT" in done.stderr  # the check it stopped at said why
