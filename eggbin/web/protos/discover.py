"""Where protos are found: every module under `app/` of the app, its plugins and its frameworks.

Static and view directories (`app/public`, `app/view`, `app/views`, `app/assets`) are skipped, and so
is eggbin's own unit. A module contributes the decorated classes it defines itself (an imported class
counts where it was defined). A decorated class defined anywhere else (`lib/`) joins when a field
names it by type. A class whose methods carry `@http_method`, `@pointcut` or `@middleware` but which is
no proto fails the boot (`EGG_DECORATOR_UNUSED`): nothing would ever use those decorators.
"""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING

from eggbin.errors import BootError
from eggbin.web.aop.declare import POINTCUT_ATTR
from eggbin.web.decorated.declare import METHOD_ATTR, MIDDLEWARE_ATTR
from eggbin.web.own_files import python_files
from eggbin.web.protos.declare import proto_info
from eggbin.web.units import EGGBIN_PATH

if TYPE_CHECKING:
    from eggbin.web.units import LoadUnit

SKIPPED_DIRS = frozenset({"public", "view", "views", "assets"})
UNDECLARED = "EGG_DECORATOR_UNUSED"
MARKS = ((METHOD_ATTR, "@http_method"), (POINTCUT_ATTR, "@pointcut"), (MIDDLEWARE_ATTR, "@middleware"))


def proto_files(unit: LoadUnit) -> list[Path]:
    """The modules of `unit` that may declare protos, in a stable order."""
    directory = unit.file("app")
    return [
        file for file in python_files(directory) if file.relative_to(directory).parts[0] not in SKIPPED_DIRS
    ]


def discover_protos(units: list[LoadUnit]) -> list[type]:
    """Every class declared with a proto decorator in the modules of `units`, in load-unit order."""
    found: list[type] = []
    for unit in units:
        if unit.path == EGGBIN_PATH:
            continue
        for file in proto_files(unit):
            module = unit.modules.import_file(file)
            for value in vars(module).values():
                if not isinstance(value, type) or value.__module__ != module.__name__ or value in found:
                    continue
                if proto_info(value) is not None:
                    found.append(value)
                else:
                    check_undeclared(value)
    return found


def check_undeclared(cls: type) -> None:
    """A class whose methods carry @http_method, @pointcut or @middleware must be declared itself."""
    for name, value in vars(cls).items():
        marks = [mark for attr, mark in MARKS if attr in getattr(value, "__dict__", {})]
        if marks:
            code = value.__code__
            raise BootError(
                f"`{cls.__qualname__}.{name}` at `{code.co_filename}:{code.co_firstlineno}` has {marks[0]}, "
                f"but `{cls.__qualname__}` is no proto, so nothing would use it",
                hint="decorate the class with @http_controller(), @context_proto() or @singleton_proto()",
                code=UNDECLARED,
            )
