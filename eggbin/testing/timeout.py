"""The per-test timeout, with no extra dependency.

Choice: `signal.setitimer(ITIMER_REAL)` in the main thread. When it fires, its handler raises inside the
test (a blocking `future.result()`, `time.sleep` or socket wait is interrupted, PEP 475 does not retry
a syscall whose handler raised), so the test fails with a normal report and the session goes on. Where
there is no SIGALRM or we are not in the main thread, `faulthandler.dump_traceback_later(exit=True)`
is the fallback: it prints every thread's stack and ends the run, which beats hanging forever.
The watchdog is off while a debugger is attached (a breakpoint is not a hang).
"""

from __future__ import annotations

import faulthandler
import signal
import sys
import threading
from collections.abc import Callable
from types import FrameType
from typing import Any

DEFAULT_TIMEOUT = 60.0
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
