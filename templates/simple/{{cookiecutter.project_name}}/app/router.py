"""Routes: `app.router.<method>(path, *middlewares, handler)`."""


def router(app):
    app.router.get("/", app.controller.home.index)
