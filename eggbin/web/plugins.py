"""Plugins: which are enabled, where they live, and the order they load in.

`config/plugin.py` then `config/plugin_<env>.py` of eggbin, each framework and the app, later files
overriding earlier ones entry by entry:

    plugins = {"mysql": {"enable": True, "package": "egg_mysql"}, "mine": {"path": "lib/mine"}, "dev": False}

A plugin's `__init__.py` holds `EGG_PLUGIN = {"name", "dependencies", "optional_dependencies", "env"}`.
Dependencies load first (a declared but disabled dependency is enabled, with a log line); a plugin whose
`env` excludes the app's env is disabled, with a log line.
"""

from __future__ import annotations

import ast
import importlib.util
from collections.abc import Mapping
from pathlib import Path
from typing import Any

from msgspec import Struct, field

from eggbin.errors import BootError
from eggbin.web.declared import declared, read_syntax
from eggbin.web.modules import UnitModules, definition_line
from eggbin.web.own_files import existing, resolved
from eggbin.web.units import LoadUnit

SPEC_FIELDS = {"enable", "package", "path", "env"}
# egg's built-in plugins, and the plugins eggbin builds in (jinja2 plays egg-view-nunjucks' role)
BUILT_IN = frozenset({
    "onerror", "session", "i18n", "watcher", "multipart", "security", "development", "logrotator",
    "schedule", "static", "jsonp", "view", "nunjucks", "validate",
})  # fmt: skip
CAN_BE_OFF = frozenset({"onerror", "security", "static"})  # core middleware of those names is dropped
BUILT_IN_PACKAGES = frozenset({f"egg-{name}" for name in BUILT_IN} | {"egg-view-nunjucks"})
PLUGINS_EXAMPLE = 'e.g. plugins = {"mysql": {"enable": True, "package": "egg_mysql"}, "dev": False}'


class PluginSpec(Struct):
    """One plugin as the plugin config files declare it."""

    name: str
    enable: bool = False
    package: str | None = None
    path: Path | None = None
    env: tuple[str, ...] = ()
    where: str = ""  # `file:line` of the entry that said where the plugin lives


class Plugin(Struct):
    """An enabled plugin: its load unit and what its `EGG_PLUGIN` declares."""

    spec: PluginSpec
    unit: LoadUnit
    dependencies: tuple[str, ...] = ()
    optional_dependencies: tuple[str, ...] = ()
    env: tuple[str, ...] = ()
    where: str = ""  # `file:line` of `EGG_PLUGIN`

    @property
    def name(self) -> str:
        return self.spec.name

    def describe(self) -> dict[str, Any]:
        """What the run/ config dump says about this plugin."""
        return {
            "package": self.spec.package,
            "path": str(self.unit.path),
            "from": self.spec.where,
            "dependencies": list(self.dependencies),
            "optional_dependencies": list(self.optional_dependencies),
        }


class PluginSet(Struct):
    """The enabled plugins in load order, and log lines about the decisions taken."""

    plugins: list[Plugin] = field(default_factory=list)
    notes: list[str] = field(default_factory=list)
    warnings: list[str] = field(default_factory=list)
    built_in: dict[str, bool] = field(default_factory=dict)  # egg's built-in plugin names → enabled


def load_plugins(units: list[LoadUnit], env: str, extra: Mapping[str, Any] | None = None) -> PluginSet:
    """Read the plugin config of `units` (eggbin, frameworks, app), then `extra`; resolve it for `env`."""
    warnings: list[str] = []
    specs = read_plugin_specs(units, env, warnings)
    for name, entry in (extra or {}).items():
        _merge_spec(specs, name, entry, units[-1].path, "the plugin under test (eggbin's test plugin)")
    built_in = take_built_ins(specs, warnings)
    found = resolve_plugins(specs, env)
    found.warnings, found.built_in = warnings, built_in
    found.notes += [f"plugin `{name}` is built into eggbin" for name, on in built_in.items() if on]
    return found


