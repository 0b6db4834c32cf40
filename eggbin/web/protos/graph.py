"""Resolving every injected field once, at boot, and rejecting what can never work.

A field resolves by its annotated type (a proto class, a unique proto subclass of it, or a built-in of
`eggbin.web.protos.fields`), then by its name (a proto's name, default the class name in snake_case, or
a built-in's). Boot errors, each with a code:

    EGG_PROTO_NOT_FOUND     nothing matches: the field, its file:line and the closest names
    EGG_PROTO_AMBIGUOUS     several protos match one name or base class
    EGG_PROTO_SCOPE         a singleton needs something of a request (a context proto, `Context`)
    EGG_PROTO_CYCLE         protos that need each other
    EGG_PROTO_CONSTRUCTOR   a proto whose class needs constructor arguments
"""

from __future__ import annotations

import inspect
from typing import Any

from msgspec import Struct, field

from eggbin.errors import BootError
from eggbin.web.controller import BaseContextClass
from eggbin.web.protos.declare import ObjectInitType, ProtoInfo, proto_info
from eggbin.web.protos.fields import (
    BUILTIN_NAMES,
    CONTEXT_ONLY,
    FieldSpec,
    builtin_for_type,
    field_where,
    injected_fields,
    type_name,
)

NOT_FOUND = "EGG_PROTO_NOT_FOUND"
AMBIGUOUS = "EGG_PROTO_AMBIGUOUS"
SCOPE = "EGG_PROTO_SCOPE"
CYCLE = "EGG_PROTO_CYCLE"
CONSTRUCTOR = "EGG_PROTO_CONSTRUCTOR"


class Proto(Struct, eq=False):
    """A declared class, its resolved fields, and the advice woven into its methods."""

    cls: type
    info: ProtoInfo
    fields: list[Field] = field(default_factory=list)
    advice: dict[str, Any] = field(default_factory=dict)  # method name -> AdviceChain

    @property
    def singleton(self) -> bool:
        return self.info.init_type is ObjectInitType.SINGLETON

    @property
    def label(self) -> str:
        kind = "singleton" if self.singleton else "context proto"
        return f"{kind} `{self.cls.__qualname__}` ({self.info.where})"

    def dependencies(self) -> list[Proto]:
        deps = [f.target for f in self.fields if f.target is not None]
        for chain in self.advice.values():
            deps += chain.advice_protos
        return deps


class Field(Struct, frozen=True):
    """A resolved field: a proto (`target`), a built-in (`builtin`), or nothing (optional)."""

    attr: str
    target: Proto | None = None
    builtin: str | None = None


