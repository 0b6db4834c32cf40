"""`eggbin init`: render a bundled (or local) cookiecutter template, hermetically.

Nothing is written under HOME: cookiecutter's replay and clone dirs point at a temp dir, and the
project is rendered there first, then copied into the target, so a failed render leaves it untouched.
"""

from __future__ import annotations

import re
import secrets
import shutil
import subprocess
import tempfile
from dataclasses import dataclass
from pathlib import Path

from eggbin.bundled import bundled_dir
from eggbin.errors import TargetNotEmptyError, TemplateError, UsageError

TYPES = ("simple", "plugin", "framework")
_NAME = re.compile(r"[A-Za-z][A-Za-z0-9._-]*")


@dataclass(frozen=True)
class ScaffoldRequest:
    target: Path
    type: str = "simple"
    name: str | None = None
    description: str | None = None
    author: str | None = None
    template: Path | None = None
    force: bool = False
    interactive: bool = False


@dataclass(frozen=True)
class Scaffolded:
    path: Path
    name: str
    type: str
    next_steps: tuple[str, ...]


def package_name(name: str) -> str:
    """A valid Python package name derived from a project name (`my-plugin` → `my_plugin`)."""
    return re.sub(r"[^0-9a-z]+", "_", name.lower()).strip("_")


def git_user_name() -> str:
    try:
        done = subprocess.run(["git", "config", "user.name"], capture_output=True, text=True, timeout=5)
    except (OSError, subprocess.SubprocessError):
        return ""
    return done.stdout.strip()


def template_dir(request: ScaffoldRequest) -> Path:
    if request.type not in TYPES:
        raise UsageError(f"unknown project type `{request.type}`", hint=f"use one of {', '.join(TYPES)}")
    template = request.template or bundled_dir("templates") / request.type
    if not (template / "cookiecutter.json").is_file():
        raise TemplateError(f"`{template}` is not a cookiecutter template (no `cookiecutter.json`)")
    return template


def check_target(target: Path, force: bool) -> None:
    if target.exists() and not target.is_dir():
        raise TargetNotEmptyError(f"`{target}` exists and is not a directory")
    if target.is_dir() and any(target.iterdir()) and not force:
        raise TargetNotEmptyError(
            f"`{target}` is not empty", hint="choose another directory or pass --force to write into it"
        )


def scaffold(request: ScaffoldRequest) -> Scaffolded:
    """Render the template into `request.target`; raises before writing anything if it can't."""
    template = template_dir(request)
    target = request.target.resolve()
    check_target(target, request.force)
    name = request.name or target.name
    if not _NAME.fullmatch(name):
        raise UsageError(
            f"`{name}` is not a valid project name",
            hint="start with a letter; use letters, digits, `-`, `_` or `.`; or pass --name",
        )
    context = {
        "project_name": name,
        "package_name": package_name(name),
        "description": request.description or f"An eggbin {request.type} project",
        "author": request.author if request.author is not None else git_user_name(),
        "__cookie_key": f"{name}_{secrets.token_hex(16)}",
    }
    rendered = _render(template, context, request.interactive)
    target.mkdir(parents=True, exist_ok=True)
    shutil.copytree(rendered.path, target, dirs_exist_ok=True)
    shutil.rmtree(rendered.tmp, ignore_errors=True)
    return Scaffolded(target, name, request.type, _next_steps(request.type, target))


@dataclass(frozen=True)
class _Rendered:
    tmp: Path
    path: Path


def _render(template: Path, context: dict[str, str], interactive: bool) -> _Rendered:
    from cookiecutter.exceptions import CookiecutterException
    from cookiecutter.main import cookiecutter

    tmp = Path(tempfile.mkdtemp(prefix="eggbin-init-"))
    try:
        out = cookiecutter(
            str(template),
            no_input=not interactive,
            extra_context=context,
            output_dir=str(tmp / "out"),
            default_config={"replay_dir": str(tmp / "replay"), "cookiecutters_dir": str(tmp / "clones")},
            accept_hooks=True,
        )
    except CookiecutterException as exc:
        shutil.rmtree(tmp, ignore_errors=True)
        raise TemplateError(f"cannot render `{template}`: {exc}") from exc
    return _Rendered(tmp, Path(out))


def _next_steps(kind: str, target: Path) -> tuple[str, ...]:
    steps = [f"cd {target}"]
    if kind != "simple":
        steps.append("pip install -e .")
        return (*steps, "eggbin test")
    return (*steps, "eggbin dev", "eggbin test")
