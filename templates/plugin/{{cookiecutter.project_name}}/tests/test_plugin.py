"""What the plugin adds to an app that enables it (tests/fixtures/apps/example, see conftest.py)."""

from {{ cookiecutter.package_name }} import EGG_PLUGIN


def test_plugin_declares_its_name():
    assert EGG_PLUGIN["name"] == "{{ cookiecutter.plugin_name }}"


def test_config_defaults_reach_the_app(app):
    assert app.config["{{ cookiecutter.plugin_name }}"]["greeting"] == "hello"


def test_context_extension(ctx):
    assert ctx.greet("egg") == "hello, egg"


def test_middleware_and_extension_over_http(http):
    response = http.get("/")
    assert response.status_code == 200
    assert response.text == "hello, egg"
    assert response.headers["X-{{ cookiecutter.plugin_name|replace('_', '-')|title }}"] == "hello"