def read_plugin_specs(
    units: list[LoadUnit], env: str, warnings: list[str] | None = None
) -> dict[str, PluginSpec]:
    """`plugins = {...}` (or egg's `exports.<name> = ...` form: top-level names) of every plugin file."""
    specs: dict[str, PluginSpec] = {}
    for unit in units:
        for stem in ("plugin", f"plugin_{env}"):
            file = existing(unit.path, "config", f"{stem}.py")
            if file is not None:
                found = declared(unit.modules.import_file(file), file, "plugins")
                entries = found.value if found.value is not None else {}
                if not isinstance(entries, Mapping):
                    raise BootError(f"`{file}` must define `plugins` as a dict", hint=PLUGINS_EXAMPLE)
                if warnings is not None:
                    warnings.extend(found.warnings)
                lines = {**found.lines, **key_lines(file)}
                for name, entry in entries.items():
                    _merge_spec(specs, str(name), entry, unit.path, f"{file}:{lines.get(name, 1)}")
    return specs


def take_built_ins(specs: dict[str, PluginSpec], warnings: list[str]) -> dict[str, bool]:
    """Remove the entries naming what eggbin builds in (egg's built-in plugins, its view and validate).

    `static = True` or `nunjucks = {"package": "egg-view-nunjucks"}` ported from egg need no package here;
    turning off one eggbin cannot do without is reported, not ignored.
    """
    taken: dict[str, bool] = {}
    for name, spec in list(specs.items()):
        package = (spec.package or "").replace("_", "-")
        if spec.path is None and (package in BUILT_IN_PACKAGES or (not package and name in BUILT_IN)):
            taken[name] = spec.enable
            del specs[name]
            if not spec.enable and name not in CAN_BE_OFF:
                warnings.append(f"`{spec.where}` turns off `{name}`, which eggbin builds in: it stays on")
    return taken


def _merge_spec(specs: dict[str, PluginSpec], name: str, entry: object, base: Path, where: str) -> None:
    spec = specs.setdefault(name, PluginSpec(name, where=where))
    if isinstance(entry, bool):
        spec.enable = entry
        return
    if not isinstance(entry, Mapping) or set(entry) - SPEC_FIELDS:
        raise BootError(
            f"plugin `{name}` at `{where}` must be True, False or a dict of {sorted(SPEC_FIELDS)}",
            hint='e.g. {"enable": True, "package": "egg_mysql"}',
        )
    spec.enable = bool(entry.get("enable", True))
    if "package" in entry or "path" in entry:
        spec.package = entry.get("package")
        spec.path = (base / entry["path"]).resolve() if entry.get("path") else None
        spec.where = where
    if "env" in entry:
        spec.env = tuple(entry["env"])


def key_lines(file: Path) -> dict[str, int]:
    """Line of the first dict key spelled `name` in `file` (to point at a plugin's entry)."""
    return dict(read_syntax(file, _key_lines))


def _key_lines(tree: ast.Module) -> dict[str, int]:
    lines: dict[str, int] = {}
    for node in ast.walk(tree):
        if isinstance(node, ast.Dict):
            for key in node.keys:
                if isinstance(key, ast.Constant) and isinstance(key.value, str):
                    lines.setdefault(key.value, key.lineno)
    return lines


def resolve_plugins(specs: dict[str, PluginSpec], env: str) -> PluginSet:
    """Import every enabled plugin (and the dependencies it pulls in), check and order them."""
    loaded: dict[str, Plugin] = {}
    notes: list[str] = []
    skipped: set[str] = set()
    pending = [name for name, spec in specs.items() if spec.enable]
    while pending:
        name = pending.pop(0)
        if name in loaded or name in skipped:
            continue
        plugin = _env_checked(load_plugin(specs[name]), env, notes)
        if plugin is None:
            skipped.add(name)
            continue
        loaded[name] = plugin
        for dep in plugin.dependencies:
            if dep in specs and not specs[dep].enable and dep not in pending:
                notes.append(f"plugin `{dep}` enabled because `{name}` depends on it")
                pending.append(dep)
    _check_dependencies(loaded, specs, skipped, env)
    return PluginSet(order_plugins({n: loaded[n] for n in specs if n in loaded}), notes)


