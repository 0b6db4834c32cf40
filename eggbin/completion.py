"""Shell completion scripts for `eggbin` and `eggscripts`, generated from the live CLI.

    python -m eggbin.completion [OUT_DIR]    # default: the `completions/` shipped with eggbin

Each script is what the console script prints for `_EGGBIN_COMPLETE=source_<shell>`; at completion time
the shell calls the console script back (`_EGGBIN_COMPLETE=complete_<shell>`), so candidates always
come from the installed CLI. A test regenerates them and fails when the files drift.
"""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

from eggbin.bundled import bundled_dir
from eggbin.errors import EggbinError

PROGRAMS = ("eggbin", "eggscripts")
FILE_NAMES = {"bash": "{prog}.bash", "zsh": "_{prog}", "fish": "{prog}.fish"}
HEADER = "# Generated from the {prog} CLI by `python -m eggbin.completion`; do not edit."
INSTALL = {
    "bash": "# Install: source it from ~/.bashrc or copy it to ~/.local/share/bash-completion/completions/",
    "zsh": "# Install: copy this file as `_{prog}` into a directory on $fpath, then run compinit.",
    "fish": "# Install: copy this file to ~/.config/fish/completions/{prog}.fish",
}


def register_shells() -> None:
    """Typer registers its bash/zsh/fish completers only with `add_completion=True`; we add them on demand.

    `typer._completion_classes` is private: typer is pinned below 0.30 in pyproject.toml and
    tests/test_private_api_contracts.py checks what this relies on.
    """
    from typer._completion_classes import completion_init

    completion_init()


def completion_var(prog: str) -> str:
    """The environment variable the console script answers completion requests on."""
    return f"_{prog}_COMPLETE".upper()


def source_script(prog: str, shell: str) -> str:
    """What `<prog>` prints for `_<PROG>_COMPLETE=source_<shell>`, under a header naming its origin."""
    launcher = f"from eggbin.cli import {prog}_main; {prog}_main()"
    env = {**os.environ, completion_var(prog): f"source_{shell}"}
    done = subprocess.run(
        [sys.executable, "-c", launcher], env=env, capture_output=True, text=True, timeout=60, check=False
    )
    if done.returncode != 0 or not done.stdout.strip():
        raise EggbinError(
            f"`{prog}` printed no {shell} completion script: {done.stderr.strip() or done.returncode}"
        )
    return _with_header(done.stdout.strip(), prog, shell)


def _with_header(script: str, prog: str, shell: str) -> str:
    header = f"{HEADER.format(prog=prog)}\n{INSTALL[shell].format(prog=prog)}"
    if script.startswith("#compdef"):  # zsh reads `#compdef` only on the first line
        first, _, rest = script.partition("\n")
        return f"{first}\n{header}\n{rest.lstrip()}\n"
    return f"{header}\n\n{script}\n"


def generate(out_dir: Path) -> list[Path]:
    """Write every program's script for every shell into `out_dir`; the paths written."""
    out_dir.mkdir(parents=True, exist_ok=True)
    written = []
    for prog in PROGRAMS:
        for shell, pattern in FILE_NAMES.items():
            path = out_dir / pattern.format(prog=prog)
            path.write_text(source_script(prog, shell), encoding="utf-8")
            written.append(path)
    return written


def main(argv: list[str] | None = None) -> int:
    """Regenerate the scripts (default: the `completions/` directory eggbin ships)."""
    args = sys.argv[1:] if argv is None else argv
    out_dir = Path(args[0]) if args else bundled_dir("completions")
    try:
        written = generate(out_dir)
    except EggbinError as exc:
        print(f"error: {exc}", file=sys.stderr)
        return 1
    for path in written:
        print(path)
    return 0


if __name__ == "__main__":
    sys.exit(main())
