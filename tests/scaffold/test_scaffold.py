"""The scaffold library: names, targets, templates, hermetic rendering (real cookiecutter, real files)."""

from __future__ import annotations

import json
import subprocess
import tomllib
from pathlib import Path

import pytest

from eggbin.errors import TargetNotEmptyError, TemplateError, UsageError
from eggbin.scaffold import ScaffoldRequest, next_steps, package_name, scaffold, validate_name
from tests.support import BIN

SIMPLE_FILES = (
    "pyproject.toml",
    "README.md",
    ".gitignore",
    "Dockerfile",
    ".vscode/launch.json",
    "app/router.py",
    "app/controller/home.py",
    "app/service/greeting.py",
    "app/middleware/response_time.py",
    "app/public/robots.txt",
    "config/default.py",
    "config/local.py",
    "config/prod.py",
    "config/plugin.py",
    "tests/test_home.py",
    "tests/test_greeting.py",
)


def make(target: Path, **options: object) -> Path:
    return scaffold(ScaffoldRequest(target=target, author="Ada", **options)).path  # type: ignore[arg-type]


@pytest.mark.parametrize(
    ("name", "package"), [("egg-hello", "egg_hello"), ("My.Framework", "my_framework"), ("a--b_", "a_b")]
)
def test_package_name_is_importable(name: str, package: str) -> None:
    assert package_name(name) == package


def test_simple_template_renders_the_app_layout(tmp_path: Path) -> None:
    project = make(tmp_path / "shop")
    for name in SIMPLE_FILES:
        assert (project / name).is_file(), name
    pyproject = tomllib.loads((project / "pyproject.toml").read_text())
    assert pyproject["project"]["name"] == "shop"
    assert pyproject["project"]["authors"] == [{"name": "Ada"}]
    assert "egg" in pyproject["tool"]
    assert "eggbin dev" in (project / "pyproject.toml").read_text()
    launch = json.loads((project / ".vscode/launch.json").read_text())
    assert launch["configurations"][0]["connect"] == {"host": "127.0.0.1", "port": 9229}
    for ignored in ("logs/", "run/", "coverage/", ".venv/"):
        assert ignored in (project / ".gitignore").read_text().splitlines()
    assert "eggscripts" in (project / "Dockerfile").read_text()


@pytest.mark.parametrize(
    ("kind", "files"),
    [
        (
            "plugin",
            (
                "egg_hello/__init__.py",
                "egg_hello/app/extend/context.py",
                "egg_hello/app/middleware/hello.py",
                "egg_hello/config/default.py",
                "tests/fixtures/apps/example/config/plugin.py",
                "tests/test_plugin.py",
            ),
        ),
        (
            "framework",
            (
                "egg_hello/__init__.py",
                "egg_hello/config/default.py",
                "egg_hello/config/plugin.py",
                "egg_hello/plugins/request_id/__init__.py",
                "egg_hello/plugins/request_id/app/extend/context.py",
                "tests/fixtures/apps/example/pyproject.toml",
                "tests/test_framework.py",
            ),
        ),
    ],
)
def test_package_templates_render_an_installable_package(
    tmp_path: Path, kind: str, files: tuple[str, ...]
) -> None:
    project = make(tmp_path / "x", type=kind, name="egg-hello")
    for name in files:
        assert (project / name).is_file(), name
    pyproject = tomllib.loads((project / "pyproject.toml").read_text())
    assert pyproject["build-system"]["build-backend"]
    assert pyproject["project"]["name"] == "egg-hello"
    assert pyproject["tool"]["egg"]["type"] == kind
    compile((project / "egg_hello/__init__.py").read_text(), "__init__.py", "exec")


