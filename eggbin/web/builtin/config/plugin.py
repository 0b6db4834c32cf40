"""egg's built-in plugins, on in every app; an app disables one in its `config/plugin.py`:

plugins = {"i18n": False}
"""

plugins = {
    "session": {"enable": True, "package": "eggbin.web.builtin.plugins.session"},
    "i18n": {"enable": True, "package": "eggbin.web.builtin.plugins.i18n"},
    "jsonp": {"enable": True, "package": "eggbin.web.builtin.plugins.jsonp"},
    "multipart": {"enable": True, "package": "eggbin.web.builtin.plugins.multipart"},
    "logrotator": {"enable": True, "package": "eggbin.web.builtin.plugins.logrotator"},
}
