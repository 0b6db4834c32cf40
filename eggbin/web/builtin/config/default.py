"""Framework defaults every app starts from."""

from __future__ import annotations

from typing import Any

from eggbin.web.http_server import HttpLimits


def config(app_info: Any) -> dict[str, Any]:
    return {
        "env": app_info.env,
        "name": app_info.name,
        "base_dir": str(app_info.base_dir),
        "root": str(app_info.root),
        "home": str(app_info.home),
        "pkg": app_info.pkg,
        "keys": "",
        "middleware": [],
        "core_middleware": ["onerror", "site_file", "notfound", "body_parser", "security", "static"],
        # egg's: a unix socket `path`, else `port` on `hostname` ("": the command's default host)
        "cluster": {"listen": {"path": "", "port": 7001, "hostname": ""}},
        "http_server": HttpLimits().as_config(),
        "ready_timeout": 10,
        # `singleton: True` schedules claim each tick here ("": <root>/run/<name>/schedule-locks)
        "schedule": {"lock_dir": ""},
        **request_side(app_info),
        "rundir": str(app_info.base_dir / "run"),
        # more keys to mask in run/*_config.json (names or regexes), beyond the built-in patterns of
        # eggbin/web/dump.py (pass, pwd, secret, token, key, auth, credential, private, cookie)
        "dump": {"ignore": []},
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
            # records also go up to `eggbin.<name>` → `eggbin` → root (for handlers set up elsewhere)
            "propagate": False,
            # a `logging.config.dictConfig` dict applied in every process (master, agent, workers)
            "dict_config": None,
            # containers: every process's logs as JSON lines on stdout, no files (or EGG_LOG_STDOUT=1)
            "stdout": False,
        },
        # `ctx.trace_id` comes from this request header when its value is safe, and is echoed on the
        # response ("": always generate, echo nothing)
        "tracer": {"header": "x-request-id"},
    }


def request_side(app_info: Any) -> dict[str, Any]:
    """Options of the core middleware, proxy mode and views."""
    return {
        "onerror": {"all": None, "json": None, "html": None},
        "notfound": {"page_url": ""},
        "site_file": {"cache_control": "public, max-age=2592000"},
        "static": {
            "prefix": "/public/",
            "dir": str(app_info.base_dir / "app" / "public"),
            "max_age": 0 if app_info.env == "local" else 31536000,
        },
        "body_parser": {
            "enable_types": ["json", "form"],
            "extend_types": {},
            "encoding": "utf-8",
            "json_limit": "1mb",
            "form_limit": "1mb",
            "text_limit": "1mb",
            "strict": True,
        },
        "security": security(),
        # ASGI middleware shipped for `config.middleware` (off until listed there)
        "cors": {"allow_methods": ["GET", "HEAD", "PUT", "POST", "DELETE", "PATCH"]},  # egg-cors' methods
        "compress": {"threshold": 1024, "level": 6},
        "proxy": False,
        "trusted_proxies": [],
        "ip_headers": "x-forwarded-for",
        "max_ips_count": 0,
        "protocol_headers": "x-forwarded-proto",
        "host_headers": "x-forwarded-host",
        "view": {"root": "", "autoescape": True},
        # uvicorn's WebSocket limits (a larger message closes with 1009) and the cross-site origin check
        "websocket": {
            "max_size": "1mb",
            "ping_interval": 20.0,
            "ping_timeout": 20.0,
            "per_message_deflate": True,
            "check_origin": True,
        },
        # the decorated model: ctx.background's wait (seconds), the OpenAPI document of decorated routes
        "background_task": {"timeout": 5},
        "openapi": {"enable": False, "path": "/openapi.json", "title": None, "version": None},
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
