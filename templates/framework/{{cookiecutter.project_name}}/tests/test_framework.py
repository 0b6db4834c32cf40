"""An app on the framework (tests/fixtures/apps/example selects it in its pyproject.toml, see conftest.py)."""

import {{ cookiecutter.package_name }}


def test_app_runs_on_the_framework(app):
    assert isinstance(app, {{ cookiecutter.package_name }}.Application)


def test_framework_config_defaults(app):
    assert app.config["{{ cookiecutter.package_name }}"]["greeting"] == "hi from {{ cookiecutter.project_name }}"


def test_bundled_plugin_extends_the_context(http):
    response = http.get("/", headers={"x-request-id": "abc"})
    assert response.status_code == 200
    assert response.json() == {"greeting": "hi from {{ cookiecutter.project_name }}", "request_id": "abc"}
