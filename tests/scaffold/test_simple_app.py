"""The simple template's examples work as the comments say (a real `eggbin test` run in the project)."""

from __future__ import annotations

import subprocess
from pathlib import Path

from eggbin.scaffold import ScaffoldRequest, scaffold

MIDDLEWARE_TEST = """
def test_response_time_header(http):
    assert http.get("/").headers["x-response-time"].endswith("ms")
"""


def test_the_commented_middleware_works_once_enabled(tmp_path: Path) -> None:
    project = scaffold(ScaffoldRequest(target=tmp_path / "shop", author="Ada")).path
    config = project / "config" / "default.py"
    assert '# "response_time",' in config.read_text()
    config.write_text(config.read_text().replace('# "response_time",', '"response_time",'))
    (project / "tests" / "test_middleware.py").write_text(MIDDLEWARE_TEST)
    done = subprocess.run(["eggbin", "test"], cwd=project, capture_output=True, text=True, timeout=120)
    assert done.returncode == 0, done.stdout + done.stderr
    assert "test_middleware.py ." in done.stdout
