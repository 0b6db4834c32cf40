"""`eggbin test` against bare `pytest` on the same project (the `eggbin init` output).

    python bench/testrun.py [--runs 15]

Target (issue #7): `eggbin test` overhead over `pytest` ≤ 150 ms; total ≤ 0.5 x `egg-bin test` on egg's own
`simple` boilerplate (`npm init egg`, installed into bench/.work when Node is available; `--no-egg` skips it).
"""

from __future__ import annotations

import argparse
import os
import subprocess
import sys
import tempfile
from pathlib import Path

from egg_anchor import bin_path, egg_boilerplate
from harness import Measurement, report, time_command

BIN = Path(sys.executable).parent


def scaffold(root: Path) -> Path:
    subprocess.run([str(BIN / "eggbin"), "init", "demo", "--yes"], cwd=root, check=True, capture_output=True)
    return root / "demo"


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--runs", type=int, default=15)
    parser.add_argument("--no-egg", action="store_true", help="skip the egg-bin anchor")
    options = parser.parse_args()
    env = {**os.environ, "EGG_SERVER_ENV": "unittest"}
    with tempfile.TemporaryDirectory() as tmp:
        app = scaffold(Path(tmp))
        pytest_run, eggbin_run = [], []
        for _ in range(options.runs):  # interleaved: a shared machine's load drifts, both see the same drift
            pytest_run += time_command([sys.executable, "-m", "pytest", "-q"], 1, cwd=app, env=env, warmup=0)
            eggbin_run += time_command([str(BIN / "eggbin"), "test", "--", "-q"], 1, cwd=app, warmup=0)
        rows = [Measurement("pytest (same project)", pytest_run), Measurement("eggbin test", eggbin_run)]
    egg = None if options.no_egg else egg_boilerplate()
    if egg is not None:
        # The boilerplate's own test fails out of the box (one of three: egg-mock's 404, eggjs/mock#123),
        # as LESSONS.md recorded: `egg-bin test` exits 1 and is timed all the same.
        egg_argv = [bin_path(egg, "egg-bin"), "test"]
        rows.append(
            Measurement("egg-bin test (egg boilerplate)", time_command(egg_argv, 5, cwd=egg, check=False))
        )
    overhead = rows[1].median - rows[0].median
    notes = f"overhead of eggbin test: {overhead * 1000:.0f} ms (target <= 150 ms)"
    if egg is not None:
        notes += f"; eggbin test / egg-bin test = {rows[1].median / rows[2].median:.2f} (target <= 0.5)"
    else:
        notes += "; egg-bin test not measured (no npm, or --no-egg)"
    report("testrun", rows, anchor="pytest (same project)", notes=notes)


if __name__ == "__main__":
    main()
