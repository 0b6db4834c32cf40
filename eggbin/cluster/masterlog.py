"""The master's own lines: progress on stdout, faults on stderr (egg's master-stdout / master-stderr split).

`eggscripts start --daemon` shows anything written to stderr at boot as a warning, so only real
trouble goes there.
"""

from __future__ import annotations

import sys


def info(message: str) -> None:
    print(f"[master] {message}", file=sys.stdout, flush=True)


def error(message: str) -> None:
    print(f"[master] {message}", file=sys.stderr, flush=True)
