"""eggbin's own signatures say what they take: few parameters are typed exactly `Any`.

`python tests/test_typing_coverage.py` prints the count and the files with the most.
"""

from __future__ import annotations

import ast
from collections import Counter
from pathlib import Path

PACKAGE = Path(__file__).resolve().parent.parent / "eggbin"
LIMIT = 0.05  # starlette is at 6 %, uvicorn at 1 %
ANY = frozenset({"Any", "typing.Any"})


def parameters(tree: ast.AST) -> list[ast.arg]:
    """Every annotated parameter of every function and method (`self`, `cls` are not annotated)."""
    found: list[ast.arg] = []
    for node in ast.walk(tree):
        if isinstance(node, ast.FunctionDef | ast.AsyncFunctionDef | ast.Lambda):
            args = node.args
            every = [*args.posonlyargs, *args.args, *args.kwonlyargs, args.vararg, args.kwarg]
            found += [arg for arg in every if arg is not None and arg.annotation is not None]
    return found


def is_any(arg: ast.arg) -> bool:
    assert arg.annotation is not None
    return ast.unparse(arg.annotation).strip("'\"") in ANY


def count(package: Path = PACKAGE) -> tuple[int, Counter[str]]:
    """Annotated parameters in `package`, and per file how many are typed exactly `Any`."""
    total, typed_any = 0, Counter[str]()
    for file in sorted(package.rglob("*.py")):
        found = parameters(ast.parse(file.read_text(encoding="utf-8"), str(file)))
        total += len(found)
        hits = sum(1 for arg in found if is_any(arg))
        if hits:
            typed_any[str(file.relative_to(package.parent))] = hits
    return total, typed_any


def test_the_counter_sees_every_kind_of_parameter() -> None:
    source = "def f(a: Any, /, b: int, *c: typing.Any, d: 'Any', **e: object) -> None: ...\n"
    source += "async def g(x) -> None: ..."
    found = parameters(ast.parse(source))
    assert [arg.arg for arg in found] == ["a", "b", "d", "c", "e"]
    assert [arg.arg for arg in found if is_any(arg)] == ["a", "d", "c"]


def test_few_parameters_are_typed_any() -> None:
    total, typed_any = count()
    share = sum(typed_any.values()) / total
    worst = ", ".join(f"{file} {n}" for file, n in typed_any.most_common(5))
    assert share < LIMIT, f"{share:.1%} of {total} parameters are typed `Any` (most in {worst})"


if __name__ == "__main__":
    total, typed_any = count()
    hits = sum(typed_any.values())
    print(f"{hits} of {total} annotated parameters typed exactly `Any`: {hits / total:.1%}")
    for file, n in typed_any.most_common(15):
        print(f"{n:5}  {file}")
