"""A worker imports uvicorn's server without its command line, and the websockets protocol at the first
upgrade; every name of uvicorn's package is still there, the same object, when something asks for it."""

from __future__ import annotations

import asyncio
import json
import subprocess
import sys

# a fresh interpreter: import the worker module, report what came in; then use uvicorn's package names
LEAN_THEN_FULL = """
import json, sys
import eggbin.cluster.worker
lean = sorted(m for m in ("uvicorn.main", "click", "uvicorn.supervisors", "watchfiles", "multiprocessing",
    "websockets", "uvicorn.protocols.websockets.websockets_sansio_impl") if m in sys.modules)
import importlib.metadata, uvicorn, uvicorn.config, uvicorn.server
from uvicorn import Config
same_config = Config is uvicorn.config.Config is uvicorn.Config
version = uvicorn.__version__ == importlib.metadata.version("uvicorn")
cli = sys.modules["uvicorn.main"]  # `uvicorn.main` is the click command, as after a plain import
names = [uvicorn.run is cli.run, uvicorn.main is cli.main, uvicorn.Server is uvicorn.server.Server]
print(json.dumps({"lean": lean, "same": [same_config, version, *names], "all": sorted(uvicorn.__all__)}))
"""
# uvicorn imported in full first: the worker uses the package as it is
FULL_FIRST = """
import json, sys, uvicorn
import eggbin.cluster.worker
from eggbin.cluster.asgi_server import Config, Server
print(json.dumps([sys.modules["uvicorn"] is uvicorn, Config is uvicorn.Config, Server is uvicorn.Server]))
"""


def run_python(code: str) -> object:
    done = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, timeout=60)
    assert done.returncode == 0, done.stderr
    return json.loads(done.stdout.splitlines()[-1])


def test_a_worker_imports_no_uvicorn_cli_and_every_package_name_stays_uvicorn_s_own() -> None:
    report = run_python(LEAN_THEN_FULL)
    assert report == {"lean": [], "same": [True] * 5, "all": ["Config", "Server", "main", "run"]}


def test_a_uvicorn_already_imported_is_used_as_it_is() -> None:
    assert run_python(FULL_FIRST) == [True, True, True]


def test_the_lazy_websockets_protocol_builds_uvicorn_s_protocol() -> None:
    from uvicorn.protocols.websockets.websockets_sansio_impl import WebSocketsSansIOProtocol
    from uvicorn.server import ServerState

    from eggbin.cluster.asgi_server import Config, LazyWebSocketsProtocol, is_websocket

    async def app(scope: object, receive: object, send: object) -> None:
        """Never called."""

    config = Config(app=app, ws=LazyWebSocketsProtocol, lifespan="off", log_config=None)
    config.load()
    assert config.ws_protocol_class is LazyWebSocketsProtocol
    loop = asyncio.new_event_loop()
    try:
        state = ServerState()
        protocol = config.ws_protocol_class(config=config, server_state=state, app_state={}, _loop=loop)
    finally:
        loop.close()
    assert type(protocol) is WebSocketsSansIOProtocol
    assert is_websocket(protocol)
    assert not is_websocket(object())
