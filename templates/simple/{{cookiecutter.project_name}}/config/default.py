"""Defaults for every env; `config/<env>.py` is merged over this file (dicts deep-merged, lists replaced)."""


def config(app_info):
    return {
        # signs cookies; generated for this project, keep it secret in production
        "keys": "{{ cookiecutter.__cookie_key }}",
        # app middleware, in order: names of files in app/middleware/
        "middleware": [
            # "response_time",
        ],
        # options of a middleware live under its name
        "response_time": {"header": "X-Response-Time"},
        "greeting": "hello",
    }
