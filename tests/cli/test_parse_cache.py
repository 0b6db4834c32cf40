"""The parse cache: a hot command replayed without typer gets exactly what typer passed, or typer runs."""

from __future__ import annotations

import os
import shutil
import subprocess
from collections.abc import Callable
from enum import Enum
from pathlib import Path
from typing import Any

import pytest

from eggbin import private_cache
from eggbin.cli import actions, apps, parse_cache, typed_values
from eggbin.errors import NotAnAppError
from tests.support import HAS_OTHER_UID, OTHER_UID

APPS = {"eggbin": apps.eggbin_app, "eggscripts": apps.eggscripts_app}
START_FLAGS = [
    *("app", "--daemon", "--title", "egg-server-x", "-c", "4", "--port", "8000", "--host", "127.0.0.1"),
    *("--env", "prod", "--framework", "fw", "--stdout", "o.log", "--stderr", "e.log", "--timeout", "10"),
    *("--worker-timeout", "0", "--ignore-stderr", "--pid-file", "p.pid", "--python", "python3"),
    *("--https-key", "k.pem", "--https-cert", "c.pem"),
]
ARGVS: dict[str, list[list[str]]] = {
    "eggbin test": [
        [],
        ["tests/a.py", "-k", "x", "-x", "--timeout", "2.5", "--changed", "-n", "2", "--base", "app"],
        ["--bail", "--parallel=3", "tests", "--", "-vv", "--import-mode=prepend"],
        ["--timeout", "0", "--", "-q"],
    ],
    "eggbin cov": [
        [],
        ["--fail-under", "90", "--exclude", "a/*", "--exclude", "b/*", "--report", "term,json", "--", "-q"],
    ],
    "eggbin dev": [
        [],
        ["--port", "8080", "-c", "2", "--host", "0.0.0.0", "--env", "staging", "--framework", "fw"],
        ["-p", "9000", "--base=app"],
    ],
    "eggbin debug": [[], ["--debug-port", "5678", "--debug-host", "0.0.0.0", "--brk", "-p", "7002"]],
    "eggscripts start": [[], START_FLAGS, ["--path", "/tmp/s.sock", "-c", "1"]],
    "eggscripts stop": [[], ["app", "--title", "t", "--timeout", "1.5", "--all"]],
    "eggscripts status": [[], ["--all", "--json"]],
    "eggscripts reload": [[], ["app", "--timeout", "3"]],
}
PYPROJECT = """
[tool.egg]
workers = 3
port = 8124
timeout = 7
report = "term"

[tool.eggscripts]
workers = 2
timeout = 30
"""
CASES = [(command, argv) for command, argvs in ARGVS.items() for argv in argvs]

Call = tuple[str, dict[str, Any]]


@pytest.fixture
def calls(monkeypatch: pytest.MonkeyPatch) -> list[Call]:
    """Every action called, with its values, instead of running it; `os.environ` is this test's copy."""
    seen: list[Call] = []
    for command in actions.ACTIONS:
        monkeypatch.setitem(actions.ACTIONS, command, _recorder(command, seen))
    monkeypatch.setattr(os, "environ", dict(os.environ))  # a `.env` read in-process stays in this test
    (Path("app")).mkdir()
    return seen


def _recorder(command: str, seen: list[Call]) -> Callable[..., int]:
    def record(**values: Any) -> int:
        seen.append((command, values))
        return 0

    return record


def typer_run(command: str, argv: list[str]) -> int:
    prog, *name = command.split()
    with pytest.raises(SystemExit) as exited:
        apps.run(APPS[prog], [*name, *argv])
    return int(exited.value.code or 0)


def replayed(command: str, argv: list[str]) -> bool:
    """The fast path ran (it exits) or found nothing to replay (it returns)."""
    prog, *name = command.split()
    try:
        parse_cache.replay(prog, [*name, *argv])
    except SystemExit as exited:
        code = exited.code
    else:
        return False
    assert code == 0
    return True


def key_of(command: str, argv: list[str]) -> str:
    prog, *name = command.split()
    found = parse_cache.invocation(prog, [*name, *argv])
    assert found is not None
    return found.key


def stored() -> list[Path]:
    directory = Path(parse_cache.STORE.directory())
    return sorted(directory.iterdir()) if directory.is_dir() else []


