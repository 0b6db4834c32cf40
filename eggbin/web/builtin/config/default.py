"""Framework defaults every app starts from."""

from __future__ import annotations

import re
from typing import Any

from eggbin.web.http_server import HttpLimits

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
        "http_server": HttpLimits().as_config(),
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
        "security": security(),
        "proxy": False,
        "trusted_proxies": [],
        "ip_headers": "x-forwarded-for",
        "max_ips_count": 0,
        "protocol_headers": "x-forwarded-proto",
        "host_headers": "x-forwarded-host",
        "view": {"root": "", "autoescape": True},
    }


def security() -> dict[str, Any]:
    """egg-security's defaults (egg's names in snake_case); see the security middleware."""
    return {
        "csrf": {"enable": True, "ignore": None, "cookie_name": "csrfToken"},
        "domain_white_list": [],
        "xframe": {"enable": True, "value": "SAMEORIGIN"},
        "hsts": {"enable": False, "max_age": 365 * 24 * 3600, "include_subdomains": False},
        "methodnoallow": {"enable": True},
        "noopen": {"enable": True},
        "nosniff": {"enable": True},
        "xss_protection": {"enable": True, "value": "1; mode=block"},
        "csp": {"enable": False, "policy": {}, "report_only": False},
        "referrer_policy": {"enable": False, "value": "no-referrer-when-downgrade"},
        "dta": {"enable": True},
        "ssrf": {
            "ip_black_list": None,
            "ip_exception_list": None,
            "hostname_exception_list": None,
            "check_address": None,
        },
    }
