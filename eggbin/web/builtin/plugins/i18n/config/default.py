"""egg-i18n's defaults, snake_case; `cookie_max_age` in seconds or a duration string (`"1y"`)."""

config = {
    "i18n": {
        "default_locale": "en_US",
        "dirs": [],
        "query_field": "locale",
        "cookie_field": "locale",
        "cookie_domain": "",
        "cookie_max_age": "1y",
        "locale_alias": {},
        "write_cookie": True,
    },
}
