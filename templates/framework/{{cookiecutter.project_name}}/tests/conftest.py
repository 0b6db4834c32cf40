"""The app the tests boot: tests/fixtures/apps/example, an app on the framework."""

import pytest


@pytest.fixture(scope="session")
def app(app_factory):
    """Booted once per session in the unittest env; `http`, `ctx` and `mock` use it."""
    return app_factory("tests/fixtures/apps/example")
