"""`eggbin test` against bare `pytest` on the same project (the `eggbin init` output).

    python bench/testrun.py [--runs 15]

Target (issue #7): `eggbin test` overhead over `pytest` ≤ 150 ms; total ≤ 0.5 x `egg-bin test` (1.61 s
measured on the egg boilerplate; run here too when `egg-bin` is on PATH, pass `--egg DIR`).
"""

from __future__ import annotations

import argparse
import os
import shutil
import subprocess
import sys
import tempfile
from pathlib import Path

from harness import Measurement, report, time_command

BIN = Path(sys.executable).parent


def scaffold(root: Path) -> Path:
    subprocess.run([str(BIN / "eggbin"), "init", "demo", "--yes"], cwd=root, check=True, capture_output=True)
    return root / "demo"


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--runs", type=int, default=15)
    parser.add_argument("--egg", type=Path, help="an egg boilerplate dir to time `egg-bin test` in")
    options = parser.parse_args()
    env = {**os.environ, "EGG_SERVER_ENV": "unittest"}
    with tempfile.TemporaryDirectory() as tmp:
        app = scaffold(Path(tmp))
        pytest_run, eggbin_run = [], []
        for _ in range(options.runs):  # interleaved: a shared machine's load drifts, both see the same drift
            pytest_run += time_command([sys.executable, "-m", "pytest", "-q"], 1, cwd=app, env=env, warmup=0)
            eggbin_run += time_command([str(BIN / "eggbin"), "test", "--", "-q"], 1, cwd=app, warmup=0)
        rows = [Measurement("pytest (same project)", pytest_run), Measurement("eggbin test", eggbin_run)]
        if options.egg and shutil.which("egg-bin"):
            egg = time_command(["egg-bin", "test"], options.runs, cwd=options.egg)
            rows.append(Measurement("egg-bin test (boilerplate)", egg))
    overhead = rows[1].median - rows[0].median
    notes = f"overhead of eggbin test: {overhead * 1000:.0f} ms (target <= 150 ms)"
    report("testrun", rows, anchor="pytest (same project)", notes=notes)


if __name__ == "__main__":
    main()
