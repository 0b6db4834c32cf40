"""The per-test timeout: pytest-timeout's when it is installed, else a built-in one with no dependency.

With pytest-timeout (the convention) eggbin arms nothing: its `--eggbin-timeout` (`eggbin test --timeout`),
`eggbin_timeout` ini value or default (60 s in eggbin projects) becomes pytest-timeout's timeout unless
pytest-timeout was given one of its own (`--timeout`, `PYTEST_TIMEOUT`, the `timeout` ini value); an
explicit `--eggbin-timeout` wins over the environment and the ini. `@pytest.mark.timeout(S)` is then
pytest-timeout's marker. Without it (or with `-p no:timeout`) the built-in watchdog below runs and
honours `@pytest.mark.timeout(S)` too (eggbin registers the marker).

The built-in one: `signal.setitimer(ITIMER_REAL)` in the main thread. When it fires, its handler raises
inside the test (a blocking `future.result()`, `time.sleep` or socket wait is interrupted, PEP 475 does
not retry a syscall whose handler raised), so the test fails with a normal report and the session goes
on. Where there is no SIGALRM or we are not in the main thread, `faulthandler.dump_traceback_later(exit=True)`
is the fallback: it prints every thread's stack and ends the run, which beats hanging forever.
The watchdog is off while a debugger is attached (a breakpoint is not a hang).
"""

from __future__ import annotations

import faulthandler
import os
import signal
import sys
import threading
from collections.abc import Callable
from types import FrameType
from typing import Any

import pytest

DEFAULT_TIMEOUT = 60.0
PYTEST_TIMEOUT = "timeout"  # pytest-timeout's plugin name (`-p no:timeout` blocks it)
MARKER = "timeout(seconds): fail this test after `seconds` (eggbin's built-in timeout; 0 = off)"
DEBUGGER_MODULES = ("pdb", "bdb", "pydevd", "_pydevd", "debugpy")


class TestTimeout(Exception):
    """A test ran longer than `--timeout`."""

    __test__ = False


def debugger_attached() -> bool:
    """True under pdb/bdb or an attached debugpy/pydevd (coverage's tracer does not count)."""
    trace = sys.gettrace()
    module = getattr(trace, "__module__", None) or ""
    if module.split(".")[0] in DEBUGGER_MODULES:
        return True
    debugpy = sys.modules.get("debugpy")
    return bool(debugpy is not None and debugpy.is_client_connected())


def pytest_timeout_active(config: pytest.Config) -> bool:
    return config.pluginmanager.has_plugin(PYTEST_TIMEOUT)


def defer_to_pytest_timeout(config: pytest.Config, explicit: float | None, default: float) -> None:
    """Before pytest-timeout reads its settings: eggbin's timeout becomes its one, as the docstring says."""
    if config.getoption(PYTEST_TIMEOUT, None) is not None:
        return  # pytest-timeout's own `--timeout` wins
    if explicit is None and (os.environ.get("PYTEST_TIMEOUT") or config.getini(PYTEST_TIMEOUT)):
        return
    config.option.timeout = default if explicit is None else explicit


def marked_timeout(item: pytest.Item) -> float | None:
    """`@pytest.mark.timeout(5)` / `timeout=5`: the seconds it gives, for the built-in watchdog."""
    marker = item.get_closest_marker(PYTEST_TIMEOUT)
    if marker is None:
        return None
    value: Any = marker.args[0] if marker.args else marker.kwargs.get(PYTEST_TIMEOUT)
    try:
        return float(value)
    except (TypeError, ValueError):
        raise pytest.UsageError(f"`@pytest.mark.timeout({value!r})` of {item.nodeid}: give seconds") from None


class Watchdog:
    """Arms before a test, disarms after; `seconds <= 0` or a debugger means no timeout."""

    def __init__(self, seconds: float) -> None:
        self.seconds = seconds
        self._previous: Any = None
        self._mode = ""

    def arm(self, test_id: str) -> None:
        if self.seconds <= 0 or debugger_attached():
            return
        if hasattr(signal, "SIGALRM") and threading.current_thread() is threading.main_thread():
            self._previous = signal.signal(signal.SIGALRM, self._handler(test_id))
            signal.setitimer(signal.ITIMER_REAL, self.seconds)
            self._mode = "signal"
        else:
            faulthandler.dump_traceback_later(self.seconds, exit=True)
            self._mode = "faulthandler"

    def disarm(self) -> None:
        if self._mode == "signal":
            signal.setitimer(signal.ITIMER_REAL, 0)
            signal.signal(signal.SIGALRM, self._previous)
        elif self._mode == "faulthandler":
            faulthandler.cancel_dump_traceback_later()
        self._mode = ""

    def _handler(self, test_id: str) -> Callable[[int, FrameType | None], None]:
        seconds = self.seconds

        def on_alarm(signum: int, frame: FrameType | None) -> None:
            raise TestTimeout(
                f"`{test_id}` took longer than {seconds:g} s; raise it with `eggbin test --timeout S` "
                "(0 turns it off)"
            )

        return on_alarm
