"""The kinds of value a built-in setting holds, each with the one phrase an error shows ("expected ...").

Each kind checks and returns the value unchanged: the runtime reads `app.config` as the user wrote it
(sizes stay `"1mb"`), so a value that passes here is one the runtime already understands.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Mapping
from typing import Annotated, Any, TypeGuard

from pydantic import PlainValidator
from pydantic_core import PydanticCustomError

SIZE = re.compile(r"^\s*\d+(?:\.\d+)?\s*(b|kb|mb|gb)?\s*$", re.IGNORECASE)  # eggbin.web.body.parse_size's
DURATION = re.compile(r"^\s*\d+(?:\.\d+)?\s*(ms|s|m|h|d|w|y)?\s*$")  # eggbin.web.i18n.duration_seconds'


def kind(expected: str, accepts: Callable[[object], bool], *, nullable: bool = False) -> Any:
    """An annotated type whose values `accepts` admits (and None when `nullable`); else "expected ..."."""

    def check(value: object) -> object:
        if (value is None and nullable) or (value is not None and accepts(value)):
            return value
        raise PydanticCustomError("eggbin_setting", expected)

    return Annotated[Any, PlainValidator(check)]


def _number(value: object) -> TypeGuard[int | float]:
    return isinstance(value, int | float) and not isinstance(value, bool)


def _whole(value: object) -> bool:
    return isinstance(value, int) and not isinstance(value, bool) and value >= 0


def _size(value: object) -> bool:
    return _whole(value) or (isinstance(value, str) and SIZE.match(value) is not None)


def _duration(value: object) -> bool:
    return (_number(value) and value >= 0) or (isinstance(value, str) and DURATION.match(value) is not None)


def _strings(value: object) -> bool:
    return isinstance(value, list | tuple) and all(isinstance(item, str) for item in value)


def _string_or_strings(value: object) -> bool:
    return isinstance(value, str) or _strings(value)


Flag = kind("expected True or False", lambda value: isinstance(value, bool))
Text = kind("expected a string", lambda value: isinstance(value, str))
OptionalText = kind("expected a string or None", lambda value: isinstance(value, str), nullable=True)
Count = kind("expected a whole number >= 0", _whole)
Seconds = kind("expected a number of seconds", lambda value: _number(value) and value >= 0)
OptionalSeconds = kind("expected a number of seconds or None", lambda v: _number(v) and v >= 0, nullable=True)
Size = kind('expected a size like "1mb" or a number of bytes', _size)
Duration = kind('expected seconds or a duration like "30d" or "1y"', _duration)
Strings = kind("expected a list of strings", _strings)
StringOrStrings = kind("expected a string or a list of strings", _string_or_strings)
Table = kind("expected a dict", lambda value: isinstance(value, Mapping), nullable=True)
MaxAge = kind(
    'expected a number of seconds or "session"',
    lambda value: (_number(value) and value >= 0) or value == "session",
)
SameSite = kind(
    'expected "strict", "lax", "none", True, False or None',
    lambda value: (
        isinstance(value, bool) or (isinstance(value, str) and value.lower() in ("strict", "lax", "none"))
    ),
    nullable=True,
)