def test_plugin_declares_egg_plugin_and_the_fixture_app_enables_it(tmp_path: Path) -> None:
    project = make(tmp_path / "x", type="plugin", name="egg-hello")
    namespace: dict[str, object] = {}
    exec((project / "egg_hello/__init__.py").read_text(), namespace)
    assert namespace["EGG_PLUGIN"] == {
        "name": "hello",
        "dependencies": [],
        "optional_dependencies": [],
        "env": [],
    }
    exec((project / "tests/fixtures/apps/example/config/plugin.py").read_text(), namespace)
    assert namespace["plugins"] == {"hello": {"enable": True, "package": "egg_hello"}}


def test_framework_fixture_app_selects_the_framework(tmp_path: Path) -> None:
    project = make(tmp_path / "x", type="framework", name="acme-web")
    fixture = tomllib.loads((project / "tests/fixtures/apps/example/pyproject.toml").read_text())
    assert fixture["tool"]["egg"]["framework"] == "acme_web"
    assert "egg_path = EGG_PATH" in (project / "acme_web/__init__.py").read_text()


def test_each_project_gets_its_own_cookie_key(tmp_path: Path) -> None:
    keys = {(make(tmp_path / name) / "config/default.py").read_text() for name in ("a", "b")}
    assert len(keys) == 2


def test_rendering_leaves_home_untouched(tmp_path: Path, isolated: Path) -> None:
    make(tmp_path / "x", type="plugin")
    assert list(isolated.iterdir()) == []


def test_name_defaults_to_the_directory_and_author_to_git(tmp_path: Path) -> None:
    (tmp_path / "home" / ".gitconfig").write_text("[user]\n\tname = Grace Hopper\n")
    created = scaffold(ScaffoldRequest(target=tmp_path / "ledger"))
    assert created.name == "ledger"
    assert 'name = "Grace Hopper"' in (created.path / "pyproject.toml").read_text()


def test_a_non_empty_directory_is_refused_and_left_untouched(tmp_path: Path) -> None:
    (tmp_path / "x").mkdir()
    (tmp_path / "x" / "notes.txt").write_text("mine")
    with pytest.raises(TargetNotEmptyError, match=r"`.*x` is not empty; .*--force"):
        make(tmp_path / "x")
    assert [p.name for p in (tmp_path / "x").iterdir()] == ["notes.txt"]


def test_force_writes_into_a_non_empty_directory_and_keeps_other_files(tmp_path: Path) -> None:
    (tmp_path / "x").mkdir()
    (tmp_path / "x" / "notes.txt").write_text("mine")
    project = make(tmp_path / "x", force=True)
    assert (project / "notes.txt").read_text() == "mine"
    assert (project / "app/router.py").is_file()


def test_a_file_as_target_is_refused(tmp_path: Path) -> None:
    (tmp_path / "x").write_text("")
    with pytest.raises(TargetNotEmptyError, match="exists and is not a directory"):
        make(tmp_path / "x")


@pytest.mark.parametrize(
    ("name", "kind", "message"),
    [
        ("1st", "simple", "`1st` is not a valid project name"),
        ("my app", "simple", "`my app` is not a valid project name"),
        ("-x", "plugin", "`-x` is not a valid project name"),
        ("class", "plugin", "`class` gives `class`, which is not a Python package name"),
        ("json", "framework", "`json` gives the package name `json`, which shadows the module of that name"),
        ("eggbin", "plugin", "shadows the module of that name"),
    ],
)
def test_invalid_names_are_usage_errors(name: str, kind: str, message: str) -> None:
    with pytest.raises(UsageError, match=message):
        validate_name(name, kind)


def test_a_simple_app_may_be_named_like_a_module(tmp_path: Path) -> None:
    assert make(tmp_path / "json").name == "json"


def test_an_invalid_name_writes_nothing(tmp_path: Path) -> None:
    with pytest.raises(UsageError):
        make(tmp_path / "x", name="9lives")
    assert not (tmp_path / "x").exists()


def test_unknown_type_is_a_usage_error(tmp_path: Path) -> None:
    with pytest.raises(UsageError, match="unknown project type `nope`; use one of simple, plugin, framework"):
        make(tmp_path / "x", type="nope")


