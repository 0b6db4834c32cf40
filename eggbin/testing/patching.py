"""Attribute patches that remember how to undo themselves: the mechanism behind every `mock.*`."""

from __future__ import annotations

from collections.abc import Callable, MutableMapping
from typing import Any

_MISSING = object()


class Patches:
    """A stack of undo steps, run in reverse by `restore()` after each test."""

    def __init__(self) -> None:
        self._undo: list[Callable[[], None]] = []

    def setattr(self, target: object, name: str, value: object) -> None:
        """`setattr(target, name, value)` until restore; inherited attributes are deleted, not reset."""
        own = vars(target).get(name, _MISSING)
        setattr(target, name, value)
        if own is _MISSING:
            self._undo.append(lambda: delattr(target, name))
        else:
            self._undo.append(lambda: setattr(target, name, own))

    def setitem(self, mapping: MutableMapping[Any, Any], key: object, value: object) -> None:
        old = mapping.get(key, _MISSING)
        mapping[key] = value
        if old is _MISSING:
            self._undo.append(lambda: mapping.pop(key, None))
        else:
            self._undo.append(lambda: mapping.__setitem__(key, old))

    def on_restore(self, step: Callable[[], None]) -> None:
        self._undo.append(step)

    def restore(self) -> None:
        while self._undo:
            self._undo.pop()()
