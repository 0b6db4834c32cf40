"""egg's app and agent API beside boot classes: `before_start`, `ready`, `before_close`, `curl`, `validator`.

    def app(app):                                    # app.py, egg 1's function style
        app.before_start(load_cache)                 # awaited before the app is ready
        app.ready(lambda: app.logger.info("ready"))  # called once ready (at once if it already is)
        app.before_close(close_clients)              # on stop, last registered first

`await app.ready()` waits until the app is ready. Each function may be sync or async, and takes no
argument (egg's functions close over `app`).
"""

from __future__ import annotations

import asyncio
import inspect
from collections.abc import Callable
from typing import TYPE_CHECKING, Any, TypeVar

if TYPE_CHECKING:
    from eggbin.web.curl import CurlClients, CurlResult
    from eggbin.web.lifecycle import Lifecycle
    from eggbin.web.rules import Validator

F = TypeVar("F", bound=Callable[[], Any])
_LATE_READY: set[asyncio.Future[Any]] = set()  # `ready(fn)` after ready: fn's task, held until done


class EggApi:
    """Mixed into `EggCore`: the function-style lifecycle API and the HTTP client."""

    lifecycle: Lifecycle
    _curl_clients: CurlClients | None = None
    _validator: Validator  # made on first use of `validator`

    def before_start(self, fn: F) -> F:
        """Run `fn()` (sync or async) before the app is ready; usable as a decorator."""
        self.lifecycle.functions.before_start.append(fn)
        return fn

    def ready(self, fn: Callable[[], Any] | None = None) -> Any:
        """`ready(fn)`: call `fn()` once the app is ready; `await ready()`: wait for it."""
        functions = self.lifecycle.functions
        if fn is None:
            return functions.wait_ready()
        if not functions.is_ready:
            functions.ready.append(fn)
            return fn
        result = fn()
        if inspect.isawaitable(result):
            task = asyncio.ensure_future(result)
            _LATE_READY.add(task)
            task.add_done_callback(_LATE_READY.discard)
        return fn

    def before_close(self, fn: F) -> F:
        """Run `fn()` when the app closes, before the boots' `before_close` hooks."""
        self.lifecycle.functions.before_close.append(fn)
        return fn

    @property
    def validator(self) -> Validator:
        """egg-validate's `app.validator`: `validate(rules, data)`, `add_rule(name, check)`."""
        from eggbin.web.rules import validator_of

        return validator_of(self)

    @property
    def curl_clients(self) -> CurlClients:
        """The pooled HTTP clients of `app.curl`, `ctx.curl` and `safe_curl`; closed with the app."""
        if self._curl_clients is None:
            from eggbin.web.curl import CurlClients

            self._curl_clients = CurlClients()
        return self._curl_clients

    async def close_curl_clients(self) -> None:
        """At shutdown, after the `before_close` hooks (which may still call `curl`)."""
        if self._curl_clients is not None:
            await self._curl_clients.aclose()

    async def curl(self, url: str, options: dict[str, Any] | None = None, **kwargs: object) -> CurlResult:
        """egg's `app.curl(url, options)`: an outgoing HTTP request (see `ctx.curl`)."""
        from eggbin.web.curl import curl

        return await curl(url, options, clients=self.curl_clients, **kwargs)
