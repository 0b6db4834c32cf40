"""The rotation rules of eggbin.web.logrotator on real files, and the plugin's config and switch."""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable
from pathlib import Path

from eggbin.web.logrotator import (
    RotatorOptions,
    expired_files,
    rotate_by_day,
    rotate_by_hour,
    rotate_by_size,
    seconds_to_midnight,
    seconds_to_next_hour,
)
from tests.web.conftest import Booted

DAY = dt.date(2026, 1, 2)


def write(directory: Path, *names: str) -> None:
    directory.mkdir(parents=True, exist_ok=True)
    for name in names:
        (directory / name).write_text(f"{name}\n")


def test_day_rotation_renames_every_log_but_those_rotated_by_hour_or_size(tmp_path: Path) -> None:
    write(tmp_path, "a.log", "hourly.log", "sized.log", "notes.txt")
    write(tmp_path / "gw0", "b.log")
    options = RotatorOptions(
        tmp_path,
        files_rotate_by_hour=(tmp_path / "hourly.log",),
        files_rotate_by_size=(tmp_path / "sized.log",),
    )
    assert rotate_by_day(options, DAY) == [
        tmp_path / "a.log.2026-01-02",
        tmp_path / "gw0" / "b.log.2026-01-02",
    ]
    assert sorted(p.name for p in tmp_path.iterdir() if p.is_file()) == [
        "a.log.2026-01-02",
        "hourly.log",
        "notes.txt",
        "sized.log",
    ]
    write(tmp_path, "a.log")
    assert rotate_by_day(options, DAY) == [tmp_path / "a.log.2026-01-02.1"]  # the same day twice: both kept
    assert (tmp_path / "a.log.2026-01-02").read_text() == "a.log\n"
    assert rotate_by_day(RotatorOptions(tmp_path / "missing"), DAY) == []


def test_hour_rotation_uses_the_delimiter(tmp_path: Path) -> None:
    write(tmp_path, "hourly.log")
    options = RotatorOptions(
        tmp_path, files_rotate_by_hour=(tmp_path / "hourly.log", tmp_path / "absent.log"), hour_delimiter="_"
    )
    assert rotate_by_hour(options, dt.datetime(2026, 1, 2, 7, 59)) == [tmp_path / "hourly.log.2026-01-02_07"]


def test_size_rotation_shifts_pieces_and_drops_the_oldest(tmp_path: Path) -> None:
    options = RotatorOptions(
        tmp_path, files_rotate_by_size=(tmp_path / "s.log",), max_file_size=10, max_files=3
    )
    for generation in range(5):
        (tmp_path / "s.log").write_text(f"generation {generation}\n")  # 13 bytes: over the limit
        assert rotate_by_size(options) == [tmp_path / "s.log.1"]
    assert {p.name: p.read_text() for p in tmp_path.glob("s.log*")} == {
        "s.log.1": "generation 4\n",
        "s.log.2": "generation 3\n",
        "s.log.3": "generation 2\n",
    }
    (tmp_path / "s.log").write_text("small\n")
    assert rotate_by_size(options) == []  # under the limit


def test_expired_files_follow_max_days(tmp_path: Path) -> None:
    write(
        tmp_path,
        "a.log.2025-12-25",
        "a.log.2025-12-26",
        "a.log.2025-12-24-23",
        "b.log.2025-12-01.2",
        "a.log.1",
    )
    write(tmp_path, "a.log.2025-13-45", "c.txt.2020-01-01", "a.log")
    # dated before 2026-01-02 minus 8 days (egg's rule): 2025-12-25 itself stays
    assert [p.name for p in expired_files(tmp_path, 8, DAY)] == ["a.log.2025-12-24-23", "b.log.2025-12-01.2"]
    assert expired_files(tmp_path, 0, DAY) == []  # 0 keeps everything


def test_timer_delays() -> None:
    assert seconds_to_midnight(dt.datetime(2026, 1, 2, 23, 59, 30)) == 30
    assert seconds_to_midnight(dt.datetime(2026, 1, 2, 0, 0, 0)) == 86400
    assert seconds_to_next_hour(dt.datetime(2026, 1, 2, 7, 59, 0)) == 60
    assert seconds_to_next_hour(dt.datetime(2026, 1, 2, 23, 30, 0)) == 1800


def test_plugin_config_and_relative_file_names(boot_app: Callable[..., Booted]) -> None:
    def edit(base: Path) -> None:
        sized = {"files_rotate_by_size": ["big.log", "/var/log/x.log"], "max_file_size": "2mb"}
        (base / "config" / "local.py").write_text(f"config = {{'logrotator': {sized!r}}}\n")

    egg = boot_app("boot_basic", env="local", edit=edit)
    options = RotatorOptions.of(egg.app)
    directory = Path(egg.app.config.logger.dir)
    assert options.files_rotate_by_size == (directory / "big.log", Path("/var/log/x.log"))
    assert (options.max_file_size, options.max_files, options.max_days) == (2 * 1024 * 1024, 10, 31)
    assert "logrotator" in [p.name for p in egg.app.plugins]


def test_the_plugin_can_be_disabled(boot_app: Callable[..., Booted]) -> None:
    def edit(base: Path) -> None:
        (base / "config" / "plugin.py").write_text('plugins = {"logrotator": False}\n')

    egg = boot_app("boot_basic", edit=edit)
    assert "logrotator" not in [p.name for p in egg.app.plugins]
    assert "logrotator" not in egg.app.config


def test_options_without_any_config_are_the_defaults(boot_app: Callable[..., Booted]) -> None:
    def edit(base: Path) -> None:
        (base / "config" / "plugin.py").write_text('plugins = {"logrotator": False}\n')

    egg = boot_app("boot_basic", edit=edit)
    assert RotatorOptions.of(egg.app) == RotatorOptions(Path(egg.app.config.logger.dir))
