"""The plugin is tested with pytester: each inner run is a fresh `python -m pytest` in a copied app."""

from __future__ import annotations

import shutil

import pytest

from tests.support import FIXTURE_APPS


def pytest_configure(config: pytest.Config) -> None:
    # `pytest_plugins` is only allowed in the top-level conftest, which this area does not own
    if not config.pluginmanager.has_plugin("pytester"):
        config.pluginmanager.import_plugin("pytester")


@pytest.fixture
def project(pytester: pytest.Pytester) -> pytest.Pytester:
    """A copy of tests/fixtures/apps/testing_full as the inner run's rootdir."""
    shutil.copytree(FIXTURE_APPS / "testing_full", pytester.path, dirs_exist_ok=True)
    (pytester.path / "tests").mkdir()
    return pytester
