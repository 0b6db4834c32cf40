"""{{ cookiecutter.description }}.

Enable it in an app's `config/plugin.py`:

    plugins = {"{{ cookiecutter.plugin_name }}": {"enable": True, "package": "{{ cookiecutter.package_name }}"}}
"""

EGG_PLUGIN = {
    "name": "{{ cookiecutter.plugin_name }}",
    # plugins that must be enabled (and load) before this one
    "dependencies": [],
    # plugins loaded first when they are enabled
    "optional_dependencies": [],
    # envs the plugin is enabled in; empty means every env
    "env": [],
}
