"""jsonp (egg-jsonp): `app.jsonp(options)`, a route middleware answering JSONP when a callback is asked."""

EGG_PLUGIN = {"name": "jsonp"}
