"""`eggbin init`: render a bundled (or local) cookiecutter template, hermetically.

Nothing is written under HOME: cookiecutter's replay and clone dirs point at a temp dir, and the
project is rendered there first, then copied into the target, so a failed render leaves it untouched.
"""

from __future__ import annotations

import keyword
import re
import secrets
import shlex
import shutil
import subprocess
import sys
import tempfile
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

from eggbin.bundled import bundled_dir
from eggbin.errors import TargetNotEmptyError, TemplateError, UsageError

TYPES = ("simple", "plugin", "framework")
PACKAGE_TYPES = ("plugin", "framework")
_NAME = re.compile(r"[A-Za-z][A-Za-z0-9._-]*")
_NAME_HINT = "start with a letter; use letters, digits, `-`, `_` or `.`; or pass --name"

Prompt = Callable[[str, str], str]
"""Asks one question with a default and returns the answer (the CLI passes `typer.prompt`)."""


@dataclass(frozen=True)
class ScaffoldRequest:
    """What `eggbin init` was asked to create."""

    target: Path
    type: str = "simple"
    name: str | None = None
    description: str | None = None
    author: str | None = None
    template: Path | None = None
    force: bool = False
    prompt: Prompt | None = None


@dataclass(frozen=True)
class Scaffolded:
    """What was created and what to run next."""

    path: Path
    name: str
    type: str
    next_steps: tuple[str, ...]


def package_name(name: str) -> str:
    """A valid Python package name derived from a project name (`my-plugin` → `my_plugin`)."""
    return re.sub(r"[^0-9a-z]+", "_", name.lower()).strip("_")


def git_user_name() -> str:
    """`git config user.name`, or "" when git or the setting is missing."""
    try:
        done = subprocess.run(["git", "config", "user.name"], capture_output=True, text=True, timeout=5)
    except (OSError, subprocess.SubprocessError):
        return ""
    return done.stdout.strip()


def validate_name(name: str, kind: str) -> None:
    """Reject names that make no project (any type) or no importable package (plugin, framework)."""
    if not _NAME.fullmatch(name):
        raise UsageError(f"`{name}` is not a valid project name", hint=_NAME_HINT)
    if kind not in PACKAGE_TYPES:
        return
    package = package_name(name)
    if not package.isidentifier() or keyword.iskeyword(package):
        raise UsageError(f"`{name}` gives `{package}`, which is not a Python package name", hint=_NAME_HINT)
    if package in sys.stdlib_module_names or package == "eggbin":
        raise UsageError(
            f"`{name}` gives the package name `{package}`, which shadows the module of that name",
            hint="pick a more specific name, e.g. `egg-" + name + "`",
        )


def template_dir(request: ScaffoldRequest) -> Path:
    """The template to render: `--template PATH` or the bundled one for the type."""
    if request.type not in TYPES:
        raise UsageError(f"unknown project type `{request.type}`", hint=f"use one of {', '.join(TYPES)}")
    bundled = bundled_dir("templates") / request.type
    template = request.template.expanduser().resolve() if request.template else bundled
    if not template.exists():
        raise TemplateError(
            f"template `{template}` does not exist", hint="pass a local cookiecutter template directory"
        )
    if not (template / "cookiecutter.json").is_file():
        raise TemplateError(
            f"`{template}` is not a cookiecutter template (no `cookiecutter.json`)",
            hint="pass a directory holding `cookiecutter.json` and a `{{cookiecutter.*}}` folder",
        )
    return template


def check_target(target: Path, force: bool) -> None:
    """Refuse a file, or a non-empty directory without `force`."""
    if target.exists() and not target.is_dir():
        raise TargetNotEmptyError(f"`{target}` exists and is not a directory", hint="choose another path")
    if target.is_dir() and any(target.iterdir()) and not force:
        raise TargetNotEmptyError(
            f"`{target}` is not empty", hint="choose another directory or pass --force to write into it"
        )


def scaffold(request: ScaffoldRequest) -> Scaffolded:
    """Render the template into `request.target`; raises before writing anything if it can't."""
    template = template_dir(request)
    target = request.target.resolve()
    check_target(target, request.force)
    context = _context(request, target)
    validate_name(context["project_name"], request.type)
    ask_template = request.prompt is not None and request.template is not None
    with tempfile.TemporaryDirectory(prefix="eggbin-init-") as tmp:
        rendered = _render(template, context, Path(tmp), interactive=ask_template)
        target.mkdir(parents=True, exist_ok=True)
        shutil.copytree(rendered, target, dirs_exist_ok=True)
    return Scaffolded(target, context["project_name"], request.type, next_steps(request.type, target))


def _context(request: ScaffoldRequest, target: Path) -> dict[str, str]:
    name = request.name or target.name
    description = request.description or f"An eggbin {request.type} project"
    author = request.author if request.author is not None else git_user_name()
    # a local template is asked by cookiecutter itself, every variable at once, these as defaults
    if request.prompt is not None and request.template is None:
        name = name if request.name else request.prompt("Project name", name)
        description = description if request.description else request.prompt("Description", description)
        author = author if request.author is not None else request.prompt("Author", author)
    return {
        "project_name": name,
        "package_name": package_name(name),
        "description": description,
        "author": author,
        # signs cookies; random per project so no two generated apps share a secret
        "__cookie_key": f"{package_name(name) or 'egg'}_{secrets.token_hex(16)}",
    }


def _render(template: Path, context: dict[str, str], tmp: Path, interactive: bool) -> Path:
    from cookiecutter.exceptions import CookiecutterException

    try:
        if _is_bundled(template):
            return _render_bundled(template, context, tmp / "out")
        from cookiecutter.main import cookiecutter

        out = cookiecutter(
            str(template),
            no_input=not interactive,
            extra_context=context,
            output_dir=str(tmp / "out"),
            default_config={"replay_dir": str(tmp / "replay"), "cookiecutters_dir": str(tmp / "clones")},
            accept_hooks=True,
        )
    except (CookiecutterException, OSError, ValueError) as exc:
        raise TemplateError(f"cannot render `{template}`: {exc}", hint="fix the template") from exc
    return Path(out)


def _is_bundled(template: Path) -> bool:
    return template.parent == bundled_dir("templates")


def _render_bundled(template: Path, extra: dict[str, str], out: Path) -> Path:
    """Our templates (no hooks, no nesting) skip `cookiecutter.main`: its import of requests costs ~50 ms.

    These functions are outside cookiecutter's documented API: it is pinned below 2.8 and
    tests/test_private_api_contracts.py checks that they still render what `cookiecutter()` renders.
    """
    from cookiecutter.generate import generate_context, generate_files
    from cookiecutter.prompt import prompt_for_config

    context = generate_context(str(template / "cookiecutter.json"), extra_context=extra)
    context["cookiecutter"].update(prompt_for_config(context, no_input=True))
    context["cookiecutter"].update(_template=str(template), _output_dir=str(out), _repo_dir=str(template))
    return Path(generate_files(repo_dir=str(template), context=context, output_dir=str(out)))


def next_steps(kind: str, target: Path) -> tuple[str, ...]:
    """The commands to run after `init`, in order."""
    cd = f"cd {_shell_path(target)}"
    if kind == "simple":
        return (cd, "pip install eggbin  # if it is not installed yet", "eggbin dev", "eggbin test")
    fixture = "tests/fixtures/apps/example"
    return (cd, "pip install -e .", "eggbin test", f"eggbin dev --base {fixture}")


def _shell_path(target: Path) -> str:
    try:
        shown = str(target.relative_to(Path.cwd())) or "."
    except ValueError:
        shown = str(target)
    return shlex.quote(shown)
