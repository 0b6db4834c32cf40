"""eggbin's own load units answered from one listing: the same answers as the file system, no `stat`."""

from __future__ import annotations

import os
from pathlib import Path

import pytest

from eggbin.web import own_files
from eggbin.web.units import EGGBIN_PATH

CANDIDATES = (
    ("config", "default.py"),
    ("config", "prod.py"),
    ("config", "plugin.py"),
    ("config", "locale"),
    ("app", "extend", "context.py"),
    ("app", "extend", "helper.py"),
    ("app", "middleware", "security.py"),
    ("app", "middleware", "nothing_here.py"),
    ("app.py",),
    ("agent.py",),
    ("app",),
    ("__init__.py",),
)


def walked_python_files(directory: Path) -> list[Path]:
    """What the loader found before: `rglob`, private files and caches skipped."""
    if not directory.is_dir():
        return []
    found = directory.rglob("*.py")
    return sorted(p for p in found if not p.name.startswith("_") and "__pycache__" not in p.parts)


def own_units() -> list[Path]:
    return [EGGBIN_PATH, *sorted(p for p in (EGGBIN_PATH / "plugins").iterdir() if p.is_dir())]


def test_every_answer_about_eggbins_own_units_is_the_file_systems() -> None:
    for unit in own_units():
        for parts in CANDIDATES:
            path = unit.joinpath(*parts)
            assert own_files.existing(unit, *parts) == (path if path.is_file() else None), path
            assert own_files.is_dir(path) == path.is_dir(), path
        for directory in (unit / "app", unit / "app" / "extend", unit / "config", unit / "missing"):
            assert own_files.python_files(directory) == walked_python_files(directory), directory


def test_every_directory_of_eggbins_tree_lists_the_modules_rglob_finds() -> None:
    for directory, subdirectories, _ in os.walk(EGGBIN_PATH):
        subdirectories[:] = [name for name in subdirectories if name != "__pycache__"]
        assert own_files.python_files(Path(directory)) == walked_python_files(Path(directory))


def test_once_listed_eggbins_own_files_cost_no_stat(monkeypatch: pytest.MonkeyPatch) -> None:
    own_files.listing()
    units = own_units()
    stats: list[str] = []
    real_stat = os.stat

    def counting_stat(path: object, *args: object, **kwargs: object) -> os.stat_result:
        stats.append(str(path))
        return real_stat(path, *args, **kwargs)  # type: ignore[arg-type]

    monkeypatch.setattr(os, "stat", counting_stat)
    monkeypatch.setattr(os, "scandir", lambda *args: pytest.fail("scanned a directory"))
    for unit in units:
        own_files.existing(unit, "config", "default.py")
        own_files.existing(unit, "app", "middleware", "nothing_here.py")
        own_files.is_dir(unit / "config" / "locale")
        own_files.python_files(unit / "app")
    assert stats == []


def test_any_other_unit_is_asked_of_the_file_system(tmp_path: Path) -> None:
    (tmp_path / "app" / "controller" / "__pycache__").mkdir(parents=True)
    for name in ("home.py", "_private.py", "admin/users.py", "__pycache__/home.py", "notes.txt"):
        (tmp_path / "app" / "controller" / name).parent.mkdir(parents=True, exist_ok=True)
        (tmp_path / "app" / "controller" / name).write_text("")
    controllers = tmp_path / "app" / "controller"
    assert own_files.python_files(controllers) == [
        controllers / "admin" / "users.py",
        controllers / "home.py",
    ]
    assert own_files.existing(controllers, "home.py") == controllers / "home.py"
    assert own_files.existing(controllers, "missing.py") is None
    assert own_files.is_dir(controllers / "admin")
    assert own_files.python_files(tmp_path / "missing") == []
    # a file the process never listed (as one written after the listing) is found all the same
    (controllers / "later.py").write_text("")
    assert own_files.existing(controllers, "later.py") == controllers / "later.py"


def test_another_units_modules_are_what_rglob_finds_without_a_glob(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    app = tmp_path / "app"
    names = ("a.py", "_b.py", "c/d.py", "c/__pycache__/x.py", "_private/e.py", "c/e/f.py", ".hidden.py",
             "notes.txt", "c-d.py", "c/a.py", "dir.py/z.py", "__pycache__/y.py")  # fmt: skip
    for name in names:
        (app / name).parent.mkdir(parents=True, exist_ok=True)
        (app / name).write_text("")
    (app / "linked").symlink_to(app / "c")  # a symlinked directory: named, never entered (as `rglob`)
    (app / "linked.py").symlink_to(app / "c")
    (app / "broken.py").symlink_to(app / "nowhere.py")
    expected = {directory: walked_python_files(directory) for directory in (app, app / "c", app / "a.py")}
    assert app / "dir.py" in expected[app]  # any entry so named, as `rglob` finds it
    assert app / "linked.py" in expected[app]

    def no_glob(*args: object) -> None:
        raise AssertionError("globbed")

    monkeypatch.setattr(Path, "rglob", no_glob)
    for directory, modules in expected.items():
        assert own_files.python_files(directory) == modules, directory


def test_a_directory_of_eggbins_tree_is_resolved_already_any_other_path_is_resolved(tmp_path: Path) -> None:
    plugin = EGGBIN_PATH / "plugins" / "session"
    assert own_files.resolved(plugin) is plugin
    assert plugin == plugin.resolve()
    link = tmp_path / "link"
    link.symlink_to(plugin)
    assert own_files.resolved(link) == plugin
    # only a listed directory is taken as it is: `..` inside eggbin's tree is resolved as anywhere
    assert own_files.resolved(EGGBIN_PATH / "plugins" / ".." / "plugins") == EGGBIN_PATH / "plugins"
