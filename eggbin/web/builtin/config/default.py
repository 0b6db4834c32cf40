"""Framework defaults every app starts from."""

from __future__ import annotations

import re
from typing import Any

# Keys whose values `run/*_config.json` masks (egg's dump.ignore, plus the snake_case spellings).
DUMP_IGNORE = [
    "pass",
    "pwd",
    "passd",
    "passwd",
    "password",
    "keys",
    "masterKey",
    "master_key",
    "accessKey",
    "access_key",
    re.compile("secret", re.IGNORECASE),
    re.compile("token", re.IGNORECASE),
]


def config(app_info: Any) -> dict[str, Any]:
    return {
        "env": app_info.env,
        "name": app_info.name,
        "keys": "",
        "middleware": [],
        "core_middleware": ["onerror", "notfound", "bodyparser", "security", "static"],
        "cluster": {"listen": {"port": 7001, "hostname": "127.0.0.1"}},
        "ready_timeout": 10,
        **request_side(app_info),
        "rundir": str(app_info.base_dir / "run"),
        "dump": {"ignore": DUMP_IGNORE},
        "logger": {
            "dir": str(app_info.root / "logs" / app_info.name),
            "level": "INFO",
            "console": app_info.env == "local",
            "console_level": "INFO",
            "app_log_name": f"{app_info.name}-web.log",
            "core_log_name": "egg-web.log",
            "agent_log_name": "egg-agent.log",
            "error_log_name": "common-error.log",
            "schedule_log_name": "egg-schedule.log",
        },
    }


def request_side(app_info: Any) -> dict[str, Any]:
    """Options of the core middleware, proxy mode and views."""
    return {
        "onerror": {"all": None, "json": None, "html": None},
        "notfound": {"page_url": ""},
        "static": {"prefix": "/public/", "dir": "", "max_age": 0 if app_info.env == "local" else 31536000},
        "bodyparser": {"json_limit": "1mb", "form_limit": "1mb", "multipart_limit": "10mb", "strict": True},
        "security": {
            "csrf": {"enable": True, "ignore": None, "cookie_name": "csrfToken"},
            "domain_white_list": [],
            "nosniff": {"enable": True},
            "xframe": {"enable": True, "value": "SAMEORIGIN"},
        },
        "proxy": False,
        "ip_headers": "x-forwarded-for",
        "max_ips_count": 0,
        "protocol_headers": "x-forwarded-proto",
        "host_headers": "x-forwarded-host",
        "view": {"root": "", "autoescape": True},
        # the decorated model: ctx.background's wait (seconds), the OpenAPI document of decorated routes
        "background_task": {"timeout": 5},
        "openapi": {"enable": False, "path": "/openapi.json", "title": None, "version": None},
    }
