"""egg's built-in plugins, on in every app; an app disables one in its `config/plugin.py`:

plugins = {"i18n": False}
"""

plugins = {
    "session": {"enable": True, "package": "eggbin.web.builtin.plugins.session"},
    "multipart": {"enable": True, "package": "eggbin.web.builtin.plugins.multipart"},
}
