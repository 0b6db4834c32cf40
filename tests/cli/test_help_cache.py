"""`--help` and `--version` without typer: the cached help is typer's, byte for byte, for every command."""

from __future__ import annotations

import os
import pty
import stat
import subprocess
import sys
from pathlib import Path

import pytest

from eggbin import __version__, private_cache
from eggbin.cli import apps, help_cache
from tests.support import HAS_OTHER_UID, OTHER_UID

APPS = {"eggbin": apps.eggbin_app, "eggscripts": apps.eggscripts_app}
# every command the typer apps register, read from them: a new command is covered without editing this
HELP_ARGVS = [
    (prog, argv)
    for prog, app in APPS.items()
    for argv in (
        [],
        ["-h"],
        *([apps._command_name(info), "--help"] for info in app.registered_commands),
    )
]
TYPER_MODULES = ("typer", "click", "rich")


def typer_help(prog: str, argv: list[str], capsys: pytest.CaptureFixture[str]) -> str:
    """What the typer app prints for `argv` (in this process: it also fills the cache)."""
    with pytest.raises(SystemExit) as exited:
        apps.run(APPS[prog], argv)
    assert exited.value.code == 0
    return capsys.readouterr().out


def console_script(
    prog: str, *argv: str, env: dict[str, str] | None = None
) -> subprocess.CompletedProcess[str]:
    """The installed console script, with `-X importtime` on: stderr names every module it imported."""
    environ = {**os.environ, "PYTHONPROFILEIMPORTTIME": "1", **(env or {})}
    return subprocess.run([prog, *argv], capture_output=True, text=True, timeout=60, env=environ)


def imported(stderr: str) -> set[str]:
    return {
        line.rsplit("|", 1)[-1].strip() for line in stderr.splitlines() if line.startswith("import time:")
    }


def assert_without_typer(done: subprocess.CompletedProcess[str]) -> None:
    heavy = {name for name in imported(done.stderr) if name.split(".")[0] in TYPER_MODULES}
    assert not heavy, f"the fast path imported {sorted(heavy)}"


@pytest.fixture(autouse=True)
def known_width(monkeypatch: pytest.MonkeyPatch) -> None:
    """This process and the console scripts it starts size help alike (pytest's stdout may be a tty)."""
    monkeypatch.setenv("COLUMNS", "80")


def entries(home: Path) -> list[Path]:
    directory = home / ".cache" / "eggbin" / "help"
    return sorted(directory.iterdir()) if directory.is_dir() else []


