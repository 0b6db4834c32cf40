"""`eggbin init`: scaffold a project."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import typer

from eggbin.cli.options import ProjectType


def init(
    directory: Annotated[Path, typer.Argument(help="Where to create the project.")] = Path("."),
    type: Annotated[ProjectType, typer.Option("--type", "-t", help="What to create.")] = ProjectType.simple,
    name: Annotated[str | None, typer.Option(help="Project name (default: the directory's name).")] = None,
    description: Annotated[str | None, typer.Option(help="One-line description.")] = None,
    author: Annotated[str | None, typer.Option(help="Author (default: `git config user.name`).")] = None,
    template: Annotated[Path | None, typer.Option(help="A local cookiecutter template to render.")] = None,
    force: Annotated[bool, typer.Option("--force", help="Write into a non-empty directory.")] = False,
    yes: Annotated[bool, typer.Option("--yes", "-y", help="Accept defaults, never prompt.")] = False,
) -> None:
    """Create an app, plugin or framework from a bundled template (prompts on a terminal unless --yes).

    Examples:

      eggbin init demo --yes

      eggbin init egg-hello --type=plugin --yes

      eggbin init my-app --template ./my-template --yes
    """
    from eggbin import console
    from eggbin.toolchain import require_toolchain

    require_toolchain("init")
    from eggbin.scaffold import ScaffoldRequest, scaffold

    created = scaffold(
        ScaffoldRequest(
            target=directory,
            type=type.value,
            name=name,
            description=description,
            author=author,
            template=template,
            force=force,
            prompt=_ask if not yes and console.is_interactive() else None,
        )
    )
    where = f"in {created.path}"
    console.result(
        f"Created {created.type} project {created.name} {where}",
        f"Created {created.type} project [bold]{console.escape(created.name)}[/] {console.escape(where)}",
    )
    console.result("Next:")
    for step in created.next_steps:
        console.result(f"  {step}")


def _ask(question: str, default: str) -> str:
    return str(typer.prompt(question, default=default))
