"""Pydantic models of eggbin's built-in config sections: which keys each has and what each holds.

A model lists the keys the runtime reads (egg's names in snake_case); any other key is kept (`extra`)
and reported as unknown by `eggbin.web.settings`. `Any` marks a key whose value a dedicated check
already validates where it is read (`logger.level`, `health`, `multipart.mode`, `security.ssrf`...),
so each rule lives in one place.
"""

from __future__ import annotations

from typing import Any, ClassVar

from pydantic import BaseModel, ConfigDict, Field, model_validator

from eggbin.web.settings.kinds import (
    Count,
    Flag,
    OptionalSeconds,
    OptionalText,
    Seconds,
    Size,
    StringOrStrings,
    Strings,
    Table,
    Text,
)


class Section(BaseModel):
    """A dict of settings; unknown keys are kept in `model_extra` to be reported."""

    # built on first validation: a process pays only for the sections its app sets
    model_config = ConfigDict(extra="allow", strict=True, defer_build=True)
    free_prefix: ClassVar[str] = ""  # extra keys starting with it are the user's (site_file's paths)


class Middleware(Section):
    """Options of a middleware: every one understands `enable`, `match`, `ignore`, `websocket`."""

    enable: Flag = True
    match: Any = None
    ignore: Any = None
    websocket: Flag = False


class Toggle(Section):
    """A security sub-option: `enable`, `match` or `ignore`, and its `value`."""

    enable: Flag = True
    match: Any = None
    ignore: Any = None
    value: OptionalText = None


class Csrf(Toggle):
    cookie_name: Text = "csrfToken"
    header_name: Text = "x-csrf-token"
    body_name: Text = "_csrf"
    query_name: Text = "_csrf"

    @model_validator(mode="before")
    @classmethod
    def _on_off(cls, data: Any) -> Any:
        return {"enable": data} if isinstance(data, bool) else data  # `csrf: False` turns it off


class Hsts(Toggle):
    max_age: Count = 0
    include_subdomains: Flag = False


class Csp(Toggle):
    policy: Table = None
    report_only: Flag = False


class Ssrf(Section):
    ip_black_list: Any = None
    ip_exception_list: Any = None
    hostname_exception_list: Any = None
    check_address: Any = None


class Security(Middleware):
    csrf: Csrf = Field(default_factory=Csrf)
    domain_white_list: Strings = ()
    xframe: Toggle = Field(default_factory=Toggle)
    hsts: Hsts = Field(default_factory=Hsts)
    methodnoallow: Toggle = Field(default_factory=Toggle)
    noopen: Toggle = Field(default_factory=Toggle)
    nosniff: Toggle = Field(default_factory=Toggle)
    xss_protection: Toggle = Field(default_factory=Toggle)
    csp: Csp = Field(default_factory=Csp)
    referrer_policy: Toggle = Field(default_factory=Toggle)
    dta: Toggle = Field(default_factory=Toggle)
    ssrf: Ssrf = Field(default_factory=Ssrf)


class BodyParser(Middleware):
    enable_types: Strings = ()
    extend_types: Table = None
    encoding: Text = "utf-8"
    json_limit: Size = "1mb"
    form_limit: Size = "1mb"
    text_limit: Size = "1mb"
    strict: Flag = True


class Static(Middleware):
    prefix: Text = "/public/"
    dir: Text = ""
    max_age: Count = 0


class SiteFile(Middleware):
    cache_control: Text = ""
    free_prefix: ClassVar[str] = "/"


class Onerror(Middleware):
    all: Any = None
    json_: Any = Field(None, alias="json")  # `json` would shadow BaseModel.json
    html: Any = None


class Notfound(Middleware):
    page_url: Text = ""


class Cors(Middleware):
    """Starlette's `CORSMiddleware` keywords, plus egg-cors' `origin` and `credentials`."""

    allow_origins: StringOrStrings = ()
    allow_origin_regex: OptionalText = None
    allow_methods: StringOrStrings = ()
    allow_headers: StringOrStrings = ()
    allow_credentials: Flag = False
    allow_private_network: Flag = False
    expose_headers: StringOrStrings = ()
    max_age: Count = 600
    origin: Any = None
    credentials: Any = None


class Compress(Middleware):
    """koa-compress' `threshold` and `level`, or Starlette's `GZipMiddleware` keywords."""

    threshold: Count = 1024
    level: Count = 6
    minimum_size: Count = 1024
    compresslevel: Count = 6
    exclude_content_types: Any = None


class Listen(Section):
    path: Text = ""
    port: Any = None  # eggbin.listen names a bad port with the file that set it
    hostname: Text = ""


class Https(Section):
    """`config.cluster.https`; eggbin.cluster.tls checks the files themselves."""

    key: OptionalText = None
    cert: OptionalText = None
    ca: OptionalText = None
    passphrase: OptionalText = None


class Cluster(Section):
    listen: Listen = Field(default_factory=Listen)
    https: Https = Field(default_factory=Https)
    worker_timeout: Any = None  # eggbin.daemon.start names a bad one with its file


class Logger(Section):
    dir: Text = ""
    level: Any = None  # eggbin.web.logger.parse_level checks both levels
    console_level: Any = None
    console: Flag = False
    app_log_name: Text = ""
    core_log_name: Text = ""
    agent_log_name: Text = ""
    error_log_name: Text = ""
    schedule_log_name: Text = ""
    dict_config: Table = None  # a `logging.config.dictConfig` dict
    propagate: Flag = False
    stdout: Flag = False


class Tracer(Section):
    header: Text = ""  # eggbin.web.tracer checks it is a header name


class Schedule(Section):
    lock_dir: Text = ""


class Dump(Section):
    ignore: Strings = ()


class View(Section):
    root: StringOrStrings = ""
    autoescape: Flag = True
    auto_reload: Flag = False
    default_view_engine: OptionalText = None
    default_extension: OptionalText = None
    mapping: Table = None


class Nunjucks(Section):
    """egg-view-nunjucks' options, read by the jinja2 views."""

    dir: StringOrStrings = ""
    cache: Flag = True
    autoescape: Flag = True
    trim_blocks: Flag = False
    lstrip_blocks: Flag = False
    throw_on_undefined: Flag = False


class Websocket(Section):
    max_size: Size = "1mb"
    ping_interval: OptionalSeconds = 20.0
    ping_timeout: OptionalSeconds = 20.0
    per_message_deflate: Flag = True
    check_origin: Flag = True


class BackgroundTask(Section):
    timeout: Seconds = 5


class Openapi(Section):
    enable: Flag = False
    path: Text = "/openapi.json"
    title: OptionalText = None
    version: OptionalText = None


class Development(Section):
    watch_dirs: Strings = ()
    ignore_dirs: Strings = ()


class TopLevel(Section):
    """The top-level scalars eggbin reads; other top-level keys are the app's own."""

    keys: Text = ""
    ready_timeout: Seconds = 10
    proxy: Flag = False
    ip_headers: Text = ""
    max_ips_count: Count = 0
    protocol_headers: Text = ""
    host_headers: Text = ""
    rundir: Text = ""
