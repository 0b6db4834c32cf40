"""What kind of eggbin project a directory holds: the plugin is active only in one of these."""

from __future__ import annotations

import ast
from pathlib import Path

from eggbin.web.appinfo import is_app_dir, read_pyproject

APP, PLUGIN, FRAMEWORK = "app", "plugin", "framework"


def project_kind(root: Path) -> str | None:
    """`app` (see `is_app_dir`), `plugin` (a package declaring `EGG_PLUGIN`), `framework`, or None."""
    if is_app_dir(root):
        return APP
    try:
        pkg = read_pyproject(root)
    except Exception:  # a broken pyproject is pytest's problem to report, not ours
        return None
    egg = pkg.get("tool", {}).get("egg", {})
    if egg.get("type") in (PLUGIN, FRAMEWORK):
        return str(egg["type"])
    for init in _package_inits(root, str(pkg.get("project", {}).get("name", ""))):
        text = init.read_text(encoding="utf-8", errors="replace")
        if "EGG_PLUGIN" in text:
            return PLUGIN
        if "EGG_FRAMEWORK" in text or "Application)" in text:
            return FRAMEWORK
    return None


def _package_inits(root: Path, name: str) -> list[Path]:
    """`<pkg>/__init__.py` or `src/<pkg>/__init__.py` for the project's import name."""
    if not name:
        return []
    module = name.replace("-", "_")
    candidates = (root / module / "__init__.py", root / "src" / module / "__init__.py")
    return [path for path in candidates if path.is_file()]


def package_dir(root: Path) -> Path | None:
    """The directory of the project's own package (`<name>/` or `src/<name>/`), if it has one."""
    try:
        name = str(read_pyproject(root).get("project", {}).get("name", ""))
    except Exception:
        return None
    inits = _package_inits(root, name)
    return inits[0].parent if inits else None


def plugin_name(root: Path) -> str | None:
    """`EGG_PLUGIN["name"]` of the project's package, read without importing it."""
    found = package_dir(root)
    if found is None:
        return None
    tree = ast.parse((found / "__init__.py").read_text(encoding="utf-8"))
    for node in tree.body:
        if isinstance(node, ast.Assign) and any(getattr(t, "id", "") == "EGG_PLUGIN" for t in node.targets):
            try:
                value = ast.literal_eval(node.value)
            except ValueError:
                return None
            return str(value.get("name")) if isinstance(value, dict) and value.get("name") else None
    return None
