"""Boot hooks: the `Boot` class of each unit's `app.py` / `agent.py`, called in one documented order.

    Boot(app)                      constructed once config is merged and extends applied, unit by unit
    config_will_load()             sync: may still change `app.config`
    config_did_load()              config final (a function-style `def app(app)` runs here)
    did_load()                     files loaded (services, controllers, router)
    app.before_start(fn) functions awaited in registration order
    will_ready()                   last chance before the app is ready
    did_ready()                    ready, then `app.ready(fn)` functions; run/ dumps are written right after
    server_did_ready()             the cluster is serving (`egg-ready`)
    before_close()                 on stop: `app.before_close(fn)` functions last first, then boots in
                                   reverse unit order

Units run plugins → framework(s) → app; each hook may be sync or async. An async hook still pending
after `config.ready_timeout` seconds fails the boot with an error naming it. Finding each file's boot
(a class with hooks, or egg 1's function) is `eggbin.web.boots`. Subclassing `Boot` is optional; it types
`self.app` and has each public method that is not a hook reported at load, with the closest hook's name.
"""

from __future__ import annotations

import asyncio
import inspect
import os
import re
import time
from collections.abc import Awaitable, Callable, Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import TYPE_CHECKING, Any, Generic

from msgspec import Struct, field

from eggbin.errors import BootError
from eggbin.web.units import LoadUnit

if TYPE_CHECKING:
    from typing_extensions import TypeVar

    from eggbin.web.application import Application, EggCore

    # `class AppBoot(Boot)` gets an `Application`; `class AgentBoot(Boot[Agent])` an `Agent`
    AppT = TypeVar("AppT", bound=EggCore, default=Application)
else:
    from typing import TypeVar

    AppT = TypeVar("AppT")

R = TypeVar("R")

HOOKS = (
    "config_will_load",
    "config_did_load",
    "did_load",
    "will_ready",
    "did_ready",
    "server_did_ready",
    "before_close",
)


class Boot(Generic[AppT]):
    """Base of the boot class of `app.py` (`class AppBoot(Boot)`) or `agent.py` (`Boot[Agent]`).

    Hooks, each optional, sync or async: `config_will_load` (sync only), `config_did_load`, `did_load`,
    `will_ready`, `did_ready`, `server_did_ready`, `before_close`. Any other public method is reported at
    load (a misspelled hook would otherwise never run): name a helper `_like_this`.
    """

    def __init__(self, app: AppT) -> None:
        self.app = app


def unknown_hooks(boot_class: type) -> list[str]:
    """What a `Boot` subclass defines publicly that is no hook, each with the closest hook (or the list)."""
    found: list[str] = []
    for klass in boot_class.__mro__:
        if klass is Boot or not issubclass(klass, Boot):
            continue
        for name, value in vars(klass).items():
            if name.startswith("_") or name in HOOKS or not _is_method(value):
                continue
            import difflib  # only for a boot that has a stray method: not on every boot's path

            snake = re.sub(r"(?<=[a-z0-9])(?=[A-Z])", "_", name).lower()
            close = difflib.get_close_matches(snake, HOOKS, n=1, cutoff=0.6)
            guess = f"did you mean `{close[0]}`?" if close else f"the hooks are {', '.join(HOOKS)}"
            where = f"`{function_where(value)}` `{klass.__name__}.{name}`"
            found.append(f"{where} is no boot hook and never runs: {guess} (a helper's name starts with `_`)")
    return found


def _is_method(value: object) -> bool:
    return inspect.isfunction(value) or isinstance(value, staticmethod | classmethod)


class Timing:
    """Boot phases and hooks with their start and duration (what `run/<role>_timing.json` holds)."""

    def __init__(self) -> None:
        self.items: list[dict[str, Any]] = []
        # told each phase's name as it begins: a cluster child reports it, so a hung start names it
        self.on_phase: Callable[[str], object] | None = None

    @contextmanager
    def phase(self, name: str) -> Iterator[None]:
        if self.on_phase is not None:
            self.on_phase(name)
        start, clock = time.time(), time.perf_counter()
        try:
            yield
        finally:
            duration = round((time.perf_counter() - clock) * 1000, 3)
            self.items.append({"name": name, "start": round(start * 1000), "duration": duration})

    def describe(self) -> list[dict[str, Any]]:
        return [{**item, "pid": os.getpid()} for item in self.items]


class BootEntry(Struct):
    """One constructed `Boot` and where it came from."""

    boot: Any
    file: Path
    unit: LoadUnit

    def where(self, exc: BaseException | None = None) -> str:
        return self.unit.modules.user_frame(exc, self.file) if exc else str(self.file)


def guarded(entry: BootEntry, what: str, call: Callable[[], R]) -> R:
    try:
        return call()
    except BootError:
        raise
    except Exception as exc:
        raise BootError(f"`{what}` failed in `{entry.where(exc)}`: {type(exc).__name__}: {exc}") from exc


