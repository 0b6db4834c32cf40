"""Adds a header to every response; an app enables it with `config["middleware"] = ["{{ cookiecutter.plugin_name }}"]`."""


def {{ cookiecutter.plugin_name }}(options, app):
    header = options["header"]
    value = options["greeting"]

    async def middleware(ctx, next):
        await next()
        ctx.set(header, value)

    return middleware
