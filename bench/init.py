"""`eggbin init --yes` per project type, against a bare cookiecutter render of the same template.

    python bench/init.py [--runs 15] [--types simple] [--baseline BIN_DIR]

Targets: issue #5, median <= 0.4 s for every type (egg's `npm init egg`: 0.85 s warm, 16.6 s cold);
issue #16, `eggbin init --type=simple` <= 1.1x a bare cookiecutter render of the same template.
Each run renders into a new directory with HOME pointed at a temp dir, as a first-time user would;
rounds are interleaved and CPU time is reported beside wall time (`--baseline BIN_DIR` adds another
install's `eggbin` to compare before/after in one run).
"""

from __future__ import annotations

import argparse
import itertools
import os
import sys
import tempfile
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

from harness import interleaved, report, run_timed

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
) -> Callable[[], tuple[float, float]]:
    return lambda: run_timed(argv(next(targets)), env=env)


def subjects(kind: str, work: Path, env: dict[str, str], bin_dir: Path, suffix: str = "") -> dict[str, Any]:
    eggbin = str(bin_dir / "eggbin")
    init = command(
        lambda t: [eggbin, "init", str(t), f"--type={kind}", "--yes"],
        fresh_dirs(work, f"{kind}{suffix.strip(' ()')}"),
        env,
    )
    return {f"eggbin init --type={kind} --yes{suffix}": init}


def bare(kind: str, work: Path, env: dict[str, str]) -> dict[str, Any]:
    render = command(
        lambda t: [sys.executable, "-c", BARE_COOKIECUTTER, str(TEMPLATES / kind), str(t)],
        fresh_dirs(work, f"bare-{kind}"),
        env,
    )
    return {f"bare cookiecutter ({kind})": render}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--runs", type=int, default=15)
    parser.add_argument("--types", default=",".join(TYPES), help="comma-separated project types")
    parser.add_argument("--baseline", type=Path, help="bin dir of another eggbin install to compare")
    options = parser.parse_args()
    kinds = [k for k in options.types.split(",") if k]
    with tempfile.TemporaryDirectory(prefix="eggbin-bench-init-") as tmp:
        work = Path(tmp)
        (work / "home").mkdir()
        env = {**os.environ, "HOME": str(work / "home")}
        runs: dict[str, Any] = {}
        for kind in kinds:
            runs |= bare(kind, work, env) | subjects(kind, work, env, Path(sys.executable).parent)
            if options.baseline:
                runs |= subjects(kind, work, env, options.baseline, " (baseline)")
        rows = interleaved(runs, options.runs)
    walls = [m for m in rows if not m.subject.endswith("[cpu]")]
    notes = []
    for kind in kinds:
        by = {m.subject: m.median for m in rows}
        for suffix in ("", " (baseline)"):
            name = f"eggbin init --type={kind} --yes{suffix}"
            if name in by:
                wall = by[name] / by[f"bare cookiecutter ({kind})"]
                cpu = by[f"{name} [cpu]"] / by[f"bare cookiecutter ({kind}) [cpu]"]
                notes.append(f"{name}: {wall:.2f}x bare cookiecutter (wall), {cpu:.2f}x (cpu)")
    report("init", walls, anchor=f"bare cookiecutter ({kinds[0]})")
    report(
        "init_cpu",
        [m for m in rows if m.subject.endswith("[cpu]")],
        notes="\n".join([*notes, "target: <= 1.1x"]),
    )


if __name__ == "__main__":
    main()
