"""eggbin's built-in plugins, each on by default; an app turns one off with `{"<name>": False}`."""

plugins = {
    "health": {"enable": True, "package": "eggbin.web.builtin.plugins.health"},
}