@pytest.mark.parametrize("settings", ["defaults", "pyproject and env"])
@pytest.mark.parametrize(("command", "argv"), CASES)
def test_the_replay_calls_the_action_with_exactly_what_typer_passed(
    command: str, argv: list[str], settings: str, calls: list[Call], monkeypatch: pytest.MonkeyPatch
) -> None:
    if settings != "defaults":
        Path("pyproject.toml").write_text(PYPROJECT)
        Path("app", "pyproject.toml").write_text(PYPROJECT)
        monkeypatch.setenv("EGGBIN_HOST", "10.0.0.1")
        monkeypatch.setenv("EGGBIN_KEYWORD", "from_env")
        monkeypatch.setenv("EGGSCRIPTS_TITLE", "egg-server-env")
    assert not replayed(command, argv)  # nothing recorded yet
    assert typer_run(command, argv) == 0
    assert replayed(command, argv)
    assert len(calls) == 2
    (typer_command, typer_values), (fast_command, fast_values) = calls
    assert fast_command == typer_command == command
    assert typed_values.same(fast_values, typer_values), (fast_values, typer_values)
    assert set(typer_values) >= {"base"}


def test_values_from_settings_reach_the_replay(calls: list[Call], monkeypatch: pytest.MonkeyPatch) -> None:
    Path("pyproject.toml").write_text(PYPROJECT)
    monkeypatch.setenv("EGGBIN_HOST", "10.0.0.1")
    Path(".env").write_text("EGGBIN_ENV=from-dotenv\n")
    typer_run("eggbin dev", [])
    assert os.environ.pop("EGGBIN_ENV") == "from-dotenv"  # a new process has not read the `.env` yet
    assert replayed("eggbin dev", [])
    assert os.environ["EGGBIN_ENV"] == "from-dotenv"  # the replay read it as typer's path did
    for _, values in calls:
        assert (values["workers"], values["port"], values["host"], values["env"]) == (
            3,
            8124,
            "10.0.0.1",
            "from-dotenv",
        )


