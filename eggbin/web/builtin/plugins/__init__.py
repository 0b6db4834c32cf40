"""eggbin's built-in plugins, laid out like any plugin (see `config/plugin.py` beside `app/`)."""
