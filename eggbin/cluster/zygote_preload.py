"""What the zygote imports before it forks (`eggbin.cluster.zygote_process` runs it): the agent's modules
first (`preload_agent`: the agent is forked as soon as they are in), then the workers' (`preload_worker`),
and at egg-ready, when the zygote stays, what only some children use (`preload_optional`).

Only eggbin's own modules and the libraries it serves with: never the app's (its code runs only after
`agent-started`, in a child that forks nothing). What is read of eggbin's own files at every boot (their
syntax, the listing of its tree) is read here once too, so no child reads it again.
"""

from __future__ import annotations

import functools
import importlib
import os

from eggbin.cluster.start_trace import mark

TYPE_CHECKING = False  # not `typing.TYPE_CHECKING`: imported in the zygote right after its fork
if TYPE_CHECKING:
    from pathlib import Path
    from typing import Any

# What the agent needs: it is forked as soon as these are in and boots while the rest comes in.
AGENT = "eggbin.cluster.agent"
AGENT_PRELOAD = (AGENT, "eggbin.web.framework", "eggbin.web.application")
WORKER_PRELOAD = ("eggbin.cluster.worker", "starlette.responses", "starlette.staticfiles")
# What a worker's boot imports for the built-in plugins on by default (plus their `app/extend` and
# `app/middleware` files, found on disk): imported once here, shared by every worker, off their boot.
# tests/cluster/test_zygote_preload.py fails when a default boot imports an eggbin module not preloaded.
BOOT_PRELOAD = (
    "eggbin.web.body", "eggbin.web.cookies", "eggbin.web.i18n", "eggbin.web.jsonp", "eggbin.web.keygrip",
    "eggbin.web.multipart", "eggbin.web.openapi", "eggbin.web.redirect", "eggbin.web.security",
    "eggbin.web.service", "eggbin.web.session", "eggbin.web.session_store", "eggbin.web.ssrf",
    "eggbin.web.uploads", "eggbin.web.websocket",
)  # fmt: skip
OPTIONAL_PRELOAD = ("eggbin.web.view",)  # jinja2: imported by a worker's first render
BUILTIN_APP_DIRS = ("extend", "middleware")
OFF_BY_DEFAULT = "eggbin.web.builtin.plugins.metrics"  # imported by the workers of an app that turns it on


def preload(modules: tuple[str, ...]) -> None:
    for name in modules:
        importlib.import_module(name)


def preload_agent() -> None:
    """What the agent needs, and what every boot reads of eggbin's own config files: their modules
    (pure: the app's values come from calling their `config(app_info)`) and their syntax."""
    from eggbin.cluster.lazy_modules import defer_unused_at_start

    defer_unused_at_start()  # before uvicorn and starlette import them
    import tempfile

    from eggbin.web import own_files
    from eggbin.web.units import EGGBIN_PACKAGE, EGGBIN_PATH

    # eggbin's multipart config reads it at every boot: found once here (it writes and removes a probe file
    # in each candidate directory, ~0.5 ms), every child then reads `tempfile.tempdir`
    tempfile.gettempdir()

    preload(AGENT_PRELOAD)
    preload(builtin_modules(EGGBIN_PATH, EGGBIN_PACKAGE, ("**/config/*.py",)))
    preload_boot_files(EGGBIN_PATH, EGGBIN_PACKAGE, "agent")
    read_builtin_config_syntax(EGGBIN_PATH)
    own_files.listing()  # what every boot asks of eggbin's own units: listed here, once
    warm_abc_caches()


def preload_worker() -> None:
    """What workers need, what uvicorn would import at its first start, and eggbin's own load unit."""
    from pathlib import Path

    import eggbin.web.builtin

    preload(WORKER_PRELOAD)  # the worker's module first: it imports uvicorn without its CLI
    from eggbin.cluster.asgi_server import Config, LazyWebSocketsProtocol, loop_factory

    # as a worker configures it: the websockets protocol is imported at a worker's first upgrade, and no
    # `log_config` (uvicorn's own would give its loggers handlers every forked worker inherits: plain
    # lines where a spawned worker's go to the root logger, JSON with `EGG_LOG_STDOUT`)
    config = Config(
        app=_asgi_placeholder, lifespan="off", log_level="warning", ws=LazyWebSocketsProtocol, log_config=None
    )
    config.load()
    loop_factory()  # uvloop, when installed: chosen once here, as each worker would
    builtin = Path(eggbin.web.builtin.__file__).parent
    preload(builtin_packages(builtin, eggbin.web.builtin.__name__))
    preload(BOOT_PRELOAD)
    app_files = tuple(f"**/app/{directory}/*.py" for directory in BUILTIN_APP_DIRS)
    preload(builtin_modules(builtin, eggbin.web.builtin.__name__, app_files))
    preload_boot_files(builtin, eggbin.web.builtin.__name__, "app")
    warm_abc_caches()


# what a boot asks `collections.abc` of plain values: logging's `isinstance(args[0], Mapping)` for each
# record, `inspect.isawaitable(None)`, a `Config` or a dict against `Mapping` (eggbin.web.config.Config)
ABC_ASKED = ("Mapping", "MutableMapping", "Awaitable")


def warm_abc_caches() -> None:
    """The answers of `collections.abc` about plain values, cached here after the imports (a registration
    drops the negative ones): a child asked them first and walked every subclass of `Mapping` (~30 checks),
    writing each one's cache, pages it then copied (~60 faults of every boot)."""
    import collections.abc

    from eggbin.web.config import Config

    asked = [getattr(collections.abc, name) for name in ABC_ASKED]
    values: tuple[object, ...] = (None, "", {}, Config())
    for value in values:
        for abc in asked:
            isinstance(value, abc)


