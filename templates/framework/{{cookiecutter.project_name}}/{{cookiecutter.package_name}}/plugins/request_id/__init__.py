"""A plugin bundled with the framework: `ctx.request_id`."""

EGG_PLUGIN = {
    "name": "{{ cookiecutter.package_name }}_request_id",
    "dependencies": [],
    "optional_dependencies": [],
    "env": [],
}
