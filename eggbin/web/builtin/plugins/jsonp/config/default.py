"""egg-jsonp's defaults, snake_case (`whiteList` → `white_list`)."""

config = {
    "jsonp": {
        "limit": 50,
        "callback": ["_callback", "callback"],
        "csrf": False,
        "white_list": None,
    },
}
