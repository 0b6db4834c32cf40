"""Plugins to enable: {"name": {"enable": True, "package": "egg_name"}}."""

plugins = {}
