"""`.env` for the development commands (`dev`, `debug`, `test`, `cov`); `eggscripts` never reads one.

Variables already in the environment win (python-dotenv's `override=False`), as Django's and Flask's
tooling do: a `.env` fills in a developer's machine, it never overrides what a shell or CI set.
"""

from __future__ import annotations

import os
from pathlib import Path

DOTENV_COMMANDS = ("dev", "debug", "test", "cov")


def load_dotenv_file(app_dir: Path) -> dict[str, Path]:
    """Read `<app_dir>/.env` into `os.environ` when present: `{variable: file}` for those it set."""
    path = app_dir / ".env"
    if not path.is_file():
        return {}
    try:
        from dotenv import dotenv_values
    except ImportError:
        from eggbin import console

        console.warn(f"{path} is not read: python-dotenv is not installed (pip install 'eggbin[dev]')")
        return {}
    added = {
        name: value
        for name, value in dotenv_values(path, encoding="utf-8").items()
        if value is not None and name not in os.environ
    }
    os.environ.update(added)
    return dict.fromkeys(added, path.resolve())