@pytest.mark.parametrize(
    "change",
    [
        "argv",
        "cwd",
        "pyproject",
        "pyproject appears",
        ".env",
        "option env var",
        "base env var",
        "source file",
    ],
)
def test_whatever_the_parse_read_changing_is_a_miss(
    change: str, calls: list[Call], monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    if change != "pyproject appears":
        Path("pyproject.toml").write_text(PYPROJECT)
    Path(".env").write_text("EGGBIN_ENV=a\n")
    typer_run("eggbin test", ["-k", "x"])
    monkeypatch.setattr(os, "environ", dict(os.environ))  # drop what `.env` set: a new process's view
    os.environ.pop("EGGBIN_ENV", None)
    argv = ["-k", "x"]
    if change == "argv":
        argv = ["-k", "y"]
    elif change == "cwd":
        Path("elsewhere").mkdir()
        monkeypatch.chdir("elsewhere")
    elif change == "pyproject":
        Path("pyproject.toml").write_text(PYPROJECT.replace("timeout = 7", "timeout = 8"))
    elif change == "pyproject appears":
        Path("pyproject.toml").write_text(PYPROJECT)
    elif change == ".env":
        Path(".env").write_text("EGGBIN_ENV=b\n")
    elif change == "option env var":
        monkeypatch.setenv("EGGBIN_TIMEOUT", "3")
    elif change == "base env var":
        monkeypatch.setenv("EGGBIN_BASE", "app")
    else:
        source = Path(parse_cache.__file__)
        info = source.stat()
        monkeypatch.setattr(private_cache, "source_fingerprint", lambda packages: f"{info.st_mtime_ns + 1}")
    assert not replayed("eggbin test", argv)
    assert len(calls) == 1


def test_the_key_holds_the_parsing_packages_sources() -> None:
    fingerprint = private_cache.source_fingerprint(parse_cache.PARSING_PACKAGES) or ""
    for package in ("typer", "dotenv"):
        where = private_cache.package_dir(package)
        assert f"{where}/__init__.py:" in fingerprint
    assert f"{Path(parse_cache.__file__)}:" in fingerprint


def test_the_key_holds_the_cli_sources_not_the_rest_of_eggbin() -> None:
    """What the commands run (test runner, runtime, daemon) is imported afresh by every replay."""
    from eggbin import testrunner
    from eggbin.testing import plugin

    fingerprint = private_cache.source_fingerprint(parse_cache.PARSING_PACKAGES) or ""
    assert f"{Path(parse_cache.__file__).parent / 'test.py'}:" in fingerprint
    assert f"{Path(testrunner.__file__)}:" not in fingerprint
    assert f"{Path(plugin.__file__)}:" not in fingerprint


@pytest.mark.parametrize(
    ("command", "argv", "code"),
    [
        ("eggbin dev", ["--port", "0"], 2),  # out of range
        ("eggbin dev", ["--bogus"], 2),
        ("eggbin dev", ["--help"], 0),
        ("eggbin dev", ["-h"], 0),
        ("eggbin test", ["--version"], 2),
        ("eggbin", ["--version"], 0),
        ("eggscripts start", ["--workers", "0"], 2),
        ("eggscripts stop", ["--timeout", "soon"], 2),
    ],
)
def test_usage_errors_and_help_are_never_recorded(
    command: str, argv: list[str], code: int, calls: list[Call]
) -> None:
    assert typer_run(command, argv) == code
    assert calls == []
    assert stored() == []
    assert not replayed(command, argv)


@pytest.mark.parametrize("setting", ["EGGBIN_PORT=abc", "unknown pyproject key", "bad pyproject value"])
def test_settings_that_fail_or_warn_are_never_recorded(
    setting: str, calls: list[Call], monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    if setting.startswith("EGGBIN_PORT"):
        monkeypatch.setenv("EGGBIN_PORT", "abc")
    elif setting == "unknown pyproject key":
        Path("pyproject.toml").write_text("[tool.egg]\nwrokers = 2\n")
    else:
        Path("pyproject.toml").write_text("[tool.egg]\nworkers = 'many'\n")
    typer_run("eggbin dev", [])
    assert stored() == []
    assert not replayed("eggbin dev", [])
    if setting == "unknown pyproject key":  # the run itself went on, and warned each time
        assert len(calls) == 1
        assert "unknown key `wrokers`" in capsys.readouterr().err


def test_a_command_that_fails_is_forgotten(monkeypatch: pytest.MonkeyPatch, calls: list[Call]) -> None:
    from eggbin.errors import UsageError

    def failing(**values: Any) -> int:
        raise UsageError("no such app")

    monkeypatch.setitem(actions.ACTIONS, "eggscripts status", failing)
    assert typer_run("eggscripts status", []) == 2
    assert stored() == []


def test_a_replay_that_fails_is_forgotten(monkeypatch: pytest.MonkeyPatch, calls: list[Call]) -> None:
    from eggbin.errors import UsageError

    typer_run("eggscripts status", [])
    assert len(stored()) == 1

    def failing(**values: Any) -> int:
        raise UsageError("no such app")

    monkeypatch.setitem(actions.ACTIONS, "eggscripts status", failing)
    with pytest.raises(SystemExit) as exited:
        parse_cache.replay("eggscripts", ["status"])
    assert exited.value.code == 2
    assert stored() == []


def test_completion_requests_never_use_the_cache(calls: list[Call], monkeypatch: pytest.MonkeyPatch) -> None:
    typer_run("eggbin dev", [])
    monkeypatch.setenv("_EGGBIN_COMPLETE", "complete_bash")
    assert parse_cache.invocation("eggbin", ["dev"]) is None
    assert not replayed("eggbin dev", [])


def entry_of(command: str, argv: list[str]) -> Path:
    return Path(parse_cache.STORE.directory()) / parse_cache.STORE.entry_name(key_of(command, argv))


@pytest.mark.parametrize(
    "damage", ["truncated", "bad checksum", "other key", "not json", "unknown command", "foreign enum"]
)
def test_a_corrupt_entry_is_ignored(damage: str, calls: list[Call]) -> None:
    typer_run("eggbin dev", ["-p", "8000"])
    entry = entry_of("eggbin dev", ["-p", "8000"])
    data = entry.read_text()
    body = data.partition("\0")[2]
    key = key_of("eggbin dev", ["-p", "8000"])
    forged = {
        "not json": "{not json",
        "unknown command": body.split("\n", 1)[1].replace('"eggbin dev"', '"eggbin rm"'),
        "foreign enum": body.split("\n", 1)[1].replace("8000", '{"enum": "os:Foo", "name": "x"}'),
    }
    if damage == "truncated":
        entry.write_text(data[: len(data) // 2])
    elif damage == "bad checksum":
        entry.write_text(data.replace("8000", "8001"))
    elif damage == "other key":
        entry.write_text(data.replace("\x1f", "\x1e", 1))
    else:
        parse_cache.STORE.write(key, forged[damage])
    assert not replayed("eggbin dev", ["-p", "8000"])
    assert typer_run("eggbin dev", ["-p", "8000"]) == 0  # typer again, and its record replaces the damage
    assert replayed("eggbin dev", ["-p", "8000"])
    assert [values["port"] for _, values in calls] == [8000, 8000, 8000]


def test_a_symlinked_entry_is_not_followed(calls: list[Call], tmp_path: Path) -> None:
    typer_run("eggbin dev", ["-p", "8000"])
    entry = entry_of("eggbin dev", ["-p", "8000"])
    elsewhere = tmp_path / "elsewhere"
    elsewhere.write_bytes(entry.read_bytes())
    entry.unlink()
    entry.symlink_to(elsewhere)
    assert not replayed("eggbin dev", ["-p", "8000"])


@pytest.mark.skipif(not HAS_OTHER_UID, reason="needs root to give a file to another user")
@pytest.mark.parametrize("what", ["entry", "directory"])
def test_an_entry_or_directory_owned_by_someone_else_is_ignored(what: str, calls: list[Call]) -> None:
    typer_run("eggbin dev", ["-p", "8000"])
    entry = entry_of("eggbin dev", ["-p", "8000"])
    os.chown(entry if what == "entry" else entry.parent, OTHER_UID, OTHER_UID)
    assert not replayed("eggbin dev", ["-p", "8000"])


def test_a_writable_directory_is_ignored(calls: list[Call]) -> None:
    typer_run("eggbin dev", ["-p", "8000"])
    entry = entry_of("eggbin dev", ["-p", "8000"])
    entry.parent.chmod(0o777)
    assert not replayed("eggbin dev", ["-p", "8000"])


class Color(Enum):
    red = "red"


@pytest.mark.parametrize(
    "value",
    [
        None,
        True,
        0,
        1,
        -2,
        1.0,
        2.5,
        float("inf"),
        "",
        "é \x1f",
        Path("a/b"),
        Path("/x"),
        [],
        [1, "a"],
        ("a", 1.5),
        [(Path("p"), None)],
    ],
)
def test_typed_values_round_trip(value: object) -> None:
    text = typed_values.encode_call("eggbin dev", {"v": value})
    assert text is not None
    call = typed_values.decode_call(text)
    assert call is not None
    assert typed_values.same(call[1]["v"], value)


@pytest.mark.parametrize("value", [{"a": 1}, {1, 2}, b"bytes", object(), Color.red, [Color.red]])
def test_values_of_other_types_are_not_recorded(value: object) -> None:
    """A dict, a set, bytes, an object, an enum that is not eggbin's: typer runs every time."""
    assert typed_values.encode_call("eggbin dev", {"v": value}) is None


def test_eggbin_enums_round_trip() -> None:
    from eggbin.cli.options import ProjectType

    text = typed_values.encode_call("eggbin init", {"type": ProjectType.plugin})
    assert text is not None
    call = typed_values.decode_call(text)
    assert call is not None
    assert call[1]["type"] is ProjectType.plugin


def test_same_tells_types_apart() -> None:
    assert not typed_values.same(1, 1.0)
    assert not typed_values.same(1, True)
    assert not typed_values.same([1], (1,))
    assert not typed_values.same("a", Path("a"))
    assert typed_values.same(float("nan"), float("nan"))


def test_the_cache_lives_beside_the_help_cache() -> None:
    assert Path(parse_cache.STORE.directory()).parent == Path(os.path.expanduser("~/.cache/eggbin"))
    assert parse_cache.STORE.kind == "parse"


def run_script(
    prog: str, *argv: str, cwd: Path, env: dict[str, str] | None = None
) -> subprocess.CompletedProcess[str]:
    environ = {**os.environ, "PYTHONPROFILEIMPORTTIME": "1", **(env or {})}
    return subprocess.run([prog, *argv], capture_output=True, text=True, timeout=120, env=environ, cwd=cwd)


def output(done: subprocess.CompletedProcess[str]) -> tuple[int, str, str]:
    err = "\n".join(line for line in done.stderr.splitlines() if not line.startswith("import time:"))
    return done.returncode, done.stdout, err


def heavy_imports(done: subprocess.CompletedProcess[str]) -> set[str]:
    names = {
        line.rsplit("|", 1)[-1].strip()
        for line in done.stderr.splitlines()
        if line.startswith("import time:")
    }
    return {name for name in names if name.split(".")[0] in ("typer", "click", "rich")}


def tiny_app(root: Path) -> Path:
    app = root / "shop"
    (app / "app").mkdir(parents=True)
    (app / "app" / "router.py").write_text("def router(app):\n    pass\n")
    (app / "tests").mkdir()
    (app / "tests" / "test_one.py").write_text("def test_one():\n    assert 1\n")
    return app


def test_eggbin_test_runs_without_typer_the_second_time(tmp_path: Path) -> None:
    """The installed console script: same output and exit code, and typer, click, rich never imported.

    pytest's own plugins may import click (httpx's CLI): the check is on what ran before pytest.
    """
    app = tiny_app(tmp_path)
    argv = ("test", "--", "-q", "-p", "no:cacheprovider", "-p", "no:eggbin", "-p", "no:anyio")
    first = run_script("eggbin", *argv, cwd=app)
    second = run_script("eggbin", *argv, cwd=app)
    assert output(first)[0] == 0, first.stderr[-2000:]
    assert output(second)[0] == output(first)[0]
    assert "1 passed" in second.stdout
    assert heavy_imports(first) >= {"typer"}
    assert heavy_imports(second) == set(), second.stderr[-3000:]


def test_eggscripts_runs_without_typer_the_second_time_and_fails_alike(tmp_path: Path) -> None:
    """`eggscripts status` twice: byte-identical output; then the app goes away: typer's very error,
    with EGGBIN_DEBUG=1 too, and the failed replay is forgotten."""
    app = tiny_app(tmp_path)
    first = run_script("eggscripts", "status", "shop", cwd=tmp_path)
    second = run_script("eggscripts", "status", "shop", cwd=tmp_path)
    assert output(first) == output(second)
    assert output(first)[:2] == (0, "")
    assert "no eggbin cluster is running" in output(first)[2]
    assert heavy_imports(first) >= {"typer"}
    assert heavy_imports(second) == set()
    router = (app / "app" / "router.py").read_text()
    shutil.rmtree(app / "app")  # `shop` is still a directory: the same key, and the command fails
    replayed_error = run_script("eggscripts", "status", "shop", cwd=tmp_path)
    typer_error = run_script("eggscripts", "status", "shop", cwd=tmp_path)
    assert heavy_imports(replayed_error) == set()
    assert heavy_imports(typer_error) >= {"typer"}  # the failure was not kept
    assert output(replayed_error) == output(typer_error)
    assert output(typer_error)[0] == NotAnAppError.exit_code
    assert output(typer_error)[2].startswith("error: `")
    assert "is not an eggbin app" in output(typer_error)[2]
    (app / "app").mkdir()
    (app / "app" / "router.py").write_text(router)
    assert run_script("eggscripts", "status", "shop", cwd=tmp_path).returncode == 0  # recorded again
    shutil.rmtree(app / "app")
    debug = {"EGGBIN_DEBUG": "1"}  # not the parse's business: the same key
    replayed_debug = run_script("eggscripts", "status", "shop", cwd=tmp_path, env=debug)
    typer_debug = run_script("eggscripts", "status", "shop", cwd=tmp_path, env=debug)
    assert heavy_imports(replayed_debug) == set()
    assert heavy_imports(typer_debug) >= {"typer"}
    for done in (replayed_debug, typer_debug):  # the traceback, as EGGBIN_DEBUG=1 asks
        assert done.returncode == 1
        assert "Traceback (most recent call last)" in done.stderr
    assert output(replayed_debug)[2].splitlines()[-1] == output(typer_debug)[2].splitlines()[-1]
    assert "NotAnAppError" in output(typer_debug)[2].splitlines()[-1]


def test_a_working_directory_that_is_not_utf8_is_never_keyed(
    calls: list[Call], monkeypatch: pytest.MonkeyPatch
) -> None:
    os.mkdir(b"caf\xe9")
    monkeypatch.chdir(b"caf\xe9")
    assert parse_cache.invocation("eggbin", ["dev"]) is None
    assert typer_run("eggbin dev", []) == 0  # typer runs, and nothing is kept
    assert stored() == []


def test_a_typer_imported_from_another_directory_than_the_keyed_one_is_never_recorded(
    calls: list[Call], monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    """The key stats the typer that `sys.path` finds; one imported by other means is not what it covers."""
    shadow = tmp_path / "shadow" / "typer"
    shadow.mkdir(parents=True)
    (shadow / "__init__.py").write_text("")
    real = private_cache.package_dir
    monkeypatch.setattr(private_cache, "package_dir", lambda p: str(shadow) if p == "typer" else real(p))
    assert parse_cache.invocation("eggbin", ["dev"]) is not None
    assert typer_run("eggbin dev", []) == 0
    assert stored() == []
