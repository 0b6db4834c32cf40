"""What earlier starts found and compiled, used while the master and the zygote import: where each module is
(`eggbin.cluster.start_imports`) and what the imports compile (`eggbin.cluster.start_compiled`).

`install` puts both in place first thing in the master (before anything else is imported: the second's
own imports go through the first), and `finish` gives Python its own finder and compilers back once the
imports are done: in the master (which keeps what it found and compiled when no zygote imports after it),
in the zygote (which keeps it), and in every child forked before the zygote's imports were done.
"""

from __future__ import annotations

from eggbin.cluster import start_compiled, start_imports


def install() -> None:
    start_imports.install()
    start_compiled.install()


def finish(*, save: bool) -> None:
    start_compiled.finish(save=save)
    start_imports.finish(save=save)
