"""Routes: `app.router.<method>(path, *middlewares, handler, name=None)`."""


def router(app):
    app.router.get("/", app.controller.home.index)
    app.router.get("/hello/:name", app.controller.home.hello)