def _env_checked(plugin: Plugin, env: str, notes: list[str]) -> Plugin | None:
    allowed = plugin.spec.env or plugin.env
    if allowed and env not in allowed:
        notes.append(f"plugin `{plugin.name}` disabled: env `{env}` is not in {list(allowed)}")
        return None
    return plugin


def load_plugin(spec: PluginSpec) -> Plugin:
    """Locate and import one plugin's package; read its `EGG_PLUGIN`."""
    unit = _plugin_unit(spec)
    try:
        module = unit.modules.import_root()
    except BootError as exc:
        raise BootError(f"plugin `{spec.name}` failed to import: {exc.message}", hint=exc.hint) from exc
    meta = getattr(module, "EGG_PLUGIN", None)
    init = unit.file("__init__.py")
    if not isinstance(meta, Mapping):
        raise BootError(
            f"plugin `{spec.name}` (declared at `{spec.where}`) has no `EGG_PLUGIN` dict in `{init}`",
            hint=f'add `EGG_PLUGIN = {{"name": "{spec.name}"}}` to it',
        )
    return Plugin(
        spec,
        unit,
        tuple(meta.get("dependencies", ())),
        tuple(meta.get("optional_dependencies", ())),
        tuple(meta.get("env", ())),
        f"{init}:{definition_line(init, 'EGG_PLUGIN')}",
    )


def _plugin_unit(spec: PluginSpec) -> LoadUnit:
    if spec.path is not None:
        if not spec.path.is_dir():
            raise BootError(f"plugin `{spec.name}` at `{spec.where}`: path `{spec.path}` is not a directory")
        return LoadUnit(spec.name, spec.path, "plugin", UnitModules(spec.name, spec.path))
    if not spec.package:
        raise BootError(
            f"plugin `{spec.name}` at `{spec.where}` has neither `package` nor `path`",
            hint='add "package": "<module>" or "path": "<dir>" to its entry',
        )
    path = _package_dir(spec, spec.package)
    return LoadUnit(spec.name, path, "plugin", UnitModules(spec.name, path, spec.package))


def _package_dir(spec: PluginSpec, package: str) -> Path:
    try:
        found = importlib.util.find_spec(package)
    except (ImportError, ValueError):
        found = None
    if found is None or not found.submodule_search_locations:
        raise BootError(
            f"plugin `{spec.name}` at `{spec.where}`: package `{package}` is not installed",
            hint="install it, or fix `package` in the plugin config",
        )
    return resolved(Path(next(iter(found.submodule_search_locations))))


def _check_dependencies(
    loaded: dict[str, Plugin], specs: dict[str, PluginSpec], skipped: set[str], env: str
) -> None:
    for plugin in loaded.values():
        for dep in plugin.dependencies:
            if dep in loaded:
                continue
            why = "is not declared in any `config/plugin.py`"
            if dep in skipped:
                why = f"is disabled in env `{env}`"
            raise BootError(
                f"plugin `{plugin.name}` (`{plugin.where}`) depends on `{dep}`, which {why}",
                hint=f"declare and enable `{dep}` in `config/plugin.py`, or disable `{plugin.name}`",
            )


def order_plugins(loaded: dict[str, Plugin]) -> list[Plugin]:
    """Dependencies first, otherwise declaration order; a cycle fails naming every plugin in it."""
    ordered: list[Plugin] = []
    done: set[str] = set()
    visiting: list[str] = []

    def visit(name: str) -> None:
        if name in visiting:
            cycle = [*visiting[visiting.index(name) :], name]
            raise BootError(
                f"plugins depend on each other in a cycle: {' → '.join(f'`{n}`' for n in cycle)} "
                f"(`{loaded[name].where}`)",
                hint="remove one of these dependencies",
            )
        if name in done:
            return
        plugin = loaded[name]
        visiting.append(name)
        for dep in (*plugin.dependencies, *plugin.optional_dependencies):
            if dep in loaded:
                visit(dep)
        visiting.pop()
        done.add(name)
        ordered.append(plugin)

    for name in loaded:
        visit(name)
    return ordered
