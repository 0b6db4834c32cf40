"""A command call as typed JSON: what typer parsed, kept exactly (types included) or not at all.

Values are None, bool, int, float, str, lists and tuples of values, `pathlib.Path` and `enum.Enum`
members; JSON keeps the scalars apart (`1`, `1.0`, `true`), the others are tagged objects
(`{"path": …}`, `{"tuple": […]}`, `{"enum": "module:Class", "name": …}`). Anything else is refused, and
so is any value that does not decode back to an equal value of the same types.
"""

from __future__ import annotations

TYPE_CHECKING = False  # not `typing.TYPE_CHECKING`: importing typing costs the fast path ~5 ms
if TYPE_CHECKING:
    from typing import Any

SCALARS = (type(None), bool, int, float, str)


class Unrecordable(Exception):
    """A value this form cannot keep exactly."""


def encode_call(command: str, values: dict[str, Any]) -> str | None:
    """The call as JSON text; None when any value cannot be kept exactly."""
    import json

    try:
        encoded = {name: encode(value) for name, value in values.items()}
        if not same(decode_values(encoded), values):
            return None
    except Unrecordable:
        return None
    return json.dumps({"command": command, "values": encoded})


def decode_call(text: str) -> tuple[str, dict[str, Any]] | None:
    """`(command, values)` from `encode_call`'s text; None for anything else."""
    import json

    try:
        data = json.loads(text)
        command, values = data["command"], data["values"]
        if not isinstance(command, str) or not isinstance(values, dict):
            return None
        return command, decode_values(values)
    except (ValueError, KeyError, TypeError, Unrecordable):
        return None


def encode(value: object) -> object:
    """`value` as JSON data; Unrecordable when it is of no supported type."""
    import enum
    from pathlib import Path

    if type(value) in SCALARS:
        return value
    if type(value) is list:
        return [encode(item) for item in value]
    if type(value) is tuple:
        return {"tuple": [encode(item) for item in value]}
    if isinstance(value, Path) and type(value) is type(Path()):
        return {"path": str(value)}
    if isinstance(value, enum.Enum):
        kind = type(value)
        return {"enum": f"{kind.__module__}:{kind.__qualname__}", "name": value.name}
    raise Unrecordable(f"{type(value).__name__} values are not recorded")


def decode_values(values: dict[str, object]) -> dict[str, Any]:
    return {str(name): decode(value) for name, value in values.items()}


def decode(data: object) -> Any:
    """The value `encode` turned into `data`."""
    if type(data) in SCALARS:
        return data
    if type(data) is list:
        return [decode(item) for item in data]
    if type(data) is dict and data.keys() == {"tuple"} and type(data["tuple"]) is list:
        return tuple(decode(item) for item in data["tuple"])
    if type(data) is dict and data.keys() == {"path"} and type(data["path"]) is str:
        from pathlib import Path

        return Path(data["path"])
    if type(data) is dict and data.keys() == {"enum", "name"}:
        return _member(data["enum"], data["name"])
    raise Unrecordable(f"not a recorded value: {data!r}")


def _member(where: object, name: object) -> object:
    import enum
    import importlib

    if not isinstance(where, str) or not isinstance(name, str):
        raise Unrecordable("a malformed enum value")
    module, _, qualname = where.partition(":")
    if not module.startswith("eggbin."):  # only our own option types: never import what an entry names
        raise Unrecordable(f"enum {where} is not eggbin's")
    kind: object = importlib.import_module(module)
    for part in qualname.split("."):
        kind = getattr(kind, part, None)
    if not (isinstance(kind, type) and issubclass(kind, enum.Enum)) or name not in kind.__members__:
        raise Unrecordable(f"no enum member {where}.{name}")
    return kind[name]


def same(left: object, right: object) -> bool:
    """Equal, and of the same types all the way down (`1 == 1.0 == True` are not the same here)."""
    if type(left) is not type(right):
        return False
    if isinstance(left, list | tuple) and isinstance(right, list | tuple):
        return len(left) == len(right) and all(map(same, left, right))
    if isinstance(left, dict) and isinstance(right, dict):
        return left.keys() == right.keys() and all(same(left[k], right[k]) for k in left)
    if isinstance(left, float) and left != left:  # NaN: equal to itself for this purpose
        return right != right
    return left == right
