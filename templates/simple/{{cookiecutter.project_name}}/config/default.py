"""Defaults for every env; `config/<env>.py` files are merged over this one."""


def config(app_info):
    return {
        # used to sign cookies; keep it secret in production
        "keys": "{{ cookiecutter.__cookie_key }}",
        # app middleware, in order: names of files in app/middleware/
        "middleware": [],
    }
