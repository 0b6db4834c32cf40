"""The framework's defaults: merged over eggbin's, under the app's own config."""

config = {
    "{{ cookiecutter.package_name }}": {
        "greeting": "hi from {{ cookiecutter.project_name }}",
    },
}
