"""Boot time with and without the settings check: a fixture app booted in a fresh process, median of N.

    python bench/settings_boot.py [--runs 20] [--app daemon_hello] [--before /path/to/other/checkout]

Each run is a new interpreter started in the tree's directory (so that tree's `eggbin` is imported),
timing `import eggbin.web.framework` + `create_app` + `boot()` (imports included, as a spawned worker
pays them); runs of the two trees alternate so machine load hits both alike.
Prints a table and writes bench/results/settings_boot.json.
"""

from __future__ import annotations

import argparse
import json
import os
import shutil
import statistics
import subprocess
import sys
import tempfile
from pathlib import Path

HERE = Path(__file__).resolve().parent.parent
KINDS = ("wall", "cpu")
ONE_BOOT = """
import asyncio, sys, time
from pathlib import Path
started, cpu = time.perf_counter(), time.process_time()
from eggbin.web.env import ServerEnv
from eggbin.web.framework import create_app

async def main():
    app = create_app("app", Path(sys.argv[1]), ServerEnv("prod", "bench"), None)
    await app.boot(write_run_files=False)
    took, cpu_took = time.perf_counter() - started, time.process_time() - cpu
    await app.close()
    print(took, cpu_took)

asyncio.run(main())
"""


def one_boot(tree: Path, base: Path) -> tuple[float, float]:
    """(wall, CPU) seconds of one boot in a new interpreter; a loaded machine distorts CPU time least."""
    env = {k: v for k, v in os.environ.items() if k != "PYTHONDONTWRITEBYTECODE"}  # users have bytecode
    env["EGG_HOME"] = str(base)
    done = subprocess.run(
        [sys.executable, "-c", ONE_BOOT, str(base)], cwd=tree, env=env, capture_output=True, text=True
    )
    if done.returncode:
        raise SystemExit(done.stderr)
    wall, cpu = done.stdout.strip().splitlines()[-1].split()
    return float(wall), float(cpu)


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--runs", type=int, default=20)
    parser.add_argument("--app", default="daemon_hello")
    parser.add_argument("--before", type=Path, required=True, help="a checkout without the change")
    args = parser.parse_args()
    trees = {"before": args.before.resolve(), "after": HERE}
    times: dict[str, list[tuple[float, float]]] = {name: [] for name in trees}
    with tempfile.TemporaryDirectory() as tmp:
        base = Path(tmp) / args.app
        shutil.copytree(HERE / "tests" / "fixtures" / "apps" / args.app, base)
        for tree in trees.values():
            one_boot(tree, base)  # warm: bytecode written, files cached
        for _ in range(args.runs):
            for name, tree in trees.items():
                times[name].append(one_boot(tree, base))
    result = {
        name: {kind: round(statistics.median(v[i] for v in values) * 1000, 1) for i, kind in enumerate(KINDS)}
        for name, values in times.items()
    }
    print(f"{'tree':<8}{'wall ms':>10}{'CPU ms':>10}   (medians, {args.runs} fresh processes, {args.app})")
    for name, value in result.items():
        print(f"{name:<8}{value['wall']:>10}{value['cpu']:>10}")
    out = HERE / "bench" / "results" / "settings_boot.json"
    out.parent.mkdir(exist_ok=True)
    out.write_text(json.dumps({"app": args.app, "median_ms": result}))


if __name__ == "__main__":
    main()
