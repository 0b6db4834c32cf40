"""Config layering's provenance (`config_meta`) and the syntax eggbin reads of config files, kept per process
for eggbin's own files (so a worker forked from the zygote parses none of them)."""

from __future__ import annotations

import ast
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
