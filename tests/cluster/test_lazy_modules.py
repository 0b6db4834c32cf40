"""A deferred module is imported and still not run: the first name read from it runs its code, once, and
every name is the module's own; threads reading it at once all wait for that; errors come out as an
import's would. Each case runs in a fresh interpreter (`sys.modules` is the thing under test)."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

MODULES = {
    # runs until the test lets it finish, counting its runs
    "slow_mod.py": (
        "import builtins\nbuiltins.runs += 1\nbuiltins.loading.set()\nbuiltins.release.wait(30)\nVALUE = 42\n"
    ),
    "self_reading.py": (
        "import sys\n"
        "try:\n    sys.modules[__name__].LATER\nexcept AttributeError:\n    EARLY = 'partial'\n"
        "LATER = 1\n"
    ),
    "broken_mod.py": "raise RuntimeError('broken at import')\n",
    # a package that imports its submodules at its top, as msgspec's does
    "eager_pkg/__init__.py": "from . import used, unused\nVALUE = used.VALUE\n",
    "eager_pkg/used.py": "VALUE = 1\n",
    "eager_pkg/unused.py": "import builtins\nbuiltins.unused_runs += 1\nVALUE = 2\n",
}


def run_python(tmp_path: Path, code: str) -> object:
    for name, source in MODULES.items():
        (tmp_path / name).parent.mkdir(exist_ok=True)
        (tmp_path / name).write_text(source)
    done = subprocess.run(
        [sys.executable, "-c", code], cwd=tmp_path, capture_output=True, text=True, timeout=60
    )
    assert done.returncode == 0, done.stderr
    return json.loads(done.stdout.splitlines()[-1])


FIRST_READ_LOADS = """
import json, sys, types
from eggbin.cluster.lazy_modules import defer, is_loaded
defer("http.client")
import http.client
import starlette.exceptions  # imports it at its top, reads it only for a detail-less HTTPException
before = [is_loaded("http.client"), "email.parser" in sys.modules]
detail = starlette.exceptions.HTTPException(404).detail
from http.client import HTTPConnection
after = [is_loaded("http.client"), "email.parser" in sys.modules, type(http.client) is types.ModuleType,
         "__getattr__" in vars(http.client), sys.modules["http.client"] is http.client,
         HTTPConnection.__module__, http.client.responses[418]]
print(json.dumps([before, detail, after]))
"""


def test_a_deferred_module_runs_at_the_first_name_read_and_is_the_real_module_after(tmp_path: Path) -> None:
    before, detail, after = run_python(tmp_path, FIRST_READ_LOADS)  # type: ignore[misc]
    assert before == [False, False]
    assert detail == "Not Found"
    assert after == [True, True, True, False, True, "http.client", "I'm a Teapot"]


THREADS_WAIT = """
import builtins, json, threading
from eggbin.cluster.lazy_modules import defer
builtins.runs, builtins.loading, builtins.release = 0, threading.Event(), threading.Event()
defer("slow_mod")
import slow_mod
seen = []
def read():
    try:
        seen.append(slow_mod.VALUE)
    except AttributeError as exc:
        seen.append(str(exc))
first = threading.Thread(target=read)
first.start()
builtins.loading.wait(30)  # the first reader is running the module's code: the others come now
others = [threading.Thread(target=read) for _ in range(7)]
for thread in others:
    thread.start()
for thread in others:
    thread.join(0.2)  # they block on the load (an unsafe lazy module lets them fail at once)
builtins.release.set()
for thread in [first, *others]:
    thread.join(30)
print(json.dumps([seen, builtins.runs]))
"""


def test_threads_reading_it_while_it_loads_wait_for_its_names(tmp_path: Path) -> None:
    """The race of `importlib.util.LazyLoader` before Python 3.12.3 (CPython gh-114763): not here."""
    assert run_python(tmp_path, THREADS_WAIT) == [[42] * 8, 1]


SELF_READ_AND_ERRORS = """
import json, sys
from eggbin.cluster.lazy_modules import defer, is_loaded
defer("self_reading")
defer("broken_mod")
defer("no_such_module_here")
import self_reading, broken_mod
report = [self_reading.LATER, self_reading.EARLY]
try:
    broken_mod.anything
except RuntimeError as exc:
    report.append(str(exc))
report.append("broken_mod" in sys.modules)
try:
    import broken_mod  # tried again, as after any failed import
except RuntimeError as exc:
    report.append(str(exc))
try:
    import no_such_module_here
except ModuleNotFoundError:
    report.append("not found")
import json as already
defer("json")
report.append(sys.modules["json"] is already and is_loaded("json"))
print(json.dumps(report))
"""


def test_its_own_partial_reads_errors_and_missing_or_imported_modules_behave_as_imports_do(
    tmp_path: Path,
) -> None:
    assert run_python(tmp_path, SELF_READ_AND_ERRORS) == [
        1,
        "partial",
        "broken at import",
        False,
        "broken at import",
        "not found",
        True,
    ]


PACKAGE_IMPORTS_IT = """
import builtins, json, sys
from eggbin.cluster.lazy_modules import defer, is_loaded
builtins.unused_runs = 0
defer("eager_pkg.unused", imported_by_its_package=True)
defer("logging.config")  # a plain submodule: its package is imported and binds it
report = ["eager_pkg" in sys.modules, "logging" in sys.modules]
import eager_pkg, eager_pkg.unused
from eager_pkg import unused
report += [builtins.unused_runs, is_loaded("eager_pkg.unused"), unused is sys.modules["eager_pkg.unused"]]
report += [eager_pkg.unused.VALUE, builtins.unused_runs, is_loaded("eager_pkg.unused"), eager_pkg.VALUE]
import logging.config
report.append(logging.config.dictConfig.__name__)
print(json.dumps(report))
"""


def test_a_submodule_its_package_imports_is_deferred_before_the_package_and_bound_by_it(
    tmp_path: Path,
) -> None:
    assert run_python(tmp_path, PACKAGE_IMPORTS_IT) == [
        False,
        True,
        0,
        False,
        True,
        2,
        1,
        True,
        1,
        "dictConfig",
    ]
