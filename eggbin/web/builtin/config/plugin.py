"""egg's built-in plugins, on in every app; an app disables one in its `config/plugin.py`:

plugins = {"logrotator": False}
"""

plugins = {
    "logrotator": {"enable": True, "package": "eggbin.web.builtin.plugins.logrotator"},
}
