"""The development toolchain: egg-bin's role, a devDependency in egg, the `dev` extra here.

A production install (`pip install eggbin`: runtime, cluster, `eggscripts`) leaves it out, so each
`eggbin` command checks for what it needs before it starts and says what to install.
"""

from __future__ import annotations

import importlib.util

from eggbin.errors import ToolchainMissingError

INSTALL = "pip install 'eggbin[dev]'"

# command → the modules it imports (distribution names are the same)
NEEDS: dict[str, tuple[str, ...]] = {
    "init": ("cookiecutter",),
    "dev": ("watchfiles",),
    "debug": ("watchfiles", "debugpy"),
    "test": ("pytest",),
    "cov": ("pytest", "coverage"),
}


def missing(command: str) -> list[str]:
    """What `eggbin <command>` needs and this environment lacks."""
    return [module for module in NEEDS[command] if importlib.util.find_spec(module) is None]


def require_toolchain(command: str) -> None:
    """Raise, naming the install command, when `eggbin <command>` cannot run here."""
    lacking = missing(command)
    if lacking:
        names = " and ".join(lacking)
        verb = "is" if len(lacking) == 1 else "are"
        raise ToolchainMissingError(
            f"`eggbin {command}` needs {names}, which {verb} not installed (a production install of "
            f"eggbin has no toolchain)",
            hint=f"install it with `{INSTALL}`",
        )
