"""Where protos are found: every module under `app/` of the app, its plugins and its frameworks.

Static and view directories (`app/public`, `app/view`, `app/views`, `app/assets`) are skipped, and so
is eggbin's own unit. A module contributes the decorated classes it defines itself (an imported class
counts where it was defined). A decorated class defined anywhere else (`lib/`) joins when a field
names it by type.
"""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING

from eggbin.web.loader import python_files
from eggbin.web.protos.declare import proto_info
from eggbin.web.units import EGGBIN_PATH

if TYPE_CHECKING:
    from eggbin.web.units import LoadUnit

SKIPPED_DIRS = frozenset({"public", "view", "views", "assets"})


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
                if (
                    proto_info(value) is not None
                    and value.__module__ == module.__name__
                    and value not in found
                ):
                    found.append(value)
    return found