@pytest.mark.parametrize("columns", ["57", "100"])
def test_every_help_is_typers_own_without_importing_typer(
    columns: str, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    """Each command's help, rendered by typer here, is printed byte for byte by a console script that
    never imports typer, click or rich; an option added without its help changing fails here."""
    monkeypatch.setenv("COLUMNS", columns)
    for prog, argv in HELP_ARGVS:
        expected = typer_help(prog, argv, capsys)
        assert expected.startswith(f"Usage: {prog}")
        done = console_script(prog, *argv)
        assert (done.returncode, done.stdout) == (0, expected), (prog, argv)
        assert_without_typer(done)


def test_a_miss_runs_typer_and_keeps_its_output_private(isolated: Path) -> None:
    first = console_script("eggbin", "dev", "--help")
    assert first.returncode == 0
    assert "typer" in imported(first.stderr)
    assert "--workers" in first.stdout
    [entry] = entries(isolated)
    assert stat.S_IMODE(entry.stat().st_mode) == 0o600
    assert stat.S_IMODE(entry.parent.stat().st_mode) == 0o700
    second = console_script("eggbin", "dev", "--help")
    assert (second.returncode, second.stdout) == (0, first.stdout)
    assert_without_typer(second)
    assert entries(isolated) == [entry]  # atomic: no temporary file left behind


def test_python_m_eggbin_and_the_other_width_use_their_own_entries(isolated: Path) -> None:
    narrow = console_script("eggbin", "init", "--help", env={"COLUMNS": "52"})
    wide = console_script("eggbin", "init", "--help", env={"COLUMNS": "200"})
    assert narrow.stdout != wide.stdout
    environ = {**os.environ, "PYTHONPROFILEIMPORTTIME": "1", "COLUMNS": "52"}
    module = subprocess.run(
        [sys.executable, "-m", "eggbin", "init", "--help"],
        capture_output=True,
        text=True,
        timeout=60,
        env=environ,
    )
    assert module.stdout == narrow.stdout
    assert_without_typer(module)


@pytest.mark.parametrize("prog", ["eggbin", "eggscripts"])
@pytest.mark.parametrize("flag", ["--version", "-V"])
def test_version_without_typer(prog: str, flag: str, capsys: pytest.CaptureFixture[str]) -> None:
    with pytest.raises(SystemExit):
        apps.run(APPS[prog], [flag])
    done = console_script(prog, flag)
    assert (done.returncode, done.stdout) == (0, capsys.readouterr().out)
    assert done.stdout == f"eggbin {__version__}\n"
    assert_without_typer(done)


def test_completion_is_never_answered_from_the_cache(isolated: Path) -> None:
    assert console_script("eggbin", "--help").returncode == 0
    assert entries(isolated)
    done = console_script("eggbin", env={"_EGGBIN_COMPLETE": "source_bash"})
    assert done.returncode == 0
    assert "complete " in done.stdout
    assert "Usage:" not in done.stdout


def test_only_plain_help_requests_are_keyed() -> None:
    assert help_cache.cache_key("eggbin", ["dev", "--help"]) is not None
    for argv in (
        ["dev", "--port", "1", "--help"],
        ["--help", "dev"],
        ["dev"],
        ["../x", "--help"],
        ["dev", "--help", "-h"],
        ["--version"],
    ):
        assert help_cache.cache_key("eggbin", argv) is None, argv


def test_the_key_changes_with_each_input(monkeypatch: pytest.MonkeyPatch) -> None:
    key = help_cache.cache_key("eggbin", ["dev", "--help"])
    assert help_cache.cache_key("eggbin", ["dev", "-h"]) != key
    assert help_cache.cache_key("eggscripts", ["dev", "--help"]) != key
    assert help_cache.cache_key("eggbin", []) == help_cache.cache_key("eggbin", ["--help"])
    monkeypatch.setenv("COLUMNS", "133")
    assert help_cache.cache_key("eggbin", ["dev", "--help"]) != key


def test_any_change_to_a_rendering_source_file_is_a_miss(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """An edit (mtime, size), a reinstall (inode) or a new file in typer, click or eggbin/cli."""
    package = tmp_path / "typer"
    (package / "_click").mkdir(parents=True)
    source = package / "_click" / "core.py"
    source.write_text("x = 1\n")
    (package / "__init__.py").write_text("")
    monkeypatch.syspath_prepend(str(tmp_path))
    assert private_cache.package_dir("typer") == str(package)
    assert str(Path(apps.__file__)) in (help_cache.source_fingerprint() or "")
    seen = {help_cache.source_fingerprint()}
    os.utime(source, ns=(1, 1))
    seen.add(help_cache.source_fingerprint())
    source.write_text("x = 12\n")
    os.utime(source, ns=(1, 1))
    seen.add(help_cache.source_fingerprint())
    replacement = package / "core.new"
    replacement.write_text("x = 12\n")
    os.utime(replacement, ns=(1, 1))
    os.replace(replacement, source)
    seen.add(help_cache.source_fingerprint())
    (package / "formatting.py").write_text("")
    seen.add(help_cache.source_fingerprint())
    assert len(seen) == 5


def test_a_stale_entry_is_a_miss(isolated: Path) -> None:
    key = help_cache.cache_key("eggbin", ["--help"])
    assert key is not None
    help_cache.write_entry(key, "old help\n")
    assert help_cache.read_entry(key) == "old help\n"
    stale = key.replace("eggbin", "eggbin-before", 1)
    assert help_cache.read_entry(stale) is None
    assert console_script("eggbin", "--help").stdout == "old help\n"  # the same key is a hit


def planted_entry(home: Path, argv: list[str]) -> Path:
    """The file the cache would read for `eggbin ARGV` (which need not exist)."""
    key = help_cache.cache_key("eggbin", argv)
    assert key is not None
    return Path(help_cache.cache_dir()) / help_cache.STORE.entry_name(key)


@pytest.mark.parametrize(
    "damage",
    ["truncated", "bad magic", "bad checksum", "not utf-8", "other key", "empty", "too big"],
)
def test_a_corrupt_entry_is_ignored_and_replaced(isolated: Path, damage: str) -> None:
    good = console_script("eggbin", "test", "--help").stdout
    entry = planted_entry(isolated, ["test", "--help"])
    data = entry.read_bytes()
    damaged = {
        "truncated": data[: len(data) // 2],
        "bad magic": b"x" + data,
        "bad checksum": data.replace(b"Usage:", b"Usage;"),
        "not utf-8": data + b"\xff",
        "other key": data.replace(b"\neggbin", b"\neggbim", 1),
        "empty": b"",
        "too big": data + b"x" * (private_cache.MAX_ENTRY_BYTES + 1),
    }[damage]
    entry.write_bytes(damaged)
    again = console_script("eggbin", "test", "--help")
    assert (again.returncode, again.stdout) == (0, good)
    assert "typer" in imported(again.stderr)
    assert entry.read_bytes() == data  # typer's output written back


def test_a_symlinked_entry_or_directory_is_not_followed(isolated: Path, tmp_path: Path) -> None:
    good = console_script("eggbin", "--help").stdout
    entry = planted_entry(isolated, ["--help"])
    elsewhere = tmp_path / "elsewhere"
    elsewhere.write_bytes(entry.read_bytes().replace(b"Usage:", b"Owned:"))
    entry.unlink()
    entry.symlink_to(elsewhere)
    assert help_cache.read_entry(help_cache.cache_key("eggbin", ["--help"]) or "") is None
    planted = elsewhere.read_bytes()
    assert console_script("eggbin", "--help").stdout == good
    assert elsewhere.read_bytes() == planted  # the new entry replaced the link, never its target
    assert not entry.is_symlink()
    directory = entry.parent
    moved = tmp_path / "moved"
    directory.rename(moved)
    directory.symlink_to(moved)
    done = console_script("eggbin", "--help")
    assert (done.returncode, done.stdout) == (0, good)
    assert "typer" in imported(done.stderr)


def test_a_fifo_entry_does_not_block(isolated: Path) -> None:
    entry = planted_entry(isolated, ["dev", "--help"])
    entry.parent.mkdir(parents=True, mode=0o700)
    os.mkfifo(entry, 0o600)
    done = console_script("eggbin", "dev", "--help")
    assert done.returncode == 0
    assert done.stdout.startswith("Usage: eggbin dev")


def test_a_directory_others_can_write_is_neither_read_nor_written(isolated: Path) -> None:
    good = console_script("eggbin", "--help").stdout
    directory = planted_entry(isolated, ["--help"]).parent
    directory.chmod(0o777)
    done = console_script("eggbin", "--help")
    assert (done.returncode, done.stdout) == (0, good)
    assert "typer" in imported(done.stderr)
    for entry in entries(isolated):
        entry.unlink()
    assert console_script("eggbin", "--help").stdout == good
    assert entries(isolated) == []


@pytest.mark.skipif(not HAS_OTHER_UID, reason="needs root to give a file to another user")
def test_an_entry_owned_by_someone_else_is_ignored(isolated: Path) -> None:
    good = console_script("eggbin", "--help").stdout
    entry = planted_entry(isolated, ["--help"])
    entry.write_bytes(entry.read_bytes().replace(b"Usage:", b"Owned:"))
    os.chown(entry, OTHER_UID, OTHER_UID)
    assert help_cache.read_entry(help_cache.cache_key("eggbin", ["--help"]) or "") is None
    assert console_script("eggbin", "--help").stdout == good


def test_an_unusable_cache_still_prints_the_help(tmp_path: Path) -> None:
    blocker = tmp_path / "a-file"
    blocker.write_text("")
    done = console_script("eggbin", "cov", "--help", env={"XDG_CACHE_HOME": str(blocker)})
    assert done.returncode == 0
    assert done.stdout.startswith("Usage: eggbin cov")
    assert [line for line in done.stderr.splitlines() if not line.startswith("import time:")] == []


def test_xdg_cache_home_is_used_when_absolute(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("XDG_CACHE_HOME", str(tmp_path / "xdg"))
    assert help_cache.cache_dir() == str(tmp_path / "xdg" / "eggbin" / "help")
    monkeypatch.setenv("XDG_CACHE_HOME", "relative")
    assert help_cache.cache_dir() == os.path.expanduser("~/.cache/eggbin/help")


def test_old_entries_are_pruned(isolated: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(private_cache, "MAX_ENTRIES", 4)
    for n in range(4):
        help_cache.write_entry(f"key {n}", "help\n")
    assert len(entries(isolated)) == 4
    help_cache.write_entry("key 4", "help\n")
    assert len(entries(isolated)) == 3
    assert help_cache.read_entry("key 4") == "help\n"


@pytest.mark.parametrize("columns", [None, "abc", "0", "-3", "61"])
def test_the_width_is_shutils_on_a_terminal(columns: str | None) -> None:
    """On a real terminal (a pty 97 columns wide) the key's width is the one click sizes help by."""
    import fcntl
    import struct
    import termios

    environ = {k: v for k, v in os.environ.items() if k not in ("COLUMNS", "LINES")}
    if columns is not None:
        environ["COLUMNS"] = columns
    controller, terminal = pty.openpty()
    fcntl.ioctl(terminal, termios.TIOCSWINSZ, struct.pack("HHHH", 30, 97, 0, 0))
    script = (
        "import shutil, sys; from eggbin.cli.help_cache import terminal_columns; "
        "sys.stderr.write(f'{terminal_columns()} {shutil.get_terminal_size().columns}')"
    )
    try:
        done = subprocess.run(
            [sys.executable, "-c", script],
            stdout=terminal,
            stderr=subprocess.PIPE,
            text=True,
            timeout=60,
            env=environ,
        )
    finally:
        os.close(terminal)
        os.close(controller)
    ours, shutils = done.stderr.split()
    assert ours == shutils
    assert ours == (columns if columns == "61" else "97")


def test_a_deleted_working_directory_still_gets_the_help(tmp_path: Path) -> None:
    """`-c` puts the working directory (`''`) on sys.path: looking for typer there must not fail."""
    gone = tmp_path / "gone"
    gone.mkdir()
    code = "import sys; sys.argv = ['eggbin', 'dev', '--help']; import eggbin.cli; eggbin.cli.eggbin_main()"
    done = subprocess.run(
        ["sh", "-c", f'cd {gone} && rmdir {gone} && exec {sys.executable} -c "{code}"'],
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert "Usage: eggbin dev" in done.stdout, done.stderr


def test_no_home_means_no_cache(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv("HOME")
    monkeypatch.delenv("XDG_CACHE_HOME", raising=False)
    monkeypatch.setattr(os.path, "expanduser", lambda path: path)  # no passwd entry either
    help_cache.write_entry("key", "help\n")
    assert help_cache.read_entry("key") is None
    assert not Path("~").exists()


@pytest.mark.parametrize(
    "colour", [{"NO_COLOR": "1"}, {"FORCE_COLOR": "1"}, {"TERM": "dumb"}, {"TERM": "xterm-256color"}]
)
def test_colour_settings_do_not_change_the_help(
    colour: dict[str, str], monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    """The key leaves colour out because typer renders help plain (`rich_markup_mode=None`): were it
    styled, NO_COLOR / FORCE_COLOR / TERM would have to join the key."""
    plain = typer_help("eggbin", ["dev", "--help"], capsys)
    for name, value in colour.items():
        monkeypatch.setenv(name, value)
    assert typer_help("eggbin", ["dev", "--help"], capsys) == plain
    done = console_script("eggbin", "dev", "--help")
    assert done.stdout == plain
    assert_without_typer(done)
