"""Extends `ctx`: module-level functions become methods, `property` objects become properties."""


def greet(self, name):
    """`ctx.greet("egg")` → "hello, egg"; the greeting comes from `config["{{ cookiecutter.plugin_name }}"]`."""
    greeting = self.app.config["{{ cookiecutter.plugin_name }}"]["greeting"]
    return f"{greeting}, {name}"
