"""eggbin's own defaults, laid out like an app's `config/`."""
