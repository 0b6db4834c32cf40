"""egg's own example apps (eggjs/examples), ported: each runs its translated tests with `eggbin test`.

Every project under `tests/fixtures/apps/examples/<name>/` that has tests (an app, a plugin or a framework:
some examples hold several) runs in a copy of its example directory, in its own process, with the installed
console script, exactly as a user runs it. Path dependencies (`[tool.uv.sources] x = { path = "../x" }`)
and the project itself are put on `PYTHONPATH`: what `pip install -e` of each would give, without touching
the shared virtualenv. Each must pass with every test passing and none skipped.
"""

from __future__ import annotations

import os
import re
import shutil
import subprocess
import tomllib
from pathlib import Path

import pytest

from tests.support import BIN, FIXTURE_APPS, kill_tree

EXAMPLES = FIXTURE_APPS / "examples"
SUMMARY = re.compile(r"^=+ (?P<counts>.+) in [\d.]+s(?: \(.*\))? =+$", re.MULTILINE)


def find_roots() -> list[Path]:
    """Every project of every example that has tests of its own (fixture apps of a project excluded)."""
    roots = []
    for pyproject in sorted(EXAMPLES.glob("*/**/pyproject.toml")):
        root = pyproject.parent
        inside = root.relative_to(EXAMPLES).parts[1:]
        if "fixtures" not in inside and any((root / "tests").rglob("test_*.py")):
            roots.append(root)
    return roots


ROOTS = find_roots()


def python_path(root: Path, seen: list[Path] | None = None) -> list[Path]:
    """The project and its path dependencies (theirs too), as editable installs would make them importable."""
    seen = seen if seen is not None else []
    if root in seen:
        return seen
    seen.append(root)
    pyproject = tomllib.loads((root / "pyproject.toml").read_text())
    for source in pyproject.get("tool", {}).get("uv", {}).get("sources", {}).values():
        if "path" in source:
            python_path((root / source["path"]).resolve(), seen)
    return seen


def test_the_suite_holds_the_ported_examples() -> None:
    names = {root.relative_to(EXAMPLES).parts[0] for root in ROOTS}
    assert len(names) >= 12, sorted(names)


@pytest.mark.slow
@pytest.mark.parametrize("root", ROOTS, ids=[str(root.relative_to(EXAMPLES)) for root in ROOTS])
def test_example_passes_under_eggbin_test(root: Path, tmp_path: Path) -> None:
    example = root.relative_to(EXAMPLES).parts[0]
    skip = shutil.ignore_patterns("__pycache__", "logs", "run")
    shutil.copytree(EXAMPLES / example, tmp_path / example, ignore=skip)
    project = tmp_path / root.relative_to(EXAMPLES)
    path = os.pathsep.join(str(p) for p in python_path(project))
    env = {**os.environ, "PYTHONPATH": path, "PYTHONDONTWRITEBYTECODE": "1"}
    popen = subprocess.Popen(
        [str(BIN / "eggbin"), "test", "--", "-p", "no:cacheprovider", "-rs"],
        cwd=project,
        env=env,
        text=True,
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        start_new_session=True,
    )
    try:
        output, _ = popen.communicate(timeout=300)
    finally:
        kill_tree(popen)
    assert popen.returncode == 0, output
    summary = SUMMARY.findall(output)
    assert summary, output
    counts = dict(reversed(item.split(" ", 1)) for item in summary[-1].split(", "))
    assert set(counts) == {"passed"}, output  # nothing failed, skipped, xfailed or warned
    assert int(counts["passed"]) > 0, output
