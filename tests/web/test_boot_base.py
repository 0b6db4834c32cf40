"""`eggbin.Boot`: a typed base for boot classes whose misspelled hooks are reported, not silently skipped."""

from __future__ import annotations

import asyncio
from pathlib import Path

from eggbin.web.lifecycle import Boot, unknown_hooks
from tests.web.boot_support import boot, write_app

BOOT_WITH_TYPOS = """
from eggbin import Boot

events = []


class AppBoot(Boot):
    async def did_load(self):
        events.append(("did_load", self.app.name))

    async def did_ready_(self):
        events.append("did_ready_")

    def willReady(self):
        events.append("willReady")

    def warm_cache(self):
        pass

    def _helper(self):
        pass
"""


def _warnings(base: Path) -> list[str]:
    log = base / "logs" / "tmp-app" / "egg-web.log"
    return [line for line in log.read_text().splitlines() if " WARN " in line]


def test_a_boot_subclass_runs_its_hooks_and_reports_the_misspelled_ones(tmp_path: Path) -> None:
    base = write_app(tmp_path / "app", {"app.py": BOOT_WITH_TYPOS})

    async def scenario() -> list[object]:
        app = await boot(base)
        [entry] = [e for e in app.lifecycle.entries if e.file == base / "app.py"]
        await app.close()
        assert type(entry.boot).__name__ == "AppBoot"  # the file's class, not the imported base
        return list(entry.boot.did_load.__globals__["events"])

    assert asyncio.run(scenario()) == [("did_load", "tmp-app")]
    warnings = _warnings(base)
    assert len(warnings) == 3, warnings
    app_py = base / "app.py"
    assert (
        f"`{app_py}:10` `AppBoot.did_ready_` is no boot hook and never runs: did you mean `did_ready`?"
        in (warnings[0])
    )
    assert (
        f"`{app_py}:13` `AppBoot.willReady` is no boot hook and never runs: did you mean `will_ready`?"
        in (warnings[1])
    )
    assert (
        "`AppBoot.warm_cache` is no boot hook and never runs: the hooks are config_will_load," in warnings[2]
    )
    assert "(a helper's name starts with `_`)" in warnings[2]


def test_a_boot_subclass_without_any_hook_is_still_the_files_boot(tmp_path: Path) -> None:
    source = "from eggbin import Boot\n\n\nclass AppBoot(Boot):\n    def didLoad(self):\n        pass\n"
    base = write_app(tmp_path / "app", {"app.py": source})

    async def scenario() -> str:
        app = await boot(base)
        [entry] = [e for e in app.lifecycle.entries if e.file == base / "app.py"]
        await app.close()
        return type(entry.boot).__name__

    assert asyncio.run(scenario()) == "AppBoot"
    [warning] = _warnings(base)
    assert "`AppBoot.didLoad` is no boot hook and never runs: did you mean `did_load`?" in warning


def test_inherited_typos_are_reported_once_and_hooks_and_the_base_are_not() -> None:
    class Base(Boot):
        def did_laod(self) -> None: ...

        @staticmethod
        def before_clsoe() -> None: ...

    class AppBoot(Base):
        def did_load(self) -> None: ...

        @property
        def ready(self) -> bool:  # a property is no method: not reported
            return True

    found = unknown_hooks(AppBoot)
    assert [line.split("` `")[1].split("`")[0] for line in found] == ["Base.did_laod", "Base.before_clsoe"]
    assert "did you mean `did_load`?" in found[0]
    assert "did you mean `before_close`?" in found[1]
    assert unknown_hooks(Boot) == []


def test_a_plain_boot_class_keeps_working_without_warnings(tmp_path: Path) -> None:
    source = """
class Boot:
    def __init__(self, app):
        self.app = app

    def did_load(self):
        self.app.loaded = True

    def helper(self):
        pass
"""
    base = write_app(tmp_path / "app", {"app.py": source})

    async def scenario() -> bool:
        app = await boot(base)
        await app.close()
        return bool(app.loaded)

    assert asyncio.run(scenario())
    assert _warnings(base) == []
