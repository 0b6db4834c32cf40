"""What a boot asks `collections.abc` is answered in the zygote: no child walks the ABCs' subclasses."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

from tests.cluster.running import copy_app

# a fresh interpreter: preload as the zygote does, then count the subclass walks (`_abc_subclasscheck`: a
# cache miss) of a worker's boot and of an agent's, as the zygote's children boot after their fork
BOOT_COUNTING_ABC_MISSES = """
import _abc, abc, asyncio, json, sys
from pathlib import Path
from eggbin.cluster import zygote_preload as zygote
zygote.preload_agent()
zygote.preload_worker()
asked = []
real_check = _abc._abc_subclasscheck
def check(cls, sub):
    asked.append(f"{sub.__name__} in {cls.__name__}")
    return real_check(cls, sub)
abc._abc_subclasscheck = check
from eggbin.web.env import resolve_env
from eggbin.web.framework import create_app
base = Path(sys.argv[1])
misses = {}
for role in ("app", "agent"):
    app = create_app(role, base, resolve_env(base, "unittest"), None)
    app.checks_settings = False  # as in a worker (the agent's check runs in a process of its own)
    asyncio.run(app.boot(write_run_files=False))
    app.core_logger.info("[test] a record with one %s argument", "str")
    misses[role], asked[:] = list(asked), []
print(json.dumps(misses))
"""


def test_a_boot_after_the_preload_finds_every_abc_answer_cached(tmp_path: Path) -> None:
    app_dir = copy_app(tmp_path, "cluster_basic")
    done = subprocess.run(
        [sys.executable, "-c", BOOT_COUNTING_ABC_MISSES, str(app_dir)],
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert done.returncode == 0, done.stderr
    assert json.loads(done.stdout.splitlines()[-1]) == {"app": [], "agent": []}
