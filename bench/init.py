"""`eggbin init --yes` per project type, against a bare cookiecutter render of the same template.

    python bench/init.py [--runs 15]

Target (issue #5): median ≤ 0.4 s for every type (egg's `npm init egg`: 0.85 s warm, 16.6 s cold).
Each run renders into a new directory with HOME pointed at a temp dir, as a first-time user would.
"""

from __future__ import annotations

import argparse
import itertools
import os
import subprocess
import sys
import tempfile
from collections.abc import Callable, Iterator
from pathlib import Path

from harness import Measurement, report, time_call

TYPES = ("simple", "plugin", "framework")
TEMPLATES = Path(__file__).resolve().parent.parent / "templates"
BARE_COOKIECUTTER = """
import sys, tempfile
from cookiecutter.main import cookiecutter
tmp = tempfile.mkdtemp()
cookiecutter(sys.argv[1], no_input=True, output_dir=sys.argv[2],
             default_config={"replay_dir": tmp, "cookiecutters_dir": tmp})
"""


def fresh_dirs(work: Path, prefix: str) -> Iterator[Path]:
    """A new, not yet existing directory per run: init refuses non-empty targets."""
    return (work / f"{prefix}-{i}" for i in itertools.count())


def command(
    argv: Callable[[Path], list[str]], targets: Iterator[Path], env: dict[str, str]
) -> Callable[[], None]:
    def once() -> None:
        subprocess.run(
            argv(next(targets)), env=env, check=True, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE
        )

    return once


def measure(kind: str, runs: int, work: Path, env: dict[str, str]) -> list[Measurement]:
    eggbin = str(Path(sys.executable).parent / "eggbin")
    init = command(lambda t: [eggbin, "init", str(t), f"--type={kind}", "--yes"], fresh_dirs(work, kind), env)
    bare = command(
        lambda t: [sys.executable, "-c", BARE_COOKIECUTTER, str(TEMPLATES / kind), str(t)],
        fresh_dirs(work, f"bare-{kind}"),
        env,
    )
    return [
        Measurement(f"eggbin init --type={kind} --yes", time_call(init, runs)),
        Measurement(f"bare cookiecutter ({kind})", time_call(bare, runs)),
    ]


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--runs", type=int, default=15)
    runs = parser.parse_args().runs
    with tempfile.TemporaryDirectory(prefix="eggbin-bench-init-") as tmp:
        work = Path(tmp)
        (work / "home").mkdir()
        env = {**os.environ, "HOME": str(work / "home")}
        rows = [row for kind in TYPES for row in measure(kind, runs, work, env)]
    worst = max(m.median for m in rows if m.subject.startswith("eggbin"))
    verdict = "meets" if worst <= 0.4 else "MISSES"
    notes = f"target: eggbin init --yes median <= 400 ms per type; slowest {worst * 1000:.0f} ms ({verdict})"
    report("init", rows, notes=notes)


if __name__ == "__main__":
    main()
