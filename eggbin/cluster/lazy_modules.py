"""Standard modules that uvicorn, starlette (and the standard modules they use) import at their top but use
only on some paths, loaded on first use: the zygote defers them before it imports the framework, so no
process pays for them at start.

- `logging.config` (with `logging.handlers`, `socketserver`, `pickle`, `queue`): `uvicorn.config` imports
  it for `dictConfig`, which it calls only when given a `log_config`; eggbin's workers pass None.
- `http.client` (with email's parser and message): `starlette.exceptions` imports it for
  `http.client.responses`, read when an `HTTPException` is made without a detail (a static file's 404).
- `http.cookies`: `starlette.responses` imports it for `set_cookie` (eggbin's cookies write their own
  lines) and `starlette.requests` for its cookie parser's unquoting.
- `shutil` (with `bz2`, `lzma`, `zlib`): `tempfile` imports it to remove a `TemporaryDirectory`.
- `calendar`: `email.utils` (for starlette's dates) imports it through `email._parseaddr` for `mktime_tz`.
- `queue`: `concurrent.futures.thread` imports it for a `ThreadPoolExecutor`'s work queue, made when a
  worker first runs something in a thread.
- `locale`: `subprocess` imports it for the encoding of a text-mode pipe.
- `msgspec.inspect`, `msgspec.json` (with `msgspec._json_schema`), `msgspec.msgpack`, `msgspec.toml`,
  `msgspec.yaml`: msgspec's package imports them all at its top; eggbin uses its `Struct`, `field` and
  `msgspec.structs` only (an app's first `msgspec.json.encode` runs them).

The master defers them all before its first import (`eggbin.cluster.__main__`), the zygote it forks
inherits them, and the zygote defers them again in case it was started otherwise.

`defer(name)` puts the module in `sys.modules` (and on its package, as an import does) made from the
module's own import spec, its code not yet run; the first name anyone reads from it runs that code (PEP
562's module `__getattr__`, as `eggbin.cluster.asgi_server` does for uvicorn's package), so every name is
the module's own, only later. Not `importlib.util.LazyLoader`: on Python 3.11 any later `import` of the
module reads its `__spec__`, which runs it (starlette's own `import http.client` would), and before 3.12.3
a thread reading the module while another one loads it can find a name missing (CPython gh-114763); here
dunder names are plain attributes, and a lock makes a second reader wait for the load.
A module already imported, or one without a plain loader, is left to the ordinary import. A submodule's
package is imported first, as an import would, to bind the submodule on it; but msgspec's package imports
its submodules at its top: those are deferred before it, and its own `from . import name` binds them (a
later `import package.name` would not: only for submodules their package imports itself).
"""

from __future__ import annotations

import importlib.util
import sys
import threading
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from importlib.machinery import ModuleSpec

UNUSED_AT_START = ("logging.config", "http.client", "http.cookies", "shutil", "calendar", "queue", "locale")
# submodules their package imports (and binds) at its top: deferred before the package is imported
UNUSED_PACKAGE_IMPORTS = (
    "msgspec.inspect",
    "msgspec.json",
    "msgspec.msgpack",
    "msgspec.toml",
    "msgspec.yaml",
)
_pending: set[str] = set()  # deferred, their code not run yet


def defer_unused_at_start() -> None:
    """Defer each of `UNUSED_AT_START` and `UNUSED_PACKAGE_IMPORTS` (before anything imports them)."""
    for name in UNUSED_AT_START:
        defer(name)
    defer_unused_package_imports()


def defer_unused_package_imports() -> None:
    """Defer each of `UNUSED_PACKAGE_IMPORTS` (before their packages are imported)."""
    for name in UNUSED_PACKAGE_IMPORTS:
        defer(name, imported_by_its_package=True)


def defer(name: str, *, imported_by_its_package: bool = False) -> None:
    """`name` in `sys.modules`, its code run by the first read of a name it defines. A submodule is bound
    on its package, which is imported for it, unless `imported_by_its_package`: then a package not
    imported yet is left so, and binds the submodule itself when its own code imports it."""
    if name in sys.modules:
        return
    parent = name.rpartition(".")[0]
    if imported_by_its_package and parent and parent not in sys.modules:
        spec = _find_spec_outside(name, parent)
    else:
        spec = importlib.util.find_spec(name)
    if spec is None or spec.loader is None or not hasattr(spec.loader, "exec_module"):
        return
    module = importlib.util.module_from_spec(spec)
    loader = spec.loader
    lock = threading.RLock()  # the loading thread may read the module again while its code runs

    def __getattr__(attribute: str) -> Any:
        with lock:
            if name in _pending:
                _pending.discard(name)
                try:
                    loader.exec_module(module)
                except BaseException:
                    sys.modules.pop(name, None)  # as a failed import leaves it: the next import tries again
                    raise
                finally:
                    if vars(module).get("__getattr__") is __getattr__:
                        del module.__getattr__
            elif vars(module).get("__getattr__") is __getattr__:  # read by its own code, still running
                raise AttributeError(f"partially initialized module {name!r} has no attribute {attribute!r}")
        return getattr(module, attribute)

    module.__getattr__ = __getattr__  # type: ignore[method-assign]
    _pending.add(name)
    sys.modules[name] = module
    if parent in sys.modules:
        setattr(sys.modules[parent], name.rpartition(".")[2], module)


def _find_spec_outside(name: str, parent: str) -> ModuleSpec | None:
    """The spec of submodule `name` of package `parent`, found without importing `parent`."""
    package = importlib.util.find_spec(parent)
    if package is None or package.submodule_search_locations is None:
        return None
    for finder in sys.meta_path:  # as the import system looks for it once the package is in
        find_spec = getattr(finder, "find_spec", None)
        spec: ModuleSpec | None = find_spec(name, package.submodule_search_locations) if find_spec else None
        if spec is not None:
            return spec
    return None


def is_loaded(name: str) -> bool:
    """Whether `name` was imported and its code has run (not so for a deferred module nobody read yet)."""
    return name in sys.modules and name not in _pending
