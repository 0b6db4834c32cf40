"""The start's import index (eggbin/cluster/start_imports.py): a start finds each module where the one before
found it, with the same spec PathFinder makes, and never a file the search would not have found now (a
module added ahead on the path, one removed, a forged entry). Each start runs in a fresh interpreter, with
its own private cache directory."""

from __future__ import annotations

import json
import os
import re
import subprocess
import sys
from pathlib import Path

import pytest

from eggbin.cluster import start_trace
from tests.cluster.running import running

MODULES = {
    "work/placeholder.txt": "",  # the working directory (first on `sys.path`, as `-c` has it)
    "early/placeholder.txt": "",
    "late/top_mod.py": "WHERE = 'late'\n",
    "late/pkg/__init__.py": "WHERE = 'pkg'\n",
    "late/pkg/sub.py": "WHERE = 'sub'\n",
    "elsewhere/top_mod.py": "WHERE = 'forged'\n",
}

# one start: the finder in place, the imports, the finder out (the entry kept), the specs made
START = """
import importlib, json, sys
sys.path[:0] = [sys.argv[1] + "/early", sys.argv[1] + "/late"]
from eggbin.cluster import start_imports
start_imports.install()
finder = start_imports._installed[0]
known = sorted(finder.known)
specs = {}
for name in ("top_mod", "pkg", "pkg.sub", "colorsys", "wsgiref.util"):
    module = importlib.import_module(name)
    spec = module.__spec__
    specs[name] = [getattr(module, "WHERE", None), spec.origin, spec.cached, type(spec.loader).__name__,
                   spec.submodule_search_locations and list(spec.submodule_search_locations), spec.parent,
                   spec.has_location, module.__file__]
missing = []
try:
    import gone_mod
except ModuleNotFoundError as exc:
    missing.append(exc.name)
new = sorted(finder.found)
start_imports.finish(save=True)
left = [type(f).__name__ for f in sys.meta_path]
print(json.dumps({"known": known, "new": new, "specs": specs, "missing": missing, "left": left}))
"""


