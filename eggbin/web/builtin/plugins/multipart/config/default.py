"""egg-multipart's defaults, snake_case. `mode`: "buffer" (eggbin's default), "stream" or "file"."""

from __future__ import annotations

import tempfile
from pathlib import Path
from typing import Any


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
            # eggbin.web.uploads.default_tmpdir, spelled out: `eggbin dev` reads this file before it starts
            # the cluster, and eggbin.web.uploads imports the request stack (starlette, asyncio: ~25 ms)
            "tmpdir": str(Path(tempfile.gettempdir()) / "egg-multipart-tmp" / app_info.name),
        },
    }
