"""{{ cookiecutter.description }}.

An app runs on it with `[tool.egg] framework = "{{ cookiecutter.package_name }}"` in its pyproject.toml
(or `eggbin dev --framework {{ cookiecutter.package_name }}`). Load order: eggbin → this framework → plugins → app.
"""

from pathlib import Path

import eggbin

EGG_PATH = Path(__file__).resolve().parent


class Application(eggbin.Application):
    """The app workers serve: eggbin's, plus this package's `config/` and `app/`."""

    egg_path = EGG_PATH


class Agent(eggbin.Agent):
    """The agent process: eggbin's, plus this package's `config/` and `agent.py`."""

    egg_path = EGG_PATH
