"""egg's built-in plugins, each a package laid out like an app's plugin (see `config/plugin.py`)."""
