"""eggbin's core middleware, each file `def <name>(options, app)` as in an app's `app/middleware/`."""
