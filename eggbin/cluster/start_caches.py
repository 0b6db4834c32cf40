"""What earlier starts found and compiled, used while the master and the zygote import: where each module is
(`eggbin.cluster.start_imports`) and what the imports compile (`eggbin.cluster.start_compiled`).

`install` puts both in place first thing in the master (before anything else is imported: the second's
own imports go through the first), and `finish` gives Python its own finder and compilers back once the
imports are done: in the master (which keeps what it found and compiled when no zygote imports after it),
in the zygote (which keeps it), and in every child forked before the zygote's imports were done.

What they held (~300 KB of small objects, made before the zygote's fork) is kept, not freed: freed, it
would leave holes across pages the children share, which their allocations then fill, copying each page
(+0.2 to 0.3 MB of USS in every process of a cluster, `bench/memory.py`).
"""

from __future__ import annotations

from eggbin.cluster import start_compiled, start_imports

_retired: list[object] = []  # what the caches held (see above)


def install() -> None:
    start_imports.install()
    start_compiled.install()


def finish(*, save: bool) -> None:
    _retired.extend([*start_compiled._installed, *start_imports._installed])
    start_compiled.finish(save=save)
    start_imports.finish(save=save)
