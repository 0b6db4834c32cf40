"""Pydantic models of the config sections of eggbin's built-in plugins (`eggbin/web/builtin/plugins`)."""

from __future__ import annotations

from typing import Any

from eggbin.web.settings.kinds import (
    Count,
    Duration,
    Flag,
    MaxAge,
    OptionalText,
    SameSite,
    Seconds,
    Size,
    StringOrStrings,
    Strings,
    Table,
    Text,
)
from eggbin.web.settings.sections import Section


class Session(Section):
    """egg-session's options, and the cookie options it passes on (`eggbin.web.cookies.CookieOptions`)."""

    key: Text = "EGG_SESS"
    max_age: MaxAge = 86400
    http_only: Flag = True
    encrypt: Flag = True
    same_site: SameSite = None
    overwrite: Flag = True
    rolling: Flag = False
    renew: Flag = False
    log_value: Flag = True
    signed: Flag = True
    path: OptionalText = "/"
    domain: OptionalText = None
    secure: Any = None
    priority: OptionalText = None
    partitioned: Flag = False
    ignore_secure_error: Flag = False
    expires: Any = None
    genid: Any = None
    prefix: OptionalText = None
    valid: Any = None
    before_save: Any = None


class I18n(Section):
    default_locale: Text = "en_US"
    dirs: Strings = ()
    query_field: Text = "locale"
    cookie_field: Text = "locale"
    cookie_domain: Text = ""
    cookie_max_age: Duration = "1y"
    locale_alias: Table = None
    write_cookie: Flag = True


class Jsonp(Section):
    limit: Count = 50
    callback: StringOrStrings = ()
    csrf: Flag = False
    white_list: Any = None


class Multipart(Section):
    mode: Any = None  # eggbin.web.uploads names a bad mode with its file
    auto_fields: Flag = False
    file_mode_match: Any = None
    field_name_size: Size = 100
    field_size: Size = "100kb"
    fields: Size = 10
    file_size: Size = "10mb"
    files: Size = 10
    file_extensions: Strings = ()
    whitelist: Any = None
    allow_array_field: Flag = False
    tmpdir: Text = ""
    check_file: Any = None


class Logrotator(Section):
    disable_rotate_by_day: Flag = False
    files_rotate_by_hour: Strings = ()
    hour_delimiter: Text = "-"
    files_rotate_by_size: Strings = ()
    max_file_size: Size = 50 * 1024 * 1024
    max_files: Count = 10
    rotate_duration: Seconds = 60
    max_days: Count = 31


class Health(Section):
    liveness_path: Any = None  # eggbin.web.builtin.plugins.health.probes checks the three
    readiness_path: Any = None
    drain_delay: Any = None
