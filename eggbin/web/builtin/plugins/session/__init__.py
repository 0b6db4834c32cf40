"""session (egg-session): `ctx.session` in an encrypted cookie, or in `app.session_store`."""

EGG_PLUGIN = {"name": "session"}
