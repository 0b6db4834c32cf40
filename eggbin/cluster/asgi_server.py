"""uvicorn's server parts a worker runs on, imported without uvicorn's command line.

`import uvicorn.<anything>` first runs `uvicorn/__init__.py`, which imports `uvicorn.main`: click,
the reload and multiprocess supervisors (watchfiles, multiprocessing) and `logging.config`, ~25 % of a
worker's imports, none of which a worker runs. `import_lean` puts uvicorn's package in `sys.modules`
from uvicorn's own import spec without running its `__init__`; the submodules load from the package's
path as usual. The package's names come lazily (PEP 562): `Config` and `Server` from the modules that
define them (`uvicorn/__init__.py` re-exports exactly these objects: tests/cluster/test_asgi_server.py),
and any other name (`run`, `main`, `__version__`) runs the real `__init__` first. So a name is never
missing or different, only imported later: the approach holds across uvicorn versions as long as it is
a regular package, and falls back to the plain import when it is not (or is already imported).

The websockets protocol (the `websockets` library, ~20 % of the imports) is loaded on the first
upgrade: `LazyWebSocketsProtocol` stands in for the protocol class in uvicorn's `Config`.

Import this module before any other that imports uvicorn (`eggbin.cluster.worker` does: it sorts first).
"""

from __future__ import annotations

import asyncio
import functools
import importlib
import importlib.util
import sys
from collections.abc import Callable
from typing import Any

PACKAGE = "uvicorn"
DEFINED_IN = {"Config": "uvicorn.config", "Server": "uvicorn.server"}  # re-exported by uvicorn/__init__
WEBSOCKETS_PROTOCOL = ("uvicorn.protocols.websockets.websockets_sansio_impl", "WebSocketsSansIOProtocol")


def import_lean() -> None:
    """uvicorn's package in `sys.modules`, its `__init__` deferred until a name needs it."""
    if PACKAGE in sys.modules:
        return
    spec = importlib.util.find_spec(PACKAGE)
    if spec is None or spec.loader is None or spec.submodule_search_locations is None:
        return  # not a regular package: a plain import will do
    package = importlib.util.module_from_spec(spec)
    loader = spec.loader

    def __getattr__(name: str) -> Any:
        if name in DEFINED_IN:
            value = getattr(importlib.import_module(DEFINED_IN[name]), name)
            setattr(package, name, value)
            return value
        del package.__getattr__
        loader.exec_module(package)  # the real `__init__`, once: every name as uvicorn defines it
        return getattr(package, name)

    package.__getattr__ = __getattr__  # type: ignore[method-assign]
    sys.modules[PACKAGE] = package


import_lean()

# imported here, after the package above: these are the modules a worker's server runs on
from uvicorn.config import Config  # noqa: E402
from uvicorn.server import Server  # noqa: E402

__all__ = ["Config", "LazyWebSocketsProtocol", "Server", "import_lean", "is_websocket", "loop_factory"]


@functools.cache
def loop_factory() -> Callable[[], asyncio.AbstractEventLoop] | None:
    """The event loop uvicorn's `loop="auto"` chooses (uvloop when installed), found once per process:
    the zygote's, inherited by every worker it forks (no `Config` made for it in each)."""
    return Config(app="", log_config=None).get_loop_factory()


def websockets_protocol() -> type[Any] | None:
    """uvicorn's websockets protocol class if some upgrade loaded it already, else None."""
    module = sys.modules.get(WEBSOCKETS_PROTOCOL[0])
    return getattr(module, WEBSOCKETS_PROTOCOL[1], None) if module is not None else None


def is_websocket(connection: object) -> bool:
    """Whether a server connection is a WebSocket (none can be before the protocol was loaded)."""
    protocol = websockets_protocol()
    return protocol is not None and isinstance(connection, protocol)


class LazyWebSocketsProtocol(asyncio.Protocol):
    """uvicorn's sans-I/O websockets protocol, imported on the first upgrade: calling this class
    builds the real protocol with the same arguments (uvicorn calls `config.ws_protocol_class(...)`)."""

    def __new__(cls, *args: Any, **kwargs: Any) -> Any:
        module, name = WEBSOCKETS_PROTOCOL
        return getattr(importlib.import_module(module), name)(*args, **kwargs)

    @staticmethod
    def preload() -> None:
        """Import the real protocol now (the zygote, for workers forked later)."""
        importlib.import_module(WEBSOCKETS_PROTOCOL[0])
