"""Files shipped inside the wheel (`templates/`, `completions/`), found the same way in a source checkout."""

from __future__ import annotations

from pathlib import Path

_PACKAGE = Path(__file__).resolve().parent


def bundled_dir(name: str) -> Path:
    """The wheel keeps them inside the package; an editable install reads them from the repo root."""
    inside = _PACKAGE / name
    return inside if inside.is_dir() else _PACKAGE.parent / name
