"""egg's built-in plugins (and eggbin's health), on in every app; `config/plugin.py` turns one off:

plugins = {"i18n": False}

eggbin's metrics plugin is built in but off: `plugins = {"metrics": True}` turns it on.
"""

plugins = {
    "health": {"enable": True, "package": "eggbin.web.builtin.plugins.health"},
    "session": {"enable": True, "package": "eggbin.web.builtin.plugins.session"},
    "i18n": {"enable": True, "package": "eggbin.web.builtin.plugins.i18n"},
    "jsonp": {"enable": True, "package": "eggbin.web.builtin.plugins.jsonp"},
    "multipart": {"enable": True, "package": "eggbin.web.builtin.plugins.multipart"},
    "logrotator": {"enable": True, "package": "eggbin.web.builtin.plugins.logrotator"},
    "metrics": {"enable": False, "package": "eggbin.web.builtin.plugins.metrics"},
}
