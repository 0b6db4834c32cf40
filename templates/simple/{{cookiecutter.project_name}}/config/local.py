"""`eggbin dev` / `eggbin debug` (env `local`): merged over config/default.py."""

config = {
    "logger": {"level": "DEBUG"},
}
