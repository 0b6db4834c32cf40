"""The zygote holds what a worker's boot imports: workers share those pages and skip the imports."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import pytest

from tests.cluster.running import copy_app

# a fresh interpreter: defer as the master does, preload as the zygote does, boot a worker's app (list the
# eggbin modules it imported late), then an agent: count the parses of eggbin's own config files in both boots
BOOT_AFTER_PRELOAD = """
from eggbin.cluster.lazy_modules import defer_unused_at_start
defer_unused_at_start()  # as the master does before its first import (asyncio imports subprocess, locale)
import asyncio, json, sys
from pathlib import Path
from eggbin.cluster import zygote_preload as zygote
zygote.preload_agent()
zygote.preload_worker()
before = set(sys.modules)
html_preloaded = "html" in before  # its entity table: imported at the first error page or helper.escape
import ast
from eggbin.web.units import EGGBIN_PATH
own_files = [*EGGBIN_PATH.glob("**/config/*.py"), *EGGBIN_PATH.glob("plugins/*/__init__.py")]
own = {file.read_text(encoding="utf-8") for file in own_files}
parsed_own = []
real_parse = ast.parse
def parse(source, *args, **kwargs):
    if source in own:
        parsed_own.append(source)
    return real_parse(source, *args, **kwargs)
ast.parse = parse
import tempfile
from eggbin.cluster.asgi_server import loop_factory
loops_found = loop_factory.cache_info().currsize  # uvloop or asyncio's, chosen in the zygote
probes = []  # what `tempfile.gettempdir()` does the first time in a process: a probe file per directory
real_probe = tempfile._get_default_tempdir
tempfile._get_default_tempdir = lambda: probes.append(1) or real_probe()
from eggbin.web.env import resolve_env
from eggbin.web.framework import create_app
base = Path(sys.argv[1])
app = create_app("app", base, resolve_env(base, "unittest"), None)
app.checks_settings = False  # as in a worker
asyncio.run(app.boot(write_run_files=False))
imported_late, with_jinja2 = sorted(set(sys.modules) - before), "jinja2" in sys.modules
agent = create_app("agent", base, resolve_env(base, "unittest"), None)
agent.checks_settings = False
asyncio.run(agent.boot(write_run_files=False))
from eggbin.cluster.lazy_modules import UNUSED_AT_START, UNUSED_PACKAGE_IMPORTS, is_loaded
DEFERRED = UNUSED_AT_START + UNUSED_PACKAGE_IMPORTS
print(json.dumps(imported_late))
print(json.dumps(with_jinja2))
print(json.dumps(len(parsed_own)))
print(json.dumps({name: [name in sys.modules, is_loaded(name)] for name in DEFERRED}))
# imported by the boot of an app that turns compress or cors on, markupsafe by a helper's first call
unused = sorted({"starlette.middleware.gzip", "starlette.middleware.cors", "markupsafe"} & set(sys.modules))
print(json.dumps([loops_found, len(probes), html_preloaded, unused]))
# each deferred module still serves its one path when first used
import subprocess
from concurrent.futures import ThreadPoolExecutor
from email.utils import mktime_tz
import msgspec
from starlette.requests import cookie_parser
from starlette.responses import Response
with tempfile.TemporaryDirectory() as kept:
    Path(kept, "f").write_text("x")
response = Response()
response.set_cookie("a", "b c")
with ThreadPoolExecutor(1) as pool:
    threaded = pool.submit(lambda: 2).result()
echoed = subprocess.run([sys.executable, "-c", "print('hi')"], capture_output=True, text=True).stdout
used = [Path(kept).exists(), response.headers["set-cookie"], cookie_parser('k="v\\054w"'), threaded,
        mktime_tz((2026, 11, 30, 0, 0, 0, 0, 1, -1, 3600)), echoed, msgspec.json.decode(b'{"a": [1]}'),
        msgspec.yaml.encode.__name__, msgspec.inspect.type_info(int).__class__.__name__]
print(json.dumps([used, {name: is_loaded(name) for name in DEFERRED if name != "logging.config"}]))
"""


def test_a_default_boot_imports_no_eggbin_module_the_zygote_did_not_preload(tmp_path: Path) -> None:
    app_dir = copy_app(tmp_path, "cluster_basic")
    done = subprocess.run(
        [sys.executable, "-c", BOOT_AFTER_PRELOAD, str(app_dir)], capture_output=True, text=True, timeout=60
    )
    assert done.returncode == 0, done.stderr
    *_, imported_late, with_jinja2, own_files_parsed, deferred, found_once, used = done.stdout.splitlines()
    late = [
        name
        for name in json.loads(imported_late)
        # eggbin's own config modules and plugins' boot files (`<package>._boot_app`) are preloaded too
        if name.startswith(("eggbin", "jinja2"))
    ]
    assert late == []
    assert json.loads(with_jinja2) is False  # a worker imports it at its first render (i18n's `__` too)
    assert json.loads(own_files_parsed) == 0  # their syntax was read in the zygote, before the agent's fork
    # imported (by uvicorn, starlette) but never run, in the zygote or by either boot
    names = ("logging.config", "http.client", "http.cookies", "shutil", "calendar", "queue", "locale")
    names += ("msgspec.inspect", "msgspec.json", "msgspec.msgpack", "msgspec.toml", "msgspec.yaml")
    assert json.loads(deferred) == {name: [True, False] for name in names}
    # the event loop's kind and the temporary directory (eggbin's multipart config) found by the zygote;
    # no `html` module (only its `escape` is used, on error pages and by `helper.escape`), no starlette gzip
    # nor CORS middleware, no markupsafe
    assert json.loads(found_once) == [1, 0, False, []]
    first_uses, loaded = json.loads(used)
    removed, cookie, parsed, threaded, timestamp, *msgspec_uses = first_uses
    assert (removed, cookie, parsed, threaded) == (False, 'a="b c"; Path=/; SameSite=lax', {"k": "v,w"}, 2)
    assert timestamp == 1795993200  # 2026-11-30 00:00 at +01:00
    assert msgspec_uses == ["hi\n", {"a": [1]}, "encode", "IntType"]
    assert loaded == {
        "http.client": False,
        "http.cookies": True,
        "shutil": True,
        "calendar": True,
        "queue": True,
        "locale": True,
        "msgspec.inspect": True,
        "msgspec.json": True,
        "msgspec.msgpack": False,
        "msgspec.toml": False,
        "msgspec.yaml": True,
    }


def test_the_ready_notice_to_a_master_already_gone_ends_the_zygote_quietly() -> None:
    """A start that fails during the zygote's imports closes the control socket: no traceback."""
    import socket

    from eggbin.cluster.zygote_process import announce_workers_ready

    ours, theirs = socket.socketpair(socket.AF_UNIX, socket.SOCK_SEQPACKET)
    with ours, theirs:
        assert announce_workers_ready(theirs)
        assert json.loads(ours.recv(4096)) == {"ready": "workers"}
        ours.close()
        assert not announce_workers_ready(theirs)


