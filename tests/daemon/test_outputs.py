"""The daemon's master-std{out,err} files: one per start, unique kept names, each start reads its own."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest

from eggbin.daemon.outputs import open_output
from eggbin.errors import EggbinError


def write(fd: int, text: str) -> None:
    os.write(fd, text.encode())


def test_starts_in_the_same_second_keep_every_previous_log(tmp_path: Path) -> None:
    path = tmp_path / "logs" / "master-stderr.log"
    path.parent.mkdir()
    path.write_text("run 1\n")
    outputs = []
    for run in (2, 3, 4):
        output = open_output(path)
        write(output.fd, f"run {run}\n")
        outputs.append(output)
    kept = sorted(p for p in path.parent.iterdir() if p != path)
    assert sorted(p.read_text() for p in kept) == ["run 1\n", "run 2\n", "run 3\n"]
    assert len({p.name for p in kept}) == 3
    assert path.read_text() == "run 4\n"
    assert [o.tail(5) for o in outputs] == ["\nrun 2", "\nrun 3", "\nrun 4"]
    assert outputs[0].path in kept  # it knows where its file went
    for output in outputs:
        output.close()


def test_an_empty_log_another_start_holds_is_not_shared(tmp_path: Path) -> None:
    path = tmp_path / "master-stderr.log"
    first = open_output(path)  # its master has not written a line yet
    second = open_output(path)
    write(second.fd, "the loser: already running\n")
    write(first.fd, "the winner's line\n")
    assert first.tail(5) == "\nthe winner's line"
    assert second.tail(5) == "\nthe loser: already running"
    assert second.path == path
    assert first.path != path
    first.close()
    second.close()


def test_racing_processes_each_get_a_file_of_their_own(tmp_path: Path) -> None:
    path = tmp_path / "logs" / "master-stdout.log"
    code = (
        "import os, sys; from pathlib import Path; from eggbin.daemon.outputs import open_output\n"
        "out = open_output(Path(sys.argv[1])); os.write(out.fd, f'{os.getpid()}\\n'.encode())\n"
        "print(os.fstat(out.fd).st_ino, out.tail(5).strip(), flush=True); sys.stdin.read()\n"
    )
    racers = [
        subprocess.Popen(
            [sys.executable, "-c", code, str(path)], stdin=subprocess.PIPE, stdout=subprocess.PIPE, text=True
        )
        for _ in range(6)
    ]
    try:
        lines = [racer.stdout.readline().split() for racer in racers if racer.stdout]
    finally:
        for racer in racers:
            racer.communicate("", timeout=30)
    assert len({inode for inode, _ in lines}) == 6  # six files
    assert [int(pid) for _, pid in lines] == [r.pid for r in racers]  # each read only its own line
    assert len(list(path.parent.iterdir())) == 6


def test_a_path_that_is_not_a_file_is_one_line(tmp_path: Path) -> None:
    (tmp_path / "master-stdout.log").mkdir()
    with pytest.raises(EggbinError, match=r"`.*master-stdout\.log` is not a regular file; pass --stdout"):
        open_output(tmp_path / "master-stdout.log")


def test_files_are_the_owners_only(tmp_path: Path) -> None:
    output = open_output(tmp_path / "logs" / "master-stdout.log")
    assert (tmp_path / "logs").stat().st_mode & 0o777 == 0o700
    assert os.fstat(output.fd).st_mode & 0o777 == 0o600
    output.close()
