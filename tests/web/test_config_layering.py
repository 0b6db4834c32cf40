"""Config layering's provenance (`config_meta`) and the syntax eggbin reads of config files, kept per process
for eggbin's own files (so a worker forked from the zygote parses none of them) and from one start to the
next (so the zygote parses none of them either)."""

from __future__ import annotations

import ast
import json
import os
from pathlib import Path

import pytest

from eggbin.web import declared
from eggbin.web.config import Config, extend
from eggbin.web.declared import assigned_names, read_syntax


def layered(*sources: dict[str, object]) -> tuple[Config, dict[str, str]]:
    config, meta = Config(), dict[str, str]()
    for number, source in enumerate(sources):
        extend(config, source, meta, f"file{number}")
    return config, meta


def test_each_leaf_names_the_file_that_set_it_last() -> None:
    config, meta = layered({"a": {"b": 1, "c": 2}, "d": 3}, {"a": {"c": 4}})
    assert config == {"a": {"b": 1, "c": 4}, "d": 3}
    assert meta == {"a.b": "file0", "a.c": "file1", "d": "file0"}


def test_a_dict_replaced_by_a_value_drops_its_leaves() -> None:
    config, meta = layered({"a": {"b": {"c": 1}, "e": 2}, "ab": {"x": 1}}, {"a": None})
    assert config["a"] is None
    assert meta == {"a": "file1", "ab.x": "file0"}  # `ab.x` only shares the prefix `a`


def test_a_value_replaced_by_a_dict_records_the_dict_leaves() -> None:
    _, meta = layered({"a": 1}, {"a": {"b": 2}}, {"a": {"c": {"d": 3}}})
    assert meta["a.b"] == "file1"
    assert meta["a.c.d"] == "file2"


def test_an_empty_dict_is_a_leaf_until_something_fills_it() -> None:
    _, meta = layered({"a": {}}, {"a": {"b": 1}}, {"a": []})
    assert meta["a"] == "file2"
    assert "a.b" not in meta