# a fresh interpreter: the zygote's loop, given the optional-preload notice, then the master's end
OPTIONAL_NOTICE = """
import json, os, socket, sys
from eggbin.cluster import zygote_process as zygote
ours, theirs = socket.socketpair(socket.AF_UNIX, socket.SOCK_SEQPACKET)
before = "uvicorn.protocols.websockets.websockets_sansio_impl" in sys.modules
ours.send(json.dumps({"preload": "optional"}).encode())
ours.close()
zygote.serve(theirs, os.getpid())
print(json.dumps([before, "uvicorn.protocols.websockets.websockets_sansio_impl" in sys.modules]))
"""


def test_the_optional_preload_notice_imports_the_websockets_protocol_and_forks_nothing() -> None:
    done = subprocess.run([sys.executable, "-c", OPTIONAL_NOTICE], capture_output=True, text=True, timeout=60)
    assert done.returncode == 0, done.stderr
    assert json.loads(done.stdout.splitlines()[-1]) == [False, True]


PATTERNS = ("**/config/*.py", "plugins/*/__init__.py", "**/app/extend/*.py", "**/app/middleware/*.py")


def test_the_zygote_finds_the_files_path_glob_finds_with_one_walk(tmp_path: Path) -> None:
    from eggbin.cluster.zygote_preload import globbed
    from eggbin.web.units import EGGBIN_PATH

    for relative in (
        "config/default.py", "config/plugin.py", "config/notes.txt", "config/deep/x.py", "a/b/config/c.py",
        "plugins/p/__init__.py", "plugins/p/q/__init__.py", "x/plugins/p/__init__.py", "app/extend/e.py",
        "plugins/p/app/middleware/m.py", "plugins/p/app/middleware/__pycache__/m.py", "app/extend.py",
    ):  # fmt: skip
        (tmp_path / relative).parent.mkdir(parents=True, exist_ok=True)
        (tmp_path / relative).write_text("")
    for root in (EGGBIN_PATH, tmp_path):
        for pattern in PATTERNS:
            assert globbed(root, pattern) == sorted(root.glob(pattern)), (root, pattern)
    assert len(globbed(tmp_path, "**/config/*.py")) == 3


def test_eggbins_own_tree_is_walked_once_for_boots_and_zygote(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    """The zygote's patterns over eggbin's tree read the listing every boot reads: no second walk."""
    import os

    from eggbin.cluster.zygote_preload import _python_files
    from eggbin.web import own_files
    from eggbin.web.units import EGGBIN_PATH

    own_files.listing()
    monkeypatch.setattr(os, "walk", lambda *args: pytest.fail("walked again"))
    files = _python_files.__wrapped__(str(EGGBIN_PATH))
    assert sorted(EGGBIN_PATH.joinpath(*parts) for parts in files) == sorted(
        path for path in EGGBIN_PATH.rglob("*.py") if "__pycache__" not in path.parts
    )


def test_the_builtin_packages_are_what_pkgutil_walks_but_the_plugins_boot_files() -> None:
    """Listed from the zygote's one walk (no `pkgutil`); the boot files are imported once, by the loader's
    names (`<plugin>._boot_app`), not a second time by their plain ones."""
    import pkgutil

    import eggbin.web.builtin
    from eggbin.cluster.zygote_preload import OFF_BY_DEFAULT, builtin_packages

    package = eggbin.web.builtin.__name__
    root = Path(eggbin.web.builtin.__file__).parent
    walked = {m.name for m in pkgutil.walk_packages(eggbin.web.builtin.__path__, f"{package}.")}
    boot_files = {
        f"{package}.plugins.{file.parent.name}.{file.stem}"
        for role in ("app", "agent")
        for file in root.glob(f"plugins/*/{role}.py")
        if not (file.parent / role / "__init__.py").exists()  # a package `app/` is what the name imports
    }
    assert f"{package}.plugins.logrotator.agent" in boot_files
    expected = {name for name in walked - boot_files if not name.startswith(OFF_BY_DEFAULT)}
    listed = builtin_packages(root, package)
    assert set(listed) == expected | {package}
    assert len(listed) == len(set(listed))
