"""Framework defaults every app starts from."""

from __future__ import annotations

from typing import Any


def config(app_info: Any) -> dict[str, Any]:
    return {
        "env": app_info.env,
        "name": app_info.name,
        "keys": "",
        "middleware": [],
        "core_middleware": [],
        "cluster": {"listen": {"port": 7001, "hostname": "127.0.0.1"}},
        "ready_timeout": 10,
    }
