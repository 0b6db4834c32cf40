"""The module name a load unit gives each of its files: pathlib's answer, reached without its paths."""

from __future__ import annotations

from pathlib import Path

import pytest

from eggbin.web.modules import UnitModules

UNIT = Path("/srv/app")
FILES = (
    "app/controller/home.py",
    "app/controller/admin/users.py",
    "app/controller/__init__.py",
    "config/config.prod.py",
    "app/extend/.hidden.py",
    "app/.py",
    "app/view/index.html",
    "app/../lib/x.py",
    "app.py",
    "agent.py",
)


def pathlib_name(modules: UnitModules, file: Path) -> str:
    """The name as `module_name` spelt it with pathlib (the reference)."""
    parts = list(file.relative_to(modules.path).with_suffix("").parts)
    if parts[-1] == "__init__":
        parts.pop()
    if len(parts) == 1 and parts[0] in ("app", "agent"):
        parts = [f"_boot_{parts[0]}"]
    return ".".join([modules.root, *parts])


@pytest.mark.parametrize("relative", FILES)
def test_a_files_module_name_is_pathlibs(relative: str) -> None:
    modules = UnitModules("app", UNIT)
    assert modules.module_name(UNIT / relative) == pathlib_name(modules, UNIT / relative)


def test_a_file_outside_the_unit_is_refused_as_pathlib_refuses_it() -> None:
    with pytest.raises(ValueError, match="subpath"):
        UnitModules("app", UNIT).module_name(Path("/srv/application/app/router.py"))
