"""New trace ids: 128 random bits in hex, cut from pooled `os.urandom` reads, never shared across a fork."""

from __future__ import annotations

import json
import re
import subprocess
import sys

from eggbin.web import tracer

FORKED = """
import json, os
from eggbin.web import tracer

first = tracer.new_trace_id()  # fills the pool in the parent
left = list(tracer.trace_ids("")._ids)
read, write = os.pipe()
pid = os.fork()
if pid == 0:
    os.write(write, json.dumps([tracer.new_trace_id() for _ in range(3 * tracer.POOL)]).encode())
    os._exit(0)
os.close(write)
with os.fdopen(read) as pipe:
    child = json.loads(pipe.read())
os.waitpid(pid, 0)
print(json.dumps({"parent": [first, *left], "child": child}))
"""


def test_new_ids_are_32_hex_digits_and_never_repeat() -> None:
    ids = [tracer.new_trace_id() for _ in range(20 * tracer.POOL)]
    assert all(re.fullmatch(r"[0-9a-f]{32}", one) for one in ids)
    assert len(set(ids)) == len(ids)


def test_a_forked_child_never_hands_out_an_id_of_its_parents_pool() -> None:
    argv = [sys.executable, "-c", FORKED]
    ids = json.loads(subprocess.run(argv, capture_output=True, text=True, check=True, timeout=60).stdout)
    assert len(ids["parent"]) == tracer.POOL
    assert len(ids["child"]) == 3 * tracer.POOL
    assert not set(ids["parent"]) & set(ids["child"])


def test_a_safe_request_id_is_kept_and_an_unsafe_one_replaced() -> None:
    headers = [(b"host", b"x"), (b"x-request-id", b"req-1"), (b"x-request-id", b"second")]
    assert tracer.trace_id_from(headers, b"x-request-id") == "req-1"
    replaced = tracer.trace_id_from([(b"x-request-id", b"a b")], b"x-request-id")
    assert re.fullmatch(r"[0-9a-f]{32}", replaced)
