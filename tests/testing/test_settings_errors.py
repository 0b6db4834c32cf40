"""A bad built-in setting fails the test plugin's boot with the same one line as `eggbin dev`."""

from __future__ import annotations

import pytest


def test_a_bad_setting_errors_the_tests_that_boot_the_app(project: pytest.Pytester) -> None:
    (project.path / "config" / "unittest.py").write_text('config = {"body_parser": {"strict": "yes"}}\n')
    (project.path / "tests" / "test_it.py").write_text("def test_home(http):\n    http.get('/')\n")
    result = project.runpytest_subprocess("-p", "no:cacheprovider", timeout=120)
    result.assert_outcomes(errors=1)
    file = project.path / "config" / "unittest.py"
    result.stdout.fnmatch_lines(
        [f"*`config.body_parser.strict` is `'yes'` (set in `{file}:1`): expected True or False*"]
    )