def test_missing_template_path(tmp_path: Path) -> None:
    with pytest.raises(TemplateError, match=r"template `.*missing` does not exist"):
        make(tmp_path / "x", template=tmp_path / "missing")
    assert not (tmp_path / "x").exists()


def test_a_directory_without_cookiecutter_json_is_not_a_template(tmp_path: Path) -> None:
    (tmp_path / "tpl").mkdir()
    with pytest.raises(TemplateError, match=r"is not a cookiecutter template \(no `cookiecutter.json`\)"):
        make(tmp_path / "x", template=tmp_path / "tpl")


def write_template(root: Path, extra: dict[str, str] | None = None, hook: str | None = None) -> Path:
    variables = {"project_name": "x", "project_slug": "{{ cookiecutter.project_name }}", **(extra or {})}
    (root / "cookiecutter.json").parent.mkdir(parents=True)
    (root / "cookiecutter.json").write_text(json.dumps(variables))
    body = root / "{{cookiecutter.project_slug}}"
    body.mkdir()
    (body / "NAME").write_text("{{ cookiecutter.project_name }} {{ cookiecutter.get('license', '') }}")
    if hook is not None:
        (root / "hooks").mkdir()
        (root / "hooks" / "pre_gen_project.py").write_text(hook)
    return root


def test_a_local_template_gets_the_same_options(tmp_path: Path) -> None:
    template = write_template(tmp_path / "tpl", {"license": "MIT"})
    project = make(tmp_path / "out", template=template, name="inventory")
    assert (project / "NAME").read_text() == "inventory MIT"


def test_a_failing_template_hook_leaves_the_target_untouched(tmp_path: Path) -> None:
    template = write_template(tmp_path / "tpl", hook="import sys\nsys.exit(3)\n")
    (tmp_path / "out").mkdir()
    with pytest.raises(TemplateError, match=r"cannot render `.*tpl`: .*[Hh]ook"):
        make(tmp_path / "out", template=template)
    assert list((tmp_path / "out").iterdir()) == []


def test_next_steps_name_the_commands(tmp_path: Path) -> None:
    assert next_steps("simple", tmp_path / "demo") == (
        "cd demo",
        "pip install eggbin  # if it is not installed yet",
        "eggbin dev",
        "eggbin test",
    )
    assert next_steps("plugin", Path("/elsewhere/my plugin"))[:3] == (
        "cd '/elsewhere/my plugin'",
        "pip install -e .",
        "eggbin test",
    )


@pytest.mark.parametrize("kind", ["simple", "plugin", "framework"])
def test_quotes_and_an_empty_author_still_give_valid_metadata(tmp_path: Path, kind: str) -> None:
    """An empty author would make `authors = [{name = ""}]`, which build backends reject."""
    created = scaffold(
        ScaffoldRequest(target=tmp_path / "x", type=kind, author="", description='say "hi" \\ <now>')
    )
    project = tomllib.loads((created.path / "pyproject.toml").read_text())["project"]
    assert project["description"] == 'say "hi" \\ <now>'
    assert "authors" not in project


def test_generated_code_passes_ruff(tmp_path: Path) -> None:
    """What a user gets is lint-clean and formatted, under the house settings."""
    for kind in ("simple", "plugin", "framework"):
        make(tmp_path / kind, type=kind, name=f"egg-{kind}")
    ruff = [str(BIN / "ruff"), "--no-cache", "--isolated", "--line-length", "110"]
    lint = subprocess.run(
        [ruff[0], "check", *ruff[1:], "--select", "E,F,W,I,B,UP", str(tmp_path)],
        capture_output=True,
        text=True,
    )
    assert lint.returncode == 0, lint.stdout
    fmt = subprocess.run(
        [ruff[0], "format", *ruff[1:], "--check", str(tmp_path)], capture_output=True, text=True
    )
    assert fmt.returncode == 0, fmt.stdout
