"""The chaos tier: every test here is a process fault (or a hostile file) under real load."""

from __future__ import annotations

import pytest

from tests.daemon.conftest import make_app  # noqa: F401  (the fixture, for the eggscripts cases)


def pytest_collection_modifyitems(items: list[pytest.Item]) -> None:
    for item in items:
        if "tests/chaos/" in str(item.fspath):
            item.add_marker(pytest.mark.chaos)
            item.add_marker(pytest.mark.slow)
