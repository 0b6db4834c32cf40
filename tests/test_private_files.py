"""`write_private`: a 0600 file replaced atomically, without the flush a rename over it costs on ext4."""

from __future__ import annotations

import os
import stat
import sys
from pathlib import Path

import pytest

from eggbin import private_files
from eggbin.private_files import write_private

linux_only = pytest.mark.skipif(not sys.platform.startswith("linux"), reason="renameat2 is Linux's")


def files_in(directory: Path) -> list[str]:
    return sorted(path.name for path in directory.iterdir())


@linux_only
def test_an_existing_file_is_swapped_with_the_new_one_not_renamed_over(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """ext4 flushes a file renamed over another (auto_da_alloc): the state file's write at egg-ready."""
    (tmp_path / "run").mkdir()
    target = tmp_path / "run" / "cluster.json"
    write_private(target, "old")
    renamed_over = []
    real_replace = os.replace

    def replace(source: str | Path, destination: str | Path) -> None:
        renamed_over.append(os.path.exists(destination))
        real_replace(source, destination)

    monkeypatch.setattr(os, "replace", replace)
    write_private(target, "new")
    assert target.read_text() == "new"
    assert renamed_over == []
    assert stat.S_IMODE(target.stat().st_mode) == 0o600
    assert files_in(target.parent) == ["cluster.json"]  # the old file, swapped to the temporary name, is gone


@pytest.mark.parametrize("renameat2", [True, False])
def test_a_new_file_is_created_and_one_without_renameat2_is_replaced(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, renameat2: bool
) -> None:
    if not renameat2:
        monkeypatch.setattr(private_files, "_renameat2", lambda: None)
    target = tmp_path / "run" / "state.json"
    target.parent.mkdir()
    write_private(target, "first")
    write_private(target, "second")
    assert target.read_text() == "second"
    assert stat.S_IMODE(target.stat().st_mode) == 0o600
    assert files_in(target.parent) == ["state.json"]


@linux_only
def test_a_symlink_planted_at_the_file_is_replaced_never_followed(tmp_path: Path) -> None:
    (tmp_path / "run").mkdir()
    elsewhere = tmp_path / "run" / "elsewhere"
    elsewhere.write_text("theirs")
    target = tmp_path / "run" / "cluster.json"
    target.symlink_to(elsewhere)
    write_private(target, "ours")
    assert not target.is_symlink()
    assert target.read_text() == "ours"
    assert elsewhere.read_text() == "theirs"
    assert files_in(target.parent) == ["cluster.json", "elsewhere"]