def test_eggbin_own_files_are_parsed_once_per_process(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    own = tmp_path / "own" / "config.py"
    own.parent.mkdir()
    own.write_text("x = 1\n")
    user = tmp_path / "user.py"
    user.write_text("y = 2\n")
    monkeypatch.setattr(declared, "EGGBIN_FILES", f"{own.parent}{os.sep}")
    monkeypatch.setattr(declared, "_OWN_FILES", {})
    parsed: list[str] = []

    def reader(tree: ast.Module) -> int:
        parsed.append(ast.unparse(tree))
        return len(tree.body)

    assert [read_syntax(own, reader) for _ in range(3)] == [1, 1, 1]
    assert [read_syntax(user, reader) for _ in range(2)] == [1, 1]
    assert parsed == ["x = 1", "y = 2", "y = 2"]  # a user's file is read afresh every time

    own.write_text("x = 1\nz = 3\n")  # another size (and mtime): read again
    assert read_syntax(own, reader) == 2
    assert assigned_names(own) == {"x": 1, "z": 2}
    assigned_names(own)["w"] = 9  # callers get their own copy
    assert assigned_names(own) == {"x": 1, "z": 2}


def test_an_unreadable_own_file_declares_nothing(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    broken = tmp_path / "broken.py"
    broken.write_text("x = (\n")
    monkeypatch.setattr(declared, "EGGBIN_FILES", f"{tmp_path}{os.sep}")
    monkeypatch.setattr(declared, "_OWN_FILES", {})
    assert assigned_names(broken) == {}
    assert assigned_names(tmp_path / "missing.py") == {}


def fresh_start(monkeypatch: pytest.MonkeyPatch) -> list[str]:
    """A new process's state (nothing read yet); returns the list of the sources it parses from now on."""
    monkeypatch.setattr(declared, "_OWN_FILES", {})
    monkeypatch.setattr(declared, "_parsed_own", [])
    parsed: list[str] = []
    real_parse = ast.parse

    def parse(source: str, *args: object, **kwargs: object) -> ast.Module:
        if not args and not kwargs:  # as `read_syntax` calls it (pytest's own calls pass more)
            parsed.append(source)
        return real_parse(source, *args, **kwargs)  # type: ignore[arg-type]

    monkeypatch.setattr(ast, "parse", parse)
    return parsed


@pytest.fixture
def own_files(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    """eggbin's own files in `tmp_path/own`, the syntax cache in `tmp_path/own/__pycache__`."""
    own = tmp_path / "own"
    own.mkdir()
    (own / "a.py").write_text("x = 1\n")
    (own / "b.py").write_text("y = 2\n")
    monkeypatch.setattr(declared, "EGGBIN_FILES", f"{own}{os.sep}")
    monkeypatch.setattr(declared, "SYNTAX_CACHE", own / "__pycache__" / "syntax.json")
    monkeypatch.setattr(declared.sys, "dont_write_bytecode", False)
    return own


def test_the_syntax_of_own_files_is_kept_for_the_next_start(
    own_files: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    parsed = fresh_start(monkeypatch)
    assert (assigned_names(own_files / "a.py"), assigned_names(own_files / "b.py")) == ({"x": 1}, {"y": 1})
    declared.save_own_syntax()
    assert len(parsed) == 2
    assert declared.SYNTAX_CACHE.is_file()

    parsed = fresh_start(monkeypatch)
    declared.load_own_syntax()
    assert (assigned_names(own_files / "a.py"), assigned_names(own_files / "b.py")) == ({"x": 1}, {"y": 1})
    assert parsed == []
    declared.save_own_syntax()  # nothing parsed: nothing written

    (own_files / "b.py").write_text("y = 2\nz = 3\n")  # changed since: parsed again, the cache renewed
    parsed = fresh_start(monkeypatch)
    declared.load_own_syntax()
    assert assigned_names(own_files / "b.py") == {"y": 1, "z": 2}
    assert parsed == ["y = 2\nz = 3\n"]
    declared.save_own_syntax()
    kept = json.loads(declared.SYNTAX_CACHE.read_text())
    assert sorted((Path(name).name, result) for _, name, _, _, result in kept) == [
        ("a.py", {"x": 1}),
        ("b.py", {"y": 1, "z": 2}),  # the entry of b.py's old version is dropped
    ]


@pytest.mark.parametrize(
    "cache",
    [
        "not json",
        '{{"a": 1}}',
        '[["eggbin.web.declared._assigned_names", "{own}/a.py", 0, 6, {{"x": 1}}]]',  # another mtime
        '[["eggbin.web.declared._assigned_names", "{own}/a.py", {mtime}, 6, {{"x": "1"}}]]',  # not lines
        '[["eggbin.web.declared._assigned_names", "{elsewhere}/a.py", {mtime}, 6, {{"x": 1}}]]',
        '[["eggbin.web.declared._assigned_names", "{own}/a.py", {mtime}, 6]]',
    ],
)
def test_a_cache_that_does_not_match_is_not_used(
    own_files: Path, monkeypatch: pytest.MonkeyPatch, cache: str
) -> None:
    declared.SYNTAX_CACHE.parent.mkdir()
    mtime = os.stat(own_files / "a.py").st_mtime_ns
    declared.SYNTAX_CACHE.write_text(cache.format(own=own_files, elsewhere=own_files.parent, mtime=mtime))
    parsed = fresh_start(monkeypatch)
    declared.load_own_syntax()
    assert assigned_names(own_files / "a.py") == {"x": 1}
    assert parsed == ["x = 1\n"]


def test_the_cache_is_not_written_without_bytecode_nor_where_it_cannot_be(
    own_files: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    fresh_start(monkeypatch)
    assigned_names(own_files / "a.py")
    monkeypatch.setattr(declared.sys, "dont_write_bytecode", True)
    declared.save_own_syntax()
    assert not declared.SYNTAX_CACHE.parent.exists()
    monkeypatch.setattr(declared.sys, "dont_write_bytecode", False)
    declared.SYNTAX_CACHE.parent.write_text("a file where the directory would be")
    declared.save_own_syntax()  # no error: the next start parses again
    assert sorted(path.name for path in own_files.iterdir()) == ["__pycache__", "a.py", "b.py"]