def preload_boot_files(root: Path, package: str, role: str) -> None:
    """eggbin's own plugins' boot files (`app.py`, `agent.py`: their `Boot` classes), imported as the loader
    imports them (`<plugin package>._boot_app`): a boot finds them in `sys.modules` and runs their hooks."""
    from eggbin.web.modules import UnitModules

    for file in globbed(root, f"plugins/*/{role}.py"):
        plugin = f"{package}.plugins.{file.parent.name}"
        if not plugin.startswith(OFF_BY_DEFAULT):
            UnitModules(file.parent.name, file.parent, plugin).import_file(file)


def read_builtin_config_syntax(root: Path) -> None:
    """What every boot reads of the syntax of eggbin's own files (the names a config file assigns, the
    lines of a plugin file's entries, of each plugin's `EGG_PLUGIN`), read once here: the agent and each
    worker find it in memory (`eggbin.web.declared.read_syntax`). Parsed only when the cache an earlier
    start left beside eggbin's bytecode does not hold it (`load_own_syntax`)."""
    from eggbin.web.declared import assigned_names, load_own_syntax, save_own_syntax
    from eggbin.web.modules import definition_line
    from eggbin.web.plugins import key_lines

    load_own_syntax()
    for file in globbed(root, "**/config/*.py"):
        assigned_names(file)
        if file.stem.startswith("plugin"):
            key_lines(file)
    for file in globbed(root, "plugins/*/__init__.py"):
        definition_line(file, "EGG_PLUGIN")
    save_own_syntax()


def builtin_packages(root: Path, package: str) -> tuple[str, ...]:
    """The modules of eggbin's built-in packages (`plugins.health`, `plugins.health.probes`...), by the
    names they are imported by; not the plugins' boot files (`app.py`, `agent.py`: `preload_boot_files`
    imports them by the loader's names), nor the metrics plugin's (off by default). What
    `pkgutil.walk_packages` would list, from the zygote's one walk, without importing `pkgutil`."""
    files = set(_python_files(str(root)))
    names = []
    for parts in sorted(files):
        if not all((*parts[:depth], "__init__.py") in files for depth in range(1, len(parts))):
            continue  # in a directory that is no package (`app/extend/`): a unit's file, loaded by the loader
        if len(parts) == 3 and parts[0] == "plugins" and parts[2] in ("app.py", "agent.py"):
            continue
        module = parts[:-1] if parts[-1] == "__init__.py" else (*parts[:-1], parts[-1].removesuffix(".py"))
        name = ".".join((package, *module))
        if not name.startswith(OFF_BY_DEFAULT):
            names.append(name)
    return tuple(names)


def builtin_modules(root: Path, package: str, patterns: tuple[str, ...]) -> tuple[str, ...]:
    """The files of eggbin's unit and its plugins that match `patterns` (`**/app/extend/*.py`, ...), as
    module names (the loader imports them by these names), the metrics plugin's aside (off by default)."""
    names = []
    for pattern in patterns:
        for path in globbed(root, pattern):
            parts = path.relative_to(root).with_suffix("").parts
            name = ".".join((package, *parts))
            if parts[-1] != "__init__" and not name.startswith(OFF_BY_DEFAULT):
                names.append(name)
    return tuple(names)


def globbed(root: Path, pattern: str) -> list[Path]:
    """`sorted(root.glob(pattern))` for this module's patterns (a leading `**/`, then names, `*` or
    `*.py`; `__pycache__` is never looked in), from one walk of `root` for all of them: a `Path.glob`
    each read every directory again (~1,400 system calls for the zygote's five)."""
    recursive = pattern.startswith("**/")
    wanted = pattern.removeprefix("**/").split("/")
    found = []
    for parts in _python_files(str(root)):
        if len(parts) == len(wanted) or (recursive and len(parts) > len(wanted)):
            tail = parts[len(parts) - len(wanted) :]
            if all(_name_matches(name, want) for name, want in zip(tail, wanted, strict=True)):
                found.append(root.joinpath(*parts))
    return sorted(found)


def _name_matches(name: str, wanted: str) -> bool:
    return name.endswith(wanted[1:]) if wanted.startswith("*") else name == wanted


@functools.cache
def _python_files(root: str) -> tuple[tuple[str, ...], ...]:
    """The `.py` files under `root`, walked once, each as its path's parts below `root`: for eggbin's own
    tree, from the listing every boot reads (`eggbin.web.own_files`), not a walk of its own."""
    from eggbin.web import own_files

    if root == own_files.ROOT:
        return tuple(tuple(name[len(own_files.INSIDE) :].split(os.sep)) for name in own_files.listing()[0])
    found: list[tuple[str, ...]] = []
    for directory, subdirectories, names in os.walk(root):
        subdirectories[:] = [name for name in subdirectories if name != "__pycache__"]
        below = tuple(os.path.relpath(directory, root).split(os.sep)) if directory != root else ()
        found.extend((*below, name) for name in names if name.endswith(".py"))
    return tuple(found)


async def _asgi_placeholder(scope: Any, receive: Any, send: Any) -> None:
    """Never called: lets uvicorn import its protocol classes in the zygote."""


def preload_optional() -> None:
    """What a child imports only on some paths (a WebSocket upgrade, a template render), for the children
    forked from now on (`eggbin dev`'s reloads, respawns): imported once here, not again in each of them."""
    from eggbin.cluster.asgi_server import LazyWebSocketsProtocol

    LazyWebSocketsProtocol.preload()
    preload(OPTIONAL_PRELOAD)
    warm_abc_caches()
    mark("zygote", "optional preload done")
