"""The plugin's defaults; an app overrides any of them under the same key in its own config."""

config = {
    "{{ cookiecutter.plugin_name }}": {
        "greeting": "hello",
        "header": "X-{{ cookiecutter.plugin_name|replace('_', '-')|title }}",
    },
}
