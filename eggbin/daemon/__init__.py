"""`eggscripts`: run an app's cluster in production: start (foreground or detached), stop, status, reload."""