class BootFunctions(Struct):
    """What `app.before_start(fn)`, `app.ready(fn)` and `app.before_close(fn)` registered (egg's API)."""

    before_start: list[Callable[[], Any]] = field(default_factory=list)
    ready: list[Callable[[], Any]] = field(default_factory=list)
    before_close: list[Callable[[], Any]] = field(default_factory=list)
    is_ready: bool = False
    event: asyncio.Event | None = None

    async def wait_ready(self) -> None:
        if not self.is_ready:
            self.event = self.event or asyncio.Event()
            await self.event.wait()


def function_where(fn: object) -> str:
    """`file:line` of a function (what a failure or a timeout names)."""
    if isinstance(fn, staticmethod | classmethod):
        fn = fn.__func__
    code = getattr(inspect.unwrap(fn) if callable(fn) else fn, "__code__", None)
    return f"{code.co_filename}:{code.co_firstlineno}" if code else repr(fn)


class Lifecycle:
    """Runs one hook across every boot, timed, with the ready timeout."""

    def __init__(
        self, app: EggCore, entries: list[BootEntry], timing: Timing, functions: BootFunctions | None = None
    ) -> None:
        self.app = app
        self.entries = entries
        self.timing = timing
        self.functions = functions or BootFunctions()

    def config_will_load(self) -> None:
        for entry in self._with("config_will_load"):
            with self.timing.phase(f"config_will_load {entry.file}"):
                result = guarded(entry, "config_will_load", entry.boot.config_will_load)
            if inspect.isawaitable(result):
                _close(result)
                raise BootError(f"`config_will_load` in `{entry.file}` must be sync (plain `def`)")

    async def run(self, hook: str) -> None:
        """Call `hook` on every boot in unit order; the first failure fails the boot."""
        for entry in self._with(hook):
            with self.timing.phase(f"{hook} {entry.file}"):
                await self._call(entry, hook)

    async def close(self) -> None:
        """`app.before_close` functions (last registered first), then `before_close` in reverse unit order.

        A failure is logged and the others still run.
        """
        for fn in reversed(self.functions.before_close):
            try:
                await self.call_function("before_close", fn)
            except BootError as exc:
                self.app.core_logger.error("%s", exc)
        for entry in reversed(self._with("before_close")):
            try:
                await self._call(entry, "before_close")
            except BootError as exc:
                self.app.core_logger.error("%s", exc)

    async def run_before_start(self) -> None:
        """`app.before_start(fn)` functions, in registration order (the app is not ready until they end)."""
        while self.functions.before_start:
            fn = self.functions.before_start.pop(0)
            with self.timing.phase(f"before_start {function_where(fn)}"):
                await self.call_function("before_start", fn)

    async def mark_ready(self) -> None:
        """The app is ready: run `app.ready(fn)` functions and wake `await app.ready()`."""
        self.functions.is_ready = True
        if self.functions.event is not None:
            self.functions.event.set()
        while self.functions.ready:
            await self.call_function("ready", self.functions.ready.pop(0))

    async def _call(self, entry: BootEntry, hook: str) -> None:
        result = guarded(entry, hook, getattr(entry.boot, hook))
        if inspect.isawaitable(result):
            what = f"`{hook}` of `{type(entry.boot).__name__}` in `{entry.file}`"
            await self._await(result, what, lambda exc: f"`{hook}` failed in `{entry.where(exc)}`")

    async def call_function(self, kind: str, fn: Callable[[], Any]) -> None:
        """One registered function, with the ready timeout; a failure names its file and line."""
        failed = f"`app.{kind}` function failed in `{function_where(fn)}`"
        try:
            result = fn()
        except Exception as exc:
            raise BootError(f"{failed}: {type(exc).__name__}: {exc}") from exc
        if inspect.isawaitable(result):
            await self._await(result, f"`app.{kind}` function `{function_where(fn)}`", lambda _: failed)

    async def _await(
        self, result: Awaitable[object], what: str, failed: Callable[[BaseException], str]
    ) -> None:
        timeout = float(self.app.config.get("ready_timeout") or 10)
        try:
            await asyncio.wait_for(result, timeout)
        except TimeoutError:
            message = f"{what} is still pending after {timeout:g} s"
            self.app.core_logger.error("%s", message)
            hint = "make it finish sooner, or raise `ready_timeout` in config"
            raise BootError(message, hint=hint) from None
        except BootError:
            raise
        except Exception as exc:
            raise BootError(f"{failed(exc)}: {type(exc).__name__}: {exc}") from exc

    def _with(self, hook: str) -> list[BootEntry]:
        return [entry for entry in self.entries if callable(getattr(entry.boot, hook, None))]


def _close(awaitable: object) -> None:
    close = getattr(awaitable, "close", None)
    if close is not None:
        close()
