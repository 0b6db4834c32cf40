"""`eggscripts start` (env `prod`): merged over config/default.py."""

config = {
    "logger": {"level": "INFO"},
    # Behind a reverse proxy, believe its X-Forwarded-* headers, and only from it (README "Security"):
    # "proxy": True,
    # "trusted_proxies": ["127.0.0.1"],
}
