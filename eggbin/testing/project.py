"""What kind of eggbin project a directory holds: the plugin is active only in one of these."""

from __future__ import annotations

from pathlib import Path

from eggbin.web.appinfo import is_app_dir, read_pyproject

APP, PLUGIN, FRAMEWORK = "app", "plugin", "framework"


def project_kind(root: Path) -> str | None:
    """`app` (has `app/router.py`), `plugin` (a package declaring `EGG_PLUGIN`), `framework`, or None."""
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
