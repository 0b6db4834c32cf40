"""Built-in settings checked by pydantic models once the config is merged (`eggbin.web.settings.check`)."""
