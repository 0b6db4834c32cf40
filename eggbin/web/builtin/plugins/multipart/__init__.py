"""multipart (egg-multipart): uploads in `ctx.request.files`, or streamed with `ctx.multipart()`."""

EGG_PLUGIN = {"name": "multipart"}