class ProtoGraph:
    """Every proto of one app, by class and by name."""

    def __init__(self, classes: list[type]) -> None:
        self.protos: dict[type, Proto] = {}
        self.by_name: dict[str, list[Proto]] = {}
        for cls in classes:
            self.add(cls)

    def add(self, cls: type) -> Proto:
        proto = self.protos.get(cls)
        if proto is None:
            info = proto_info(cls)
            assert info is not None
            proto = self.protos[cls] = Proto(cls, info)
            self.by_name.setdefault(info.name, []).append(proto)
        return proto

    def resolve_all(self) -> None:
        """Resolve the fields of every proto (protos named only by type join as they are met)."""
        done: set[type] = set()
        while len(done) < len(self.protos):
            for cls, proto in list(self.protos.items()):
                if cls not in done:
                    done.add(cls)
                    check_constructor(proto)
                    proto.fields = [self.resolve(spec, proto) for spec in injected_fields(cls)]

    def resolve(self, spec: FieldSpec, owner: Proto | None) -> Field:
        """The source of one field; `owner` None means a classic controller or service (context scope)."""
        found = self.lookup(spec)
        if found is None:
            if spec.optional:
                return Field(spec.attr)
            raise self.not_found(spec)
        if isinstance(found, str):
            if owner is not None and owner.singleton and found in CONTEXT_ONLY:
                raise scope_error(owner, spec, f"`{type_name(spec.annotation) or found}` (one per request)")
            return Field(spec.attr, builtin=found)
        if owner is not None and owner.singleton and not found.singleton:
            raise scope_error(owner, spec, found.label)
        return Field(spec.attr, target=found)

    def lookup(self, spec: FieldSpec) -> Proto | str | None:
        if spec.marker.name:
            return self.by_name_or_builtin(spec.marker.name, spec)
        annotation = spec.annotation
        if proto_info(annotation) is not None:
            return self.add(annotation)
        builtin = builtin_for_type(annotation)
        if builtin is not None:
            return builtin
        if isinstance(annotation, type):
            subclasses = [p for p in self.protos.values() if issubclass(p.cls, annotation)]
            if len(subclasses) > 1:
                raise ambiguous(spec, f"type `{annotation.__qualname__}`", subclasses)
            if subclasses:
                return subclasses[0]
        return self.by_name_or_builtin(spec.attr, spec)

    def by_name_or_builtin(self, name: str, spec: FieldSpec) -> Proto | str | None:
        named = self.by_name.get(name, [])
        if len(named) > 1:
            raise ambiguous(spec, f"name `{name}`", named)
        return named[0] if named else BUILTIN_NAMES.get(name)

    def not_found(self, spec: FieldSpec) -> BootError:
        wanted = spec.marker.name or spec.attr
        if spec.unresolved:
            what = f"`{spec.unresolved}` (its annotation could not be evaluated: import it at run time)"
        elif spec.annotation is not None and not spec.marker.name:
            what = f"`{type_name(spec.annotation)}`, which is not a proto"
        else:
            what = f"`{wanted}`"
        candidates = {p.info.name: p for named in self.by_name.values() for p in named}
        candidates |= {p.cls.__name__: p for p in self.protos.values()}
        import difflib  # only for this error

        words = [wanted, type_name(spec.annotation)] if spec.annotation is not None else [wanted]
        close = [c for w in words for c in difflib.get_close_matches(w, [*candidates, *BUILTIN_NAMES])]
        closest = ", ".join(dict.fromkeys(_describe(candidates.get(c), c) for c in close))
        return BootError(
            f"`{spec.owner.__qualname__}.{spec.attr}` at `{field_where(spec)}` injects {what}: no proto "
            f"has that type or the name `{wanted}`" + (f"; closest: {closest}" if closest else ""),
            hint="declare it with @singleton_proto() or @context_proto() in a module under app/, "
            "or correct the type or name",
            code=NOT_FOUND,
        )

    def check_cycles(self) -> None:
        """Fail on protos that need each other (directly, through a chain, or through their advice)."""
        state: dict[Proto, int] = {}  # 1 visiting, 2 done

        def visit(proto: Proto, path: list[Proto]) -> None:
            if state.get(proto) == 2:
                return
            if state.get(proto) == 1:
                loop = [*path[path.index(proto) :], proto]
                raise BootError(
                    "protos need each other: " + " -> ".join(p.label for p in loop),
                    hint="break the cycle: move the shared part into a third proto",
                    code=CYCLE,
                )
            state[proto] = 1
            for dep in proto.dependencies():
                visit(dep, [*path, proto])
            state[proto] = 2

        for proto in list(self.protos.values()):
            visit(proto, [])

    def creation_order(self) -> list[Proto]:
        """Singletons, each after the singletons it needs."""
        order: list[Proto] = []

        def visit(proto: Proto) -> None:
            if proto in order or not proto.singleton:
                return
            for dep in proto.dependencies():
                visit(dep)
            order.append(proto)

        for proto in list(self.protos.values()):
            visit(proto)
        return order


def _describe(proto: Proto | None, name: str) -> str:
    if proto is None:
        return f"`{name}` (built in)"
    return f"`{proto.info.name}` (`{proto.cls.__qualname__}` at {proto.info.where})"


def check_constructor(proto: Proto) -> None:
    cls = proto.cls
    if issubclass(cls, BaseContextClass):
        if proto.singleton:
            raise BootError(
                f"{proto.label} subclasses `{BaseContextClass.__name__}`, which needs a request context",
                hint="make it a @context_proto(), or drop the Service/Controller base class",
                code=CONSTRUCTOR,
            )
        return
    try:
        required = [
            p.name
            for p in inspect.signature(cls).parameters.values()
            if p.default is p.empty and p.kind in (p.POSITIONAL_ONLY, p.POSITIONAL_OR_KEYWORD, p.KEYWORD_ONLY)
        ]
    except (TypeError, ValueError):
        return
    if required:
        raise BootError(
            f"{proto.label} can not be created: its constructor needs "
            + ", ".join(f"`{name}`" for name in required),
            hint="the container calls the class with no arguments: inject what it needs as fields",
            code=CONSTRUCTOR,
        )


def scope_error(owner: Proto, spec: FieldSpec, needed: str) -> BootError:
    return BootError(
        f"{owner.label} injects {needed} in `{spec.attr}` at `{field_where(spec)}`: a singleton lives for "
        "the whole process and can not hold what belongs to one request",
        hint=f"make `{owner.cls.__qualname__}` a @context_proto(), or what it injects a @singleton_proto()",
        code=SCOPE,
    )


def ambiguous(spec: FieldSpec, what: str, protos: list[Proto]) -> BootError:
    return BootError(
        f"`{spec.owner.__qualname__}.{spec.attr}` at `{field_where(spec)}` matches several protos by {what}: "
        + ", ".join(p.label for p in protos),
        hint="pick one with inject(name=...) and give the protos distinct names",
        code=AMBIGUOUS,
    )
