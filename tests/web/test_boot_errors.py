"""Boot errors: one message naming the file and line, for every way user code can fail to load."""

from __future__ import annotations

import asyncio
from pathlib import Path

from tests.web.boot_support import boot_error, write_app


def _error(tmp_path: Path, files: dict[str, str]) -> tuple[str, Path]:
    base = write_app(tmp_path / "app", files)
    return asyncio.run(boot_error(base)), base


def test_syntax_error_in_config(tmp_path: Path) -> None:
    message, base = _error(tmp_path, {"config/default.py": "config = {\n    'a': 1,,\n}\n"})
    assert message == f"syntax error in `{base / 'config' / 'default.py'}:2`: invalid syntax; fix it and save"


def test_exception_in_config_file(tmp_path: Path) -> None:
    message, base = _error(tmp_path, {"config/default.py": "LIMIT = 10\n\nconfig = {'a': LIMIT / 0}\n"})
    assert message == f"ZeroDivisionError in `{base / 'config' / 'default.py'}:3`: division by zero"


def test_exception_inside_config_function(tmp_path: Path) -> None:
    source = "def config(app_info):\n    return {'port': int(app_info.name)}\n"
    message, base = _error(tmp_path, {"config/unittest.py": source})
    assert message == (
        f"ValueError in `{base / 'config' / 'unittest.py'}:2`: "
        "invalid literal for int() with base 10: 'tmp-app'"
    )


def test_config_that_is_not_a_dict(tmp_path: Path) -> None:
    message, base = _error(tmp_path, {"config/default.py": "config = ['a']\n"})
    assert (
        message
        == f"`{base / 'config' / 'default.py'}` must define `config` as a dict or a function returning one"
    )


def test_router_file_without_router_function(tmp_path: Path) -> None:
    message, base = _error(tmp_path, {"app/router.py": "routes = []\n"})
    assert message == (
        f"`{base / 'app' / 'router.py'}:1` defines no `router` function; "
        "add `def router(app):` declaring the routes with `app.router.get(...)`"
    )


def test_router_that_is_not_callable_points_at_it(tmp_path: Path) -> None:
    message, base = _error(tmp_path, {"app/router.py": "import os\n\nrouter = None\n"})
    assert message.startswith(f"`{base / 'app' / 'router.py'}:3` defines no `router` function")


def test_exception_in_router_function(tmp_path: Path) -> None:
    source = "def router(app):\n    app.router.get('/', app.controller.missing.index)\n"
    message, base = _error(tmp_path, {"app/router.py": source})
    assert message == f"AttributeError in `{base / 'app' / 'router.py'}:2`: missing"


def test_exception_importing_boot_file(tmp_path: Path) -> None:
    message, base = _error(tmp_path, {"app.py": "import no_such_module_anywhere\n"})
    assert message == (
        f"ModuleNotFoundError in `{base / 'app.py'}:1`: No module named 'no_such_module_anywhere'"
    )


def test_unknown_log_level_names_the_file_that_set_it(tmp_path: Path) -> None:
    message, base = _error(tmp_path, {"config/default.py": "config = {'logger': {'level': 'LOUD'}}\n"})
    assert message == (
        f"config `logger.level` is `LOUD` (set in `{base / 'config' / 'default.py'}`); "
        "use one of NONE, DEBUG, INFO, WARN, ERROR"
    )


def test_bad_pyproject_is_a_boot_error(tmp_path: Path) -> None:
    base = write_app(tmp_path / "app", {"pyproject.toml": "[project\n"})
    assert asyncio.run(boot_error(base)) == (
        f"`{base / 'pyproject.toml'}` is not valid TOML: Expected ']' at the end of a table declaration "
        "(at line 1, column 9); fix the file and try again"
    )
