"""The pytest plugin (egg-mock's role): fixtures that boot the real app, and their types.

    def test_home(http: HttpClient, mock: Mock) -> None: ...
    async def test_ctx(ahttp: AsyncHttpClient, ctx: Context) -> None: ...
    def test_cluster(cluster: ClusterFactory) -> None: ...

The types are imported lazily: the plugin module loads in every pytest run and must stay cheap.
"""

from __future__ import annotations

import importlib

TYPE_CHECKING = False  # as in `eggbin/__init__.py`: no `typing` import for the plugin's sake

_LAZY = {
    "HttpClient": "eggbin.testing.clients",  # `http`: an `httpx.Client` on the app, in-process
    "AsyncHttpClient": "eggbin.testing.clients",  # `ahttp`: an `httpx.AsyncClient` on the app
    "Mock": "eggbin.testing.mock",  # `mock` and `session_mock`
    "AppFactory": "eggbin.testing.apps",  # `app_factory`
    "ClusterFactory": "eggbin.testing.cluster",  # `cluster`
    "RunningCluster": "eggbin.testing.cluster",  # what `cluster()` returns
    "LoopThread": "eggbin.testing.loop",  # `egg_loop`
    "Application": "eggbin.web.application",  # `app`
    "Context": "eggbin.web.context",  # `ctx`
}

__all__ = [
    "AppFactory",
    "Application",
    "AsyncHttpClient",
    "ClusterFactory",
    "Context",
    "HttpClient",
    "LoopThread",
    "Mock",
    "RunningCluster",
]

if TYPE_CHECKING:
    from typing import Any

    from eggbin.testing.apps import AppFactory
    from eggbin.testing.clients import AsyncHttpClient, HttpClient
    from eggbin.testing.cluster import ClusterFactory, RunningCluster
    from eggbin.testing.loop import LoopThread
    from eggbin.testing.mock import Mock
    from eggbin.web.application import Application
    from eggbin.web.context import Context


def __getattr__(name: str) -> Any:
    module = _LAZY.get(name)
    if module is None:
        raise AttributeError(f"module 'eggbin.testing' has no attribute {name!r}")
    return getattr(importlib.import_module(module), name)
