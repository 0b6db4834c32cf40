"""Flag defaults from the app's pyproject: `[tool.egg]` for `eggbin`, `[tool.eggscripts]` for `eggscripts`.

They become click's `default_map`, so a flag on the command line always wins.
"""

from __future__ import annotations

import tomllib
from pathlib import Path
from typing import Any


def app_dir_from_argv(argv: list[str], positional: bool) -> Path:
    """The app dir a command will use: `--base DIR` (eggbin) or the first positional (eggscripts)."""
    for index, arg in enumerate(argv):
        if arg == "--base" and index + 1 < len(argv):
            return Path(argv[index + 1])
        if arg.startswith("--base="):
            return Path(arg.split("=", 1)[1])
    if positional:
        words = [a for a in argv[1:] if not a.startswith("-")]
        if words and Path(words[0]).is_dir():
            return Path(words[0])
    return Path(".")


def default_map(section: str, app_dir: Path, commands: list[str]) -> dict[str, dict[str, Any]]:
    """`{command: {param: value}}` from `[tool.<section>]`; an unreadable pyproject gives no defaults."""
    try:
        data = tomllib.loads((app_dir / "pyproject.toml").read_text(encoding="utf-8"))
    except (OSError, tomllib.TOMLDecodeError):
        return {}
    table = data.get("tool", {}).get(section, {})
    if not isinstance(table, dict):
        return {}
    defaults = {key.replace("-", "_"): value for key, value in table.items() if not isinstance(value, dict)}
    return {command: dict(defaults) for command in commands}
