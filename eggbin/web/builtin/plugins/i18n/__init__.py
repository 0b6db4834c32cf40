"""i18n (egg-i18n): `ctx.__(key, *args)` / `ctx.gettext` from `config/locale/*`, the locale per request."""

EGG_PLUGIN = {"name": "i18n"}
