"""egg-logrotator's defaults, snake_case; `rotate_duration` in seconds (egg: ms), sizes in bytes or "50mb"."""

config = {
    "logrotator": {
        "disable_rotate_by_day": False,
        "files_rotate_by_hour": [],  # file names under `logger.dir` (or absolute paths)
        "hour_delimiter": "-",
        "files_rotate_by_size": [],
        "max_file_size": 50 * 1024 * 1024,
        "max_files": 10,
        "rotate_duration": 60,
        "max_days": 31,  # 0 keeps every rotated file
    },
}
