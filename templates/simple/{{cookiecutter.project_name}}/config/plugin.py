"""Plugins to enable or disable, e.g. {"mysql": {"enable": True, "package": "egg_mysql"}, "view": False}."""

plugins = {}
