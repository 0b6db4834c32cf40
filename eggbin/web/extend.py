"""Extends: `app/extend/{application,agent,context,request,response,helper}.py` of every load unit.

A module-level function defined in the file becomes a method, a `property` object a property, of that
object; a later unit's member of the same name wins (app > framework > plugin > eggbin). Classes are
built once at boot, per app, so two apps in one process never see each other's extensions and a
request pays nothing for them: `app.context_class` is a `Context` subclass made here.
"""

from __future__ import annotations

import inspect
import sys
from types import ModuleType
from typing import TYPE_CHECKING, Any

from eggbin.web.own_files import existing
from eggbin.web.units import LoadUnit

if TYPE_CHECKING:
    from eggbin.web.context import Context

TARGETS = ("application", "agent", "context", "request", "response", "helper")


def members(module: ModuleType) -> dict[str, Any]:
    """The public functions defined in `module` itself and its `property` objects."""
    found: dict[str, Any] = {}
    for name, value in vars(module).items():
        if name.startswith("_") and name != "__":  # `__` is egg-i18n's `ctx.__(key)`
            continue
        own_function = inspect.isfunction(value) and value.__module__ == module.__name__
        if own_function or isinstance(value, property):
            found[name] = value
    return found


def read_extension(units: list[LoadUnit], target: str) -> dict[str, Any]:
    """The merged members of `app/extend/<target>.py` over `units`, in unit order."""
    namespace: dict[str, Any] = {}
    for unit in units:
        file = existing(unit.path, "app", "extend", f"{target}.py")
        if file is not None:
            namespace.update(members(unit.modules.import_file(file)))
    return namespace


def subclass(base: type, namespace: dict[str, Any]) -> type:
    """`base` itself when there is nothing to add, else a subclass holding `namespace`."""
    if not namespace:
        return base
    return type(base.__name__, (base,), {"__module__": base.__module__, **namespace})


def extend_instance(obj: object, namespace: dict[str, Any]) -> None:
    """Give one object (the app or agent) the members, through a class of its own."""
    if namespace:
        obj.__class__ = subclass(type(obj), namespace)


class Helper:
    """`ctx.helper` when the context module brings none of its own."""

    def __init__(self, ctx: Context) -> None:
        self.ctx = ctx
        self.app = ctx.app


def build_context_class(base: type, units: list[LoadUnit]) -> type:
    """A `Context` subclass carrying context extends, the app's helper, request and response extends."""
    namespace = read_extension(units, "context")
    helper_base = getattr(sys.modules[base.__module__], "Helper", Helper)
    helper_class = subclass(helper_base, read_extension(units, "helper"))
    if helper_class is not helper_base:
        namespace.setdefault("helper", _helper_property(helper_class))
    _add_part_classes(base, namespace, units)
    return subclass(base, namespace)


def _helper_property(helper_class: type) -> property:
    def helper(ctx: Any) -> Any:
        made = ctx.__dict__.get("_app_helper")
        if made is None:
            made = ctx._app_helper = helper_class(ctx)
        return made

    return property(helper, doc="`ctx.helper` with this app's `app/extend/helper.py` functions")


def _add_part_classes(base: type, namespace: dict[str, Any], units: list[LoadUnit]) -> None:
    """`ctx.request` / `ctx.response` of this app's own classes, when any unit extends them."""
    from eggbin.web.request import Request
    from eggbin.web.response import Response

    made: dict[str, type] = {}
    for target, part_base in (("request", Request), ("response", Response)):
        extension = read_extension(units, target)
        if extension:
            made[target] = subclass(part_base, extension)
    if not made:
        return
    if all(hasattr(base, f"{target}_class") for target in made):
        namespace.update({f"{target}_class": cls for target, cls in made.items()})
        return
    base_init = getattr(base, "__init__")  # noqa: B009 (mypy refuses `base.__init__` on a type)

    def __init__(ctx: Context, *args: object) -> None:
        base_init(ctx, *args)
        for target, cls in made.items():
            getattr(ctx, target).__class__ = cls

    namespace["__init__"] = __init__
