"""`eggscripts start` defers msgspec's unused submodules before it imports msgspec: its process, or a fork
of it, may become the master, whose start to the first worker is one serial chain of imports."""

from __future__ import annotations

import json
import subprocess
import sys

# a fresh interpreter: `eggscripts start`'s action, the start itself stubbed after msgspec's import
START_ACTION = """
import json, sys, types
from pathlib import Path
stub = types.ModuleType("eggbin.daemon.start")
def start(options):
    import msgspec  # as the real module does, for its records
    from eggbin.cluster.lazy_modules import is_loaded
    loaded = [is_loaded("msgspec.json"), is_loaded("msgspec.inspect")]
    print(json.dumps([*loaded, msgspec.json.encode([1]).decode()]))
    return 0
stub.StartOptions = lambda **fields: fields
stub.start = start
sys.modules["eggbin.daemon.start"] = stub
from eggbin.cli import actions
sys.exit(actions.start(Path(".")))
"""


def test_the_start_action_imports_msgspec_without_its_unused_submodules() -> None:
    done = subprocess.run([sys.executable, "-c", START_ACTION], capture_output=True, text=True, timeout=60)
    assert done.returncode == 0, done.stderr
    assert json.loads(done.stdout.splitlines()[-1]) == [False, False, "[1]"]
