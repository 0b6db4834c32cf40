"""egg-multipart's defaults, snake_case. `mode`: "buffer" (eggbin's default), "stream" or "file"."""

from __future__ import annotations

from typing import Any

from eggbin.web.uploads import default_tmpdir


def config(app_info: Any) -> dict[str, Any]:
    return {
        "multipart": {
            "mode": "buffer",
            "auto_fields": False,
            "file_mode_match": None,
            "field_name_size": 100,
            "field_size": "100kb",
            "fields": 10,
            "file_size": "10mb",
            "files": 10,
            "file_extensions": [],
            "whitelist": None,
            "allow_array_field": False,
            "tmpdir": default_tmpdir(app_info.name),
        },
    }
