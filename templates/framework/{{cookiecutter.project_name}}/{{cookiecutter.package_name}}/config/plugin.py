"""Plugins the framework bundles; an app can still turn one off with `"{{ cookiecutter.package_name }}_request_id": False`."""

plugins = {
    "{{ cookiecutter.package_name }}_request_id": {
        "enable": True,
        "package": "{{ cookiecutter.package_name }}.plugins.request_id",
    },
}
