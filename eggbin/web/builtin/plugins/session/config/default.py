"""egg-session's defaults, snake_case; `max_age` in seconds (egg: ms), or "session"."""

config = {
    "session": {
        "key": "EGG_SESS",
        "max_age": 24 * 3600,
        "http_only": True,
        "encrypt": True,
        "same_site": None,
        "overwrite": True,
        "rolling": False,
        "renew": False,
        "log_value": True,
    },
}
