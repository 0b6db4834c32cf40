"""Boot hooks: the `Boot` class of each unit's `app.py` / `agent.py`, called in one documented order.

    Boot(app)                      constructed once config is merged, unit by unit
    config_will_load()             sync: may still change `app.config`
    config_did_load()              config final
    did_load()                     files loaded (extends, services, controllers, router)
    will_ready()                   last chance before the app is ready
    did_ready()                    ready; run/ dumps are written right after
    server_did_ready()             the cluster is serving (`egg-ready`)
    before_close()                 on stop, in reverse unit order

Units run plugins → framework(s) → app; each hook may be sync or async. An async hook still pending
after `config.ready_timeout` seconds fails the boot with an error naming it.
"""

from __future__ import annotations

import asyncio
import inspect
import os
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from functools import partial
from pathlib import Path
from typing import Any

from eggbin.errors import BootError
from eggbin.web.units import EGGBIN_PATH, LoadUnit

HOOKS = (
    "config_will_load",
    "config_did_load",
    "did_load",
    "will_ready",
    "did_ready",
    "server_did_ready",
    "before_close",
)


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


@dataclass
class BootEntry:
    """One constructed `Boot` and where it came from."""

    boot: Any
    file: Path
    unit: LoadUnit

    def where(self, exc: BaseException | None = None) -> str:
        return self.unit.modules.user_frame(exc, self.file) if exc else str(self.file)


def load_boots(units: list[LoadUnit], role: str, app: Any) -> list[BootEntry]:
    """`app.py` / `agent.py` `Boot` classes of every unit, constructed with the app, in unit order."""
    entries = []
    for unit in units:
        file = unit.file(f"{role}.py")
        if file.is_file() and unit.path != EGGBIN_PATH:
            boot_class = getattr(unit.modules.import_file(file), "Boot", None)
            if boot_class is not None:
                entry = BootEntry(None, file, unit)
                entry.boot = _guarded(entry, "Boot(app)", partial(boot_class, app))
                entries.append(entry)
    return entries


def _guarded(entry: BootEntry, what: str, call: Any) -> Any:
    try:
        return call()
    except BootError:
        raise
    except Exception as exc:
        raise BootError(f"`{what}` failed in `{entry.where(exc)}`: {type(exc).__name__}: {exc}") from exc


class Lifecycle:
    """Runs one hook across every boot, timed, with the ready timeout."""

    def __init__(self, app: Any, entries: list[BootEntry], timing: Timing) -> None:
        self.app = app
        self.entries = entries
        self.timing = timing

    def config_will_load(self) -> None:
        for entry in self._with("config_will_load"):
            with self.timing.phase(f"config_will_load {entry.file}"):
                result = _guarded(entry, "config_will_load", entry.boot.config_will_load)
            if inspect.isawaitable(result):
                _close(result)
                raise BootError(f"`config_will_load` in `{entry.file}` must be sync (plain `def`)")

    async def run(self, hook: str) -> None:
        """Call `hook` on every boot in unit order; the first failure fails the boot."""
        for entry in self._with(hook):
            with self.timing.phase(f"{hook} {entry.file}"):
                await self._call(entry, hook)

    async def close(self) -> None:
        """`before_close` in reverse unit order; a failure is logged and the others still run."""
        for entry in reversed(self._with("before_close")):
            try:
                await self._call(entry, "before_close")
            except BootError as exc:
                self.app.core_logger.error("%s", exc)

    async def _call(self, entry: BootEntry, hook: str) -> None:
        result = _guarded(entry, hook, getattr(entry.boot, hook))
        if not inspect.isawaitable(result):
            return
        timeout = float(self.app.config.get("ready_timeout") or 10)
        try:
            await asyncio.wait_for(result, timeout)
        except TimeoutError:
            message = f"`{hook}` of `Boot` in `{entry.file}` is still pending after {timeout:g} s"
            self.app.core_logger.error("%s", message)
            hint = "make it finish sooner, or raise `ready_timeout` in config"
            raise BootError(message, hint=hint) from None
        except BootError:
            raise
        except Exception as exc:
            raise BootError(f"`{hook}` failed in `{entry.where(exc)}`: {type(exc).__name__}: {exc}") from exc

    def _with(self, hook: str) -> list[BootEntry]:
        return [entry for entry in self.entries if callable(getattr(entry.boot, hook, None))]


def _close(awaitable: Any) -> None:
    close = getattr(awaitable, "close", None)
    if close is not None:
        close()
