"""`eggscripts start` (env `prod`): merged over config/default.py."""

config = {
    "logger": {"level": "INFO"},
}