def python(tmp_path: Path, code: str) -> str:
    """Run `code` in a fresh interpreter (the tree's path as its argument, `work/` as its working
    directory, the test's own cache directory); its output."""
    env = {**os.environ, "XDG_CACHE_HOME": str(tmp_path / "cache")}
    done = subprocess.run(
        [sys.executable, "-c", code, str(tmp_path)],
        cwd=tmp_path / "work",
        env=env,
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert done.returncode == 0, done.stderr
    return done.stdout


def start(tmp_path: Path) -> dict:
    return dict(json.loads(python(tmp_path, START).splitlines()[-1]))


def write_tree(tmp_path: Path) -> None:
    for name, source in MODULES.items():
        (tmp_path / name).parent.mkdir(parents=True, exist_ok=True)
        (tmp_path / name).write_text(source)


def touch_later(directory: Path) -> None:
    """The directory's mtime moved on, as a change in the same clock tick as the recording may not."""
    info = directory.stat()
    os.utime(directory, ns=(info.st_atime_ns, info.st_mtime_ns + 1_000_000_000))


def test_the_next_start_finds_every_module_where_pathfinder_did_with_the_same_spec(tmp_path: Path) -> None:
    write_tree(tmp_path)
    first = start(tmp_path)
    second = start(tmp_path)
    names = {"top_mod", "pkg", "pkg.sub", "colorsys", "wsgiref", "wsgiref.util"}
    assert first["known"] == []
    assert names <= set(first["new"])
    assert names <= set(second["known"])
    assert second["new"] == []  # every module came from the entry, PathFinder asked for none
    assert second["specs"] == first["specs"]
    assert second["specs"]["pkg"][4] == [str(tmp_path / "late" / "pkg")]
    assert second["specs"]["top_mod"][0] == "late"
    assert first["missing"] == second["missing"] == ["gone_mod"]  # not found stays not found...
    assert "gone_mod" in second["known"]  # ...without a search: the directories are as they were
    assert "StartImports" not in first["left"] + second["left"]


def test_a_module_added_ahead_on_the_path_is_found_instead(tmp_path: Path) -> None:
    write_tree(tmp_path)
    start(tmp_path)
    (tmp_path / "early" / "top_mod.py").write_text("WHERE = 'early'\n")
    touch_later(tmp_path / "early")
    after = start(tmp_path)
    assert after["known"] == []  # a directory searched changed: the whole entry is dropped
    assert after["specs"]["top_mod"][0] == "early"
    assert start(tmp_path)["specs"]["top_mod"][0] == "early"  # and the new entry holds the new answer


def test_a_module_not_found_at_the_last_start_is_found_once_it_is_there(tmp_path: Path) -> None:
    write_tree(tmp_path)
    assert start(tmp_path)["missing"] == ["gone_mod"]
    (tmp_path / "late" / "gone_mod.py").write_text("WHERE = 'back'\n")
    touch_later(tmp_path / "late")
    probe = START + "\nimport gone_mod\nprint(gone_mod.WHERE)\n"
    assert python(tmp_path, probe).splitlines()[-1] == "back"


def test_a_module_removed_is_not_found_from_the_entry(tmp_path: Path) -> None:
    write_tree(tmp_path)
    start(tmp_path)
    (tmp_path / "late" / "pkg" / "sub.py").unlink()
    touch_later(tmp_path / "late" / "pkg")
    probe = START.replace('"pkg.sub", ', "")
    probe += "\ntry:\n    import pkg.sub\nexcept ModuleNotFoundError:\n    print('gone')\n"
    assert python(tmp_path, probe).splitlines()[-1] == "gone"


# the entry the last start left, rewritten as something other than the finder: `edits` are statements on it
EDIT_ENTRY = """
import marshal, sys
sys.path[:0] = [sys.argv[1] + "/early", sys.argv[1] + "/late"]
from eggbin.cluster import start_imports
key = start_imports.current_key()
entry = marshal.loads(start_imports.CACHE.read_bytes(key))
{edits}
start_imports.CACHE.write_bytes(key, marshal.dumps(entry))
"""


def edit_entry(tmp_path: Path, *edits: str) -> None:
    python(tmp_path, EDIT_ENTRY.format(edits="\n".join(edits)))


def test_an_entry_naming_a_file_the_search_would_not_look_at_is_not_followed(tmp_path: Path) -> None:
    write_tree(tmp_path)
    start(tmp_path)
    edit_entry(
        tmp_path,
        'entry["found"]["top_mod"][1] = sys.argv[1] + "/elsewhere/top_mod.py"',  # not on the path searched
        'entry["found"]["pkg.sub"][1] = sys.argv[1] + "/late/top_mod.py"',  # not the name searched for
    )
    after = start(tmp_path)
    assert "top_mod" in after["known"]  # the entry was read...
    assert after["specs"]["top_mod"][0] == "late"  # ...but not followed for these two names
    assert after["specs"]["pkg.sub"][0] == "sub"
    assert {"top_mod", "pkg.sub"} <= set(after["new"])


def test_a_cache_that_is_not_ours_or_not_private_is_not_read(tmp_path: Path) -> None:
    write_tree(tmp_path)
    start(tmp_path)
    (tmp_path / "cache" / "eggbin" / "imports").chmod(0o777)
    assert start(tmp_path)["known"] == []


def test_a_cluster_starts_from_what_its_last_start_left_and_no_child_keeps_the_start_caches(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """The import index and what the start compiled (eggbin/cluster/start_compiled.py), in a real cluster."""
    monkeypatch.setenv(start_trace.ENV, "1")
    work = tmp_path / "work"  # the master's working directory, first on its `sys.path` (`-m`)
    work.mkdir()
    monkeypatch.chdir(work)
    known: dict[str, list[int]] = {"import index": [], "compiled": []}
    machinery = []
    for start_number in (1, 2):
        with running(tmp_path / str(start_number), zygote=True, keep_zygote=False) as cluster:
            for cache, counts in known.items():
                found = re.search(rf"master    {cache}: (\d+)", cluster.log())
                assert found, cluster.log()
                counts.append(int(found.group(1)))
            machinery += [record["data"] for record in cluster.observed("import-machinery")]
    assert known["import index"][0] == known["compiled"][0] == 0
    assert known["import index"][1] > 200  # the imports of the master and the zygote, as found before
    assert known["compiled"][1] > 40  # and the patterns they compiled (`compiled: N patterns, M sources`)
    assert len(machinery) == 2 * 3  # the agent and the two workers of each start...
    assert all("StartImports" not in each["meta_path"] for each in machinery)  # ...find modules as Python
    assert all("PathFinder" in each["meta_path"] for each in machinery)
    assert all(each["compilers"] == ["compile"] for each in machinery)  # ...and compile as Python


def test_records_of_another_shape_are_dropped_and_imports_work_on(tmp_path: Path) -> None:
    write_tree(tmp_path)
    start(tmp_path)
    edit_entry(
        tmp_path,
        'entry["found"]["top_mod"] = "not a record"',
        'entry["found"]["pkg"] = [None, 42, "source", False]',
        'entry["found"]["pkg.sub"][2] = "no such loader"',
    )
    after = start(tmp_path)
    assert "colorsys" in after["known"]
    assert not {"top_mod", "pkg", "pkg.sub"} & set(after["known"])
    assert [after["specs"][name][0] for name in ("top_mod", "pkg", "pkg.sub")] == ["late", "pkg", "sub"]
