"""Enough of a Dockerfile builder to run a generated app's image steps on this machine, without an engine.

Container paths map into one directory (`root`): `/opt/venv` is `<root>/opt/venv`, for both stages alike
(so `COPY --from=build /opt/venv /opt/venv` is the identity and the venv's shebangs stay right). Each RUN
line of the build stage runs as written with `/bin/sh -c`, in the mapped WORKDIR, with the ENV values
mapped; RUN lines of the final stage create the image's user, which a test emulates instead (they would
change this machine's /etc/passwd). `base_python` plays the base image's `/usr/local/bin/python`.
"""

from __future__ import annotations

import fnmatch
import json
import os
import re
import shlex
import shutil
import subprocess
from dataclasses import dataclass, field
from pathlib import Path

IMAGE_PATH = "/usr/local/bin:/usr/local/sbin:/usr/sbin:/usr/bin:/sbin:/bin"  # python images' PATH


@dataclass
class Instruction:
    keyword: str
    args: str
    stage: int


def instructions(text: str) -> list[Instruction]:
    """The Dockerfile's instructions (continuations joined, comments dropped), numbered by stage."""
    lines: list[str] = []
    pending = ""
    for raw in text.splitlines():
        if raw.lstrip().startswith("#") and not pending:
            continue
        if raw.rstrip().endswith("\\"):
            pending += raw.rstrip()[:-1] + " "
            continue
        line = (pending + raw).strip()
        pending = ""
        if line:
            lines.append(line)
    found, stage = [], -1
    for line in lines:
        keyword, _, args = line.partition(" ")
        if keyword.upper() == "FROM":
            stage += 1
        found.append(Instruction(keyword.upper(), args.strip(), stage))
    return found


def exec_form(args: str) -> list[str]:
    """`CMD ["a", "b"]` (or the `CMD [...]` part of a HEALTHCHECK) as argv."""
    match = re.search(r"(?:^|\s)(?:CMD\s+)?(\[.*\])\s*$", args)
    assert match, f"not an exec-form command: {args}"
    return list(json.loads(match[1]))


@dataclass
class Image:
    """The result of `build`: where the image's files are, and how its command would run."""

    root: Path
    env: dict[str, str]
    workdir: Path
    user: tuple[int, int] = (0, 0)
    cmd: list[str] = field(default_factory=list)
    healthcheck: list[str] = field(default_factory=list)
    stopsignal: str = "SIGTERM"
    skipped: list[str] = field(default_factory=list)  # RUN lines of the final stage, not run here


class Builder:
    def __init__(self, context: Path, root: Path, base_python: str, extra_env: dict[str, str]) -> None:
        self.context = context
        self.root = root
        bin_dir = root / "usr" / "local" / "bin"
        bin_dir.mkdir(parents=True, exist_ok=True)
        (bin_dir / "python").symlink_to(base_python)
        self.base_env = {"PATH": f"{bin_dir}:{IMAGE_PATH}", "HOME": str(root / "root"), "LANG": "C.UTF-8"}
        self.extra_env = extra_env

    def inside(self, path: str) -> Path:
        return self.root / path.lstrip("/")

    def map_value(self, value: str, env: dict[str, str]) -> str:
        """Container paths in an ENV value mapped under root (before $VARs expand to host paths)."""
        parts = [str(self.inside(p)) if p.startswith("/") else p for p in value.split(":")]
        mapped = ":".join(parts)
        return re.sub(r"\$\{?(\w+)\}?", lambda m: env.get(m[1], ""), mapped)

    def build(self, dockerfile: Path) -> Image:
        text = dockerfile.read_text()
        image = Image(self.root, dict(self.base_env), self.inside("/"))
        ignore = self.dockerignore()
        for step in instructions(text):
            if step.keyword == "FROM":
                image.env, image.workdir = dict(self.base_env), self.inside("/")
            elif step.keyword == "ENV":
                for pair in shlex.split(step.args):
                    name, _, value = pair.partition("=")
                    image.env[name] = self.map_value(value, image.env)
            elif step.keyword == "WORKDIR":
                image.workdir = (
                    self.inside(step.args) if step.args.startswith("/") else image.workdir / step.args
                )
                image.workdir.mkdir(parents=True, exist_ok=True)
            elif step.keyword == "COPY":
                self.copy(shlex.split(step.args), image.workdir, ignore)
            elif step.keyword == "RUN" and step.stage == 0:
                done = subprocess.run(
                    ["/bin/sh", "-c", step.args],
                    cwd=image.workdir,
                    env={**image.env, **self.extra_env},
                    capture_output=True,
                    text=True,
                    timeout=600,
                )
                assert done.returncode == 0, f"RUN {step.args}\n{done.stdout}\n{done.stderr}"
            elif step.keyword == "RUN":
                image.skipped.append(step.args)
            elif step.keyword == "USER":
                uid, _, gid = step.args.partition(":")
                image.user = (int(uid), int(gid or uid))
            elif step.keyword == "CMD":
                image.cmd = exec_form(step.args)
            elif step.keyword == "HEALTHCHECK":
                image.healthcheck = exec_form(step.args)
            elif step.keyword == "STOPSIGNAL":
                image.stopsignal = step.args
        return image

    def copy(self, args: list[str], workdir: Path, ignore: list[str]) -> None:
        if args[0].startswith("--from="):
            sources, dest = args[1:-1], args[-1]
            for source in sources:  # one root for every stage: the same path, nothing to copy
                assert self.inside(source) == (self.inside(dest) if dest.startswith("/") else workdir / dest)
            return
        sources, dest = args[:-1], args[-1]
        target = self.inside(dest) if dest.startswith("/") else workdir / dest
        for source in sources:
            path = (self.context / source).resolve()
            if path.is_dir():
                shutil.copytree(
                    path, target, dirs_exist_ok=True, ignore=lambda d, names: self.ignored(d, names, ignore)
                )
            else:
                target.mkdir(parents=True, exist_ok=True)
                shutil.copy2(path, target / path.name)

    def dockerignore(self) -> list[str]:
        file = self.context / ".dockerignore"
        lines = file.read_text().splitlines() if file.exists() else []
        return [line.strip().strip("/") for line in lines if line.strip() and not line.startswith("#")]

    def ignored(self, directory: str, names: list[str], patterns: list[str]) -> set[str]:
        out = set()
        for name in names:
            rel = os.path.relpath(os.path.join(directory, name), self.context)
            for pattern in patterns:
                if fnmatch.fnmatch(rel, pattern) or (
                    pattern.startswith("**/") and fnmatch.fnmatch(name, pattern[3:])
                ):
                    out.add(name)
        return out
