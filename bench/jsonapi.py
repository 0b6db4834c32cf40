"""A JSON API, 2 workers: a POST validated into a pydantic model and a 20-item JSON list, eggbin vs FastAPI
vs bare Starlette on the same uvicorn flags.

    pip install --group bench        # FastAPI (not a dependency of eggbin)
    python bench/jsonapi.py [--duration 10] [--rounds 3] [--workers 2]

The POST is bench/typed_post.py's (same body, model, answer, wrk script; eggbin's decorated controller
with its whole default middleware stack, CSRF token sent). The list endpoint answers the same 20 items
built per request in each subject (`ctx.body = [...]`, FastAPI's `return [...]`, Starlette's
`JSONResponse([...])`). Every subject runs under `uvicorn --workers N` with the same launcher and flags
(bench/typed_post.py `measure`), loaded with `wrk -t2 -c64 -d<duration>s --latency`; the rounds
interleave the six subjects. Issue #16 asks for this comparison and sets no target on it (its
no-regression line is hello's, bench/throughput.py): the issue's own figures had eggbin ahead of FastAPI
(1.95x on the POST, 4.1x on the list), and bare Starlette is the floor (the same work, no framework's stack).
"""

from __future__ import annotations

import json
import statistics
import tempfile
from pathlib import Path

from harness import Measurement, report, temporary_home, write_tree
from typed_post import (
    ANSWER,
    POST_SCRIPT,
    SERVERS,
    TEGG_APP,
    Served,
    measure,
    require_wrk_and_fastapi,
    wrk_parser,
)

ITEMS = "[{'id': i, 'name': f'item {i}', 'price': i * 1.5, 'tags': ['a', 'b']} for i in range(20)]"
ITEMS_ANSWER = json.dumps(
    [{"id": i, "name": f"item {i}", "price": i * 1.5, "tags": ["a", "b"]} for i in range(20)],
    separators=(",", ":"),
).encode()
LIST_ROUTE = {
    "fastapi_app.py": f"\n\n@app.get('/items')\nasync def items():\n    return {ITEMS}\n",
    "starlette_app.py": (
        f"\n\nasync def items(request):\n    return JSONResponse({ITEMS})\n\n\n"
        "app.router.add_route('/items', items, methods=['GET'])\n"
    ),
}
EGG_LIST = {
    "app/router.py": TEGG_APP["app/router.py"] + "    app.router.get('/items', app.controller.items.index)\n",
    "app/controller/items.py": (
        "from eggbin import Controller\n\n\nclass ItemsController(Controller):\n"
        f"    async def index(self):\n        self.ctx.body = {ITEMS}\n"
    ),
}
SUBJECTS: dict[str, Served] = {
    "POST eggbin": ("eggbin_app:app", "tegg", "/decorated/tasks", "POST"),
    "POST fastapi": ("fastapi_app:app", None, "/tasks", "POST"),
    "POST starlette": ("starlette_app:app", None, "/tasks", "POST"),
    "list eggbin": ("eggbin_app:app", "tegg", "/items", "GET"),
    "list fastapi": ("fastapi_app:app", None, "/items", "GET"),
    "list starlette": ("starlette_app:app", None, "/items", "GET"),
}


def answers(body: bytes) -> tuple[bytes, ...]:
    """The body as each server spells it (compact, or with JSON's default spaces)."""
    spaced = json.dumps(json.loads(body)).encode()
    return (body, spaced)


def write_servers(root: Path) -> None:
    servers = {name: text + LIST_ROUTE.get(name, "") for name, text in SERVERS.items()}
    write_tree(root, servers)
    write_tree(root / "tegg", {**TEGG_APP, **EGG_LIST})
    (root / "post.lua").write_text(POST_SCRIPT)


def main() -> None:
    parser = wrk_parser(__doc__)
    args = parser.parse_args()
    require_wrk_and_fastapi()
    results: dict[str, list[tuple[float, float]]] = {}
    with tempfile.TemporaryDirectory() as tmp, temporary_home():
        root = Path(tmp)
        write_servers(root)
        for _ in range(args.rounds):
            for subject, served in SUBJECTS.items():
                expected = answers(ANSWER if served[3] == "POST" else ITEMS_ANSWER)
                sample = measure(served, root, args.workers, args.duration, root / "post.lua", expected)
                results.setdefault(subject, []).append(sample)
    rows = [
        Measurement(subject, [rps for rps, _ in samples], "req/s", {"p99_ms": [p for _, p in samples]})
        for subject, samples in results.items()
    ]
    lines = []
    for endpoint in ("POST", "list"):
        base = results[f"{endpoint} starlette"]
        base_rps, base_p99 = statistics.median(r for r, _ in base), statistics.median(p for _, p in base)
        for subject in (f"{endpoint} eggbin", f"{endpoint} fastapi", f"{endpoint} starlette"):
            rps = statistics.median(r for r, _ in results[subject])
            p99 = statistics.median(p for _, p in results[subject])
            lines.append(
                f"{subject:<16} {rps:>9.0f} req/s  p99 {p99:6.2f} ms  "
                f"{rps / base_rps:.2f}x req/s, {p99 / base_p99:.2f}x p99 of Starlette"
            )
    notes = (
        f"wrk -t2 -c64 -d{args.duration}s, {args.workers} uvicorn workers, {args.rounds} interleaved rounds; "
        "no target (issue #16): FastAPI is the peer, Starlette the floor\n" + "\n".join(lines)
    )
    report("jsonapi", rows, anchor="POST starlette", notes=notes)


if __name__ == "__main__":
    main()
